"""One conflict check on every path into assignments (SPEC §3): the admin, panels, the draw, the
score import, the reviewer's confirmation and a shell all refuse a conflicted pair with the same
message and write nothing; a conflict that appears later is reported, and its sheet never
counts; a recorded conflict is removed only with a written reason, audited."""

import datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from evaluation.assignments import ConflictOfInterest, confirm_no_conflict, form_panel, withdraw_conflict
from evaluation.models import Assignment, Conflict, Panel, PastAffiliation, Reviewer, Stage
from evaluation.stage_scores import counted_sheets
from proposals.models import AuditEntry, Proposal, Track, audit_context

pytestmark = pytest.mark.django_db

ULSAN = "2023-H-04"  # 울산광역시; partners: 현대자동차, SK 플래닛, 씨엘, 울산테크노파크, 울산대학교
PARTNER = "제척(자동) — 평가위원의 소속 울산대학교가 이 사업의 참여기관입니다."
REFUSED = f"이해충돌이 있어 위원 choi 평가위원을 {ULSAN} 울산광역시 제안에 배정할 수 없습니다: {PARTNER}"
# The Hangul filler that defeated 제척, and other characters nobody sees.
DISGUISED = "울산\u200d대학교\u3164"


def last_month():
    """A past affiliation held until a month ago: inside the look-back period (SPEC §3)."""
    return timezone.localdate() - datetime.timedelta(days=30)


def state():
    """Everything a refused assignment might write."""
    return (
        list(Assignment.objects.order_by("pk").values_list()),
        list(Conflict.objects.order_by("pk").values_list()),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def document(staged):
    return Stage.objects.get(competition=staged, code="document")


@pytest.fixture
def ulsan(staged):
    return Proposal.objects.get(reference=ULSAN)


@pytest.fixture
def choi(make_reviewer):
    """A reviewer of 울산대학교 — a partner organisation of 울산광역시 — spelt with invisible characters."""
    return make_reviewer("choi", affiliation=DISGUISED)


@pytest.fixture
def kim(make_reviewer):
    return make_reviewer("kim", affiliation="한국대학교")


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.kr", "pw-test-1234")
    client.force_login(user)
    client.user = user
    return client


# --- the Django admin ------------------------------------------------------------------------


def test_admin_add_assignment_of_a_partner_organisation_reviewer_is_a_form_error(
    admin_client, document, ulsan, choi
):
    before = state()
    response = admin_client.post(
        reverse("admin:evaluation_assignment_add"),
        {
            "stage": document.pk,
            "proposal": ulsan.pk,
            "reviewer": choi.pk,
            "source": "panel",
            "audit_reason": "위원 추가 배정",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [REFUSED]
    assert REFUSED in response.content.decode()
    assert state() == before


def test_admin_add_assignment_without_a_conflict_is_saved_and_audited(admin_client, document, ulsan, kim):
    response = admin_client.post(
        reverse("admin:evaluation_assignment_add"),
        {
            "stage": document.pk,
            "proposal": ulsan.pk,
            "reviewer": kim.pk,
            "source": "panel",
            "audit_reason": "위원 추가 배정",
        },
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get(reviewer=kim)
    entry = AuditEntry.objects.get(action="assignment.created")
    assert entry.object_id == str(assignment.pk) and entry.actor == admin_client.user


def test_admin_add_assignment_with_a_recorded_challenge_names_it(admin_client, document, ulsan, kim):
    Conflict.objects.create(proposal=ulsan, reviewer=kim, kind=Conflict.Kind.CHALLENGED, reason="자문 이력")
    before = state()
    response = admin_client.post(
        reverse("admin:evaluation_assignment_add"),
        {
            "stage": document.pk,
            "proposal": ulsan.pk,
            "reviewer": kim.pk,
            "source": "panel",
            "audit_reason": "위원 추가 배정",
        },
    )
    assert response.context["adminform"].form.non_field_errors() == [
        f"이해충돌이 있어 위원 kim 평가위원을 {ULSAN} 울산광역시 제안에 배정할 수 없습니다: "
        "기피(이의 제기) — 자문 이력"
    ]
    assert state() == before


def test_admin_change_page_of_an_assignment_shows_its_conflict(admin_client, document, ulsan, kim):
    assignment = Assignment.objects.create(stage=document, proposal=ulsan, reviewer=kim)
    Conflict.objects.create(proposal=ulsan, reviewer=kim, kind=Conflict.Kind.CHALLENGED, reason="자문 이력")
    page = admin_client.get(reverse("admin:evaluation_assignment_change", args=[assignment.pk]))
    assert "기피(이의 제기) — 자문 이력" in page.content.decode()


# --- a shell: the model and its queryset -----------------------------------------------------


def test_create_from_a_shell_is_refused(document, ulsan, choi):
    before = state()
    with pytest.raises(ConflictOfInterest) as refused:
        Assignment.objects.create(stage=document, proposal=ulsan, reviewer=choi)
    assert refused.value.message == str(refused.value) == REFUSED
    assert refused.value.messages == [REFUSED]  # a ValidationError: forms show it as it is
    assert state() == before


def test_create_by_ids_save_get_or_create_and_bulk_create_are_refused(document, ulsan, choi, kim):
    before = state()
    attempts = [
        lambda: Assignment.objects.create(stage_id=document.pk, proposal_id=ulsan.pk, reviewer_id=choi.pk),
        lambda: Assignment(stage=document, proposal=ulsan, reviewer=choi).save(),
        lambda: Assignment.objects.get_or_create(stage=document, proposal=ulsan, reviewer=choi),
        lambda: Assignment.objects.bulk_create(
            [
                Assignment(stage=document, proposal=ulsan, reviewer=kim),
                Assignment(stage=document, proposal_id=ulsan.pk, reviewer_id=choi.pk),
            ]
        ),
    ]
    for attempt in attempts:
        with pytest.raises(ConflictOfInterest) as refused:
            attempt()
        assert refused.value.message == REFUSED
    assert state() == before


def test_moving_an_assignment_onto_a_conflicted_pair_is_refused(document, ulsan, choi, kim):
    assignment = Assignment.objects.create(stage=document, proposal=ulsan, reviewer=kim)
    before = state()
    assignment.reviewer = choi
    with pytest.raises(ConflictOfInterest):
        assignment.save()
    with pytest.raises(ConflictOfInterest):
        Assignment.objects.filter(pk=assignment.pk).update(reviewer=choi)
    with pytest.raises(ConflictOfInterest):
        Assignment.objects.bulk_update([assignment], ["reviewer"])
    assert state() == before


def test_confirming_a_conflicted_assignment_is_refused_on_every_path(document, ulsan, kim):
    assignment = Assignment.objects.create(stage=document, proposal=ulsan, reviewer=kim)
    Conflict.objects.create(proposal=ulsan, reviewer=kim, kind=Conflict.Kind.DECLARED, reason="친족")
    before = state()
    with pytest.raises(ConflictOfInterest):
        Assignment.objects.filter(pk=assignment.pk).update(no_conflict_confirmed_at=timezone.now())
    assignment.no_conflict_confirmed_at = timezone.now()
    with pytest.raises(ConflictOfInterest):
        Assignment.objects.bulk_update([assignment], ["no_conflict_confirmed_at"])
    with pytest.raises(ConflictOfInterest):
        assignment.save()
    assert state() == before


def test_other_changes_to_an_assignment_that_became_conflicted_are_kept(document, ulsan, kim):
    """A conflict that appears later leaves the assignment in place (reported; its sheet never
    counts): changing something else on it is not refused."""
    assignment = Assignment.objects.create(stage=document, proposal=ulsan, reviewer=kim)
    Conflict.objects.create(proposal=ulsan, reviewer=kim, kind=Conflict.Kind.DECLARED, reason="친족")
    with audit_context(None, "출처 정정"):
        Assignment.objects.filter(pk=assignment.pk).update(source=Assignment.Source.DRAW)
        assignment.refresh_from_db()
        assignment.source = Assignment.Source.IMPORT
        assignment.save()
    assert Assignment.objects.get().source == "import"


# --- the reviewer's "no conflict" confirmation -----------------------------------------------


def test_reviewer_confirmation_runs_the_check_and_records_the_disqualification(document, ulsan, kim):
    assignment = Assignment.objects.create(stage=document, proposal=ulsan, reviewer=kim)
    kim.affiliation = DISGUISED  # corrected after the assignment: 울산대학교, with a filler
    kim.save()
    with pytest.raises(ConflictOfInterest) as refused:
        confirm_no_conflict(assignment, kim.user)
    assert (
        refused.value.message
        == f"이해충돌이 있어 이 제안을 평가할 수 없습니다(목록에 이해충돌로 표시됩니다): {PARTNER}"
    )
    assert Assignment.objects.get().no_conflict_confirmed_at is None
    conflict = Conflict.objects.get()
    assert (conflict.kind, conflict.reviewer, conflict.proposal) == ("automatic", kim, ulsan)


def test_reviewer_page_confirmation_of_a_conflicted_assignment_says_why(client, document, ulsan, kim):
    from evaluation.models import SecurityPledge

    assignment = Assignment.objects.create(stage=document, proposal=ulsan, reviewer=kim)
    SecurityPledge.objects.create(reviewer=kim, competition=document.competition)
    PastAffiliation.objects.create(reviewer=kim, organisation="(재)울산\u00a0테크노파크", until=last_month())
    client.force_login(kim.user)
    url = reverse("review:conflict", args=[document.competition.slug, assignment.pk])
    response = client.post(url, {"confirm": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("review:competition", args=[document.competition.slug])
    assert [str(m) for m in response.context["messages"]] == [
        "이해충돌이 있어 이 제안을 평가할 수 없습니다(목록에 이해충돌로 표시됩니다): 제척(자동) — "
        "평가위원의 소속 울산테크노파크가 이 사업의 참여기관입니다."
    ]
    assert Assignment.objects.get().no_conflict_confirmed_at is None
    assert client.get(url).status_code == 404  # off the reviewer's proposals


# --- panels, the draw, the import ------------------------------------------------------------


@pytest.fixture
def hub_panel(document, kim, choi):
    panel = Panel.objects.create(stage=document, name="거점형 서면평가")
    panel.tracks.set(Track.objects.filter(code="hub"))
    panel.members.set([kim, choi])
    return panel


def test_form_panel_never_assigns_a_name_that_differs_by_a_filler(hub_panel, ulsan, choi):
    report = form_panel(hub_panel)
    assert report.skipped_conflicts == [(choi, ulsan)] and report.created == 19
    assert not Assignment.objects.filter(reviewer=choi, proposal=ulsan).exists()
    assert Conflict.objects.get(reviewer=choi).reason == PARTNER.removeprefix("제척(자동) — ")


def test_form_panel_reports_an_existing_assignment_that_became_conflicted_and_its_sheet_stops_counting(
    admin_client, hub_panel, document, ulsan, kim, submit_sheet
):
    form_panel(hub_panel)
    assignment = Assignment.objects.get(reviewer=kim, proposal=ulsan)
    sheet = submit_sheet(assignment, [25, 15, 12, 16, 12])
    assert sheet in counted_sheets(document)
    PastAffiliation.objects.create(reviewer=kim, organisation="울산대학교\u00ad", until=last_month())
    response = admin_client.post(
        reverse("admin:evaluation_panel_changelist"),
        {"action": "form_panels", "_selected_action": [hub_panel.pk]},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "평가위원회 거점형 서면평가: 배정 0건 생성, 18건 유지, 이해충돌로 1건 제외",
        f"이해충돌이 있는 기존 배정: 위원 kim → {ULSAN} 울산광역시(서면평가). 제출된 평가표는 점수에 "
        f"들어가지 않습니다. 이해충돌: {PARTNER}",
    ]
    assert sheet not in counted_sheets(document)
    assert Assignment.objects.filter(pk=assignment.pk).exists()  # kept, reported, never counted
    [conflicted] = form_panel(hub_panel).conflicted  # every later formation says it again
    assert conflicted.assignment == assignment and conflicted.submitted and not conflicted.found_now


def assign(**options):
    """The draw from one panel of the stage covering every track, with every reviewer as a member."""
    document = Stage.objects.get(competition__slug="smartcity-2023", code="document")
    panel, _created = Panel.objects.get_or_create(stage=document, name="전체")
    panel.tracks.set(Track.objects.filter(category__competition=document.competition))
    panel.members.set(Reviewer.objects.all())
    out = StringIO()
    call_command(
        "assign", competition="smartcity-2023", stage="document", stdout=out, **{"per_proposal": 2, **options}
    )
    return out.getvalue()


@pytest.mark.parametrize(
    "junk",
    ["\u3164", "\u115f", "\u1160", "\u00ad", "\u034f", "\u200b", "\u2063", "\ufeff", "\ufe0f", "\u00a0"],
)
def test_assign_never_draws_a_pair_whose_names_differ_by_invisible_characters(
    staged, make_reviewer, ulsan, junk
):
    for number in range(2):
        make_reviewer(f"r{number}", affiliation=f"기관{number}")
    disguised = make_reviewer("choi", affiliation=f"울산{junk}대학교{junk}")
    for seed in range(5):
        assign(seed=seed, per_proposal=3)
        assert not Assignment.objects.filter(reviewer=disguised, proposal=ulsan).exists()
        with audit_context(None, "다시 추첨"):
            Assignment.objects.all().delete()
    assert Conflict.objects.get(reviewer=disguised, proposal=ulsan).kind == "automatic"


def test_assign_reports_a_conflicted_assignment_and_replaces_it(
    staged, document, make_reviewer, ulsan, kim, submit_sheet
):
    make_reviewer("lee", affiliation="서울연구원")
    make_reviewer("park", affiliation="부산연구원")
    assign(seed=1)
    assignment = Assignment.objects.filter(proposal=ulsan).order_by("reviewer__name").first()
    sheet = submit_sheet(assignment, [25, 15, 12, 16, 12])
    reviewer = assignment.reviewer
    reviewer.affiliation = "울산\u3000테크노파크"
    reviewer.save()
    output = assign(seed=1)
    assert (
        f"이해충돌이 있는 기존 배정: {reviewer.name} → {ULSAN} 울산광역시(서면평가). 제출된 평가표는 점수에 "
        "들어가지 않습니다. 이해충돌: 제척(자동) — 평가위원의 소속 울산테크노파크가 이 사업의 참여기관입니다."
        in output.splitlines()
    )
    assert sheet not in counted_sheets(document)
    counting = Assignment.objects.filter(proposal=ulsan).exclude(reviewer=reviewer)
    assert counting.count() == 2  # the conflicted one does not count towards R


def test_import_scores_row_of_a_disguised_partner_organisation_is_refused(staged, choi, make_xlsx):
    before = state()
    path = make_xlsx(
        [[choi.email, ULSAN, 25, 15, 12, 16, 12, "우수"]],
        header=["평가위원", "접수번호", "C1", "C2", "C3", "C4", "C5", "의견"],
    )
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_scores", str(path), competition="smartcity-2023", stage="document", stdout=out)
    assert raised.value.returncode == 1
    assert (
        f"  2행 '평가위원': 이해충돌로 이 평가위원은 이 제안을 평가할 수 없습니다: {PARTNER}"
        in out.getvalue().splitlines()
    )
    assert state() == before


# --- recording a conflict on an assignment whose sheet was submitted -----------------------------


def test_a_challenge_added_in_the_admin_names_the_sheet_that_stops_counting(
    admin_client, document, ulsan, kim, submit_sheet
):
    sheet = submit_sheet(Assignment.objects.create(stage=document, proposal=ulsan, reviewer=kim), [1] * 5)
    response = admin_client.post(
        reverse("admin:evaluation_conflict_add"),
        {
            "proposal": ulsan.pk,
            "reviewer": kim.pk,
            "kind": "challenged",
            "reason": "신청기관 자문",
            "audit_reason": "기피 신청 접수",
        },
        follow=True,
    )
    assert (
        f"이해충돌이 있는 기존 배정: 위원 kim → {ULSAN} 울산광역시(서면평가). 제출된 평가표는 점수에 "
        "들어가지 않습니다. 이해충돌: 기피(이의 제기) — 신청기관 자문"
    ) in [str(m) for m in response.context["messages"]]
    assert sheet not in counted_sheets(document)


# --- withdrawing a recorded conflict ---------------------------------------------------------

NO_REASON = (
    "기록된 이해충돌은 사유를 적어야만 삭제할 수 있습니다(evaluation.assignments.withdraw_conflict). "
    "아무것도 삭제하지 않았습니다."
)


@pytest.fixture
def declared(ulsan, kim):
    return Conflict.objects.create(proposal=ulsan, reviewer=kim, kind=Conflict.Kind.DECLARED, reason="친족")


def test_deleting_a_conflict_without_a_reason_is_refused(declared):
    before = state()
    for attempt in (
        declared.delete,
        Conflict.objects.filter(pk=declared.pk).delete,
        Conflict.objects.all().delete,
        lambda: withdraw_conflict(declared, "  ", None),
    ):
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert refused.value.messages == [NO_REASON]
    with audit_context(None, ""), pytest.raises(ValidationError):
        declared.delete()
    assert state() == before


def test_withdrawing_a_conflict_with_a_reason_removes_it_and_audits_the_reason(declared, user_factory):
    official = user_factory(None, "official")
    withdraw_conflict(declared, "평가위원 신고 착오(동명이인)", official)
    assert not Conflict.objects.exists()
    entry = AuditEntry.objects.get(action="conflict.deleted")
    assert (entry.actor, entry.reason, entry.before["reason"]) == (
        official,
        "평가위원 신고 착오(동명이인)",
        "친족",
    )


def test_a_disqualification_that_still_holds_cannot_be_withdrawn(hub_panel, choi, ulsan):
    form_panel(hub_panel)
    conflict = Conflict.objects.get(reviewer=choi)
    before = state()
    with pytest.raises(ValidationError) as refused:
        withdraw_conflict(conflict, "필요 없음", None)
    assert refused.value.messages == [
        "이 제척 사유는 아직 유효합니다: 평가위원의 소속 울산대학교가 이 사업의 참여기관입니다. "
        "먼저 평가위원의 소속(또는 사업의 참여기관)을 바로잡으세요. 아무것도 삭제하지 않았습니다."
    ]
    assert state() == before
    choi.affiliation = "울산과학대학교"  # the affiliation was wrong
    choi.save()
    withdraw_conflict(conflict, "소속 정정: 울산과학대학교", None)
    assert not Conflict.objects.exists()


def test_moving_a_recorded_conflict_to_another_pair_is_refused(declared, choi):
    before = state()
    moved = "기록된 이해충돌의 평가위원·제안·종류는 바꿀 수 없습니다. 사유를 적어 철회한 뒤 새로 기록하세요. 아무것도 바꾸지 않았습니다."
    for attempt in (
        lambda: Conflict.objects.filter(pk=declared.pk).update(reviewer=choi),
        lambda: Conflict.objects.filter(pk=declared.pk).update(kind=Conflict.Kind.CHALLENGED),
    ):
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert refused.value.messages == [moved]
    declared.reviewer = choi
    with pytest.raises(ValidationError):
        declared.save()
    assert state() == before


def test_admin_delete_of_a_conflict_asks_for_the_reason(admin_client, declared):
    url = reverse("admin:evaluation_conflict_delete", args=[declared.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    before = state()
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert response.context["withdrawal_form"].errors == {"reason": ["필수 항목입니다."]}
    assert state() == before
    response = admin_client.post(
        url, {"post": "yes", "reason": "회피 신고 철회(평가위원 요청, 공문 2023-17)"}
    )
    assert response.status_code == 302 and not Conflict.objects.exists()
    entry = AuditEntry.objects.get(action="conflict.deleted")
    assert entry.actor == admin_client.user and entry.reason == "회피 신고 철회(평가위원 요청, 공문 2023-17)"


def test_admin_delete_of_a_disqualification_that_still_holds_is_a_form_error(admin_client, hub_panel, choi):
    form_panel(hub_panel)
    conflict = Conflict.objects.get(reviewer=choi)
    url = reverse("admin:evaluation_conflict_delete", args=[conflict.pk])
    response = admin_client.post(url, {"post": "yes", "reason": "필요 없음"})
    assert response.status_code == 200
    assert (
        response.context["withdrawal_form"].errors["reason"][0].startswith("이 제척 사유는 아직 유효합니다")
    )
    assert Conflict.objects.filter(pk=conflict.pk).exists()


def test_the_conflict_changelist_has_no_bulk_delete(admin_client, declared):
    response = admin_client.post(
        reverse("admin:evaluation_conflict_changelist"),
        {"action": "delete_selected", "_selected_action": [declared.pk], "post": "yes"},
    )
    assert Conflict.objects.filter(pk=declared.pk).exists()
    assert response.status_code in (200, 302)


def test_bulk_update_of_other_fields_on_a_conflicted_assignment_is_kept(document, ulsan, kim, choi):
    assignment = Assignment.objects.create(stage=document, proposal=ulsan, reviewer=kim)
    other = Assignment.objects.create(
        stage=document, proposal=Proposal.objects.get(reference="2023-H-01"), reviewer=choi
    )
    Conflict.objects.create(proposal=ulsan, reviewer=kim, kind=Conflict.Kind.DECLARED, reason="친족")
    assignment.source = other.source = Assignment.Source.DRAW
    with audit_context(None, "출처 정정"):
        Assignment.objects.bulk_update([assignment, other], ["source", "reviewer", "proposal"])
    assert set(Assignment.objects.values_list("source", flat=True)) == {"draw"}
