"""Panels and pools (issue 8): the draw takes each proposal's reviewers only from the members of
the stage's panel(s) covering its track — through the service, the command and (tests/portal/
test_panel_pages.py) the web; each draw is recorded with its seed, 3 × the seats as candidates
and the members left out; a track without a panel is reported, never drawn from the pool; panels
are listed, created, given members from a spreadsheet and formed from the command line.

Messages whose Korean is still to be written by the lead are compared with ``gettext`` of their
msgid and the exact parameters, so the tests hold before and after the translation."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.translation import gettext as _

from evaluation.assignments import draw_assignments, form_panel
from evaluation.models import Assignment, Conflict, Panel, ReviewerDraw, Stage
from proposals.models import AuditEntry, Proposal, Track, audit_context

pytestmark = pytest.mark.django_db

SLUG = "smartcity-2023"
ULSAN = "2023-H-04"  # 울산광역시; a partner: 울산대학교


@pytest.fixture
def document(staged):
    return Stage.objects.get(competition=staged, code="document")


@pytest.fixture
def world(staged, document, make_reviewer):
    """거점형 panel (hub: 10 proposals) of 5 members, one of them of 울산대학교 (conflicted with
    울산광역시); 강소형 panel (climate + depopulation: 14 proposals) of 4 members; 6 reviewers of
    the pool on no panel of this stage (시·도 officials, another competition's reviewers)."""
    hub_members = [make_reviewer(f"hub{n}", affiliation=f"거점기관{n}") for n in range(4)]
    hub_members.append(make_reviewer("choi", affiliation="울산대학교"))
    small_members = [make_reviewer(f"small{n}", affiliation=f"강소기관{n}") for n in range(4)]
    outsiders = [make_reviewer(f"outsider{n}", affiliation=f"시도청{n}") for n in range(6)]
    hub = Panel.objects.create(stage=document, name="거점형 서면평가")
    hub.tracks.set(Track.objects.filter(category__competition=staged, code="hub"))
    hub.members.set(hub_members)
    small = Panel.objects.create(stage=document, name="강소형 서면평가")
    small.tracks.set(Track.objects.filter(category__competition=staged, code__in=["climate", "depopulation"]))
    small.members.set(small_members)
    return {
        "hub": hub,
        "small": small,
        "hub_members": hub_members,
        "small_members": small_members,
        "outsiders": outsiders,
    }


def members_of(panel):
    return set(panel.members.values_list("pk", flat=True))


def assert_drawn_from_panels(world):
    outsiders = {r.pk for r in world["outsiders"]}
    for assignment in Assignment.objects.select_related("proposal__track"):
        panel = world["hub"] if assignment.proposal.track.code == "hub" else world["small"]
        assert assignment.reviewer_id in members_of(panel), assignment
        assert assignment.reviewer_id not in outsiders
        assert assignment.panel_id == panel.pk and assignment.source == Assignment.Source.DRAW


def pairs():
    return sorted(Assignment.objects.values_list("proposal_id", "reviewer_id"))


def assign(per_proposal=2, seed=5, stage="document"):
    out, err = StringIO(), StringIO()
    call_command(
        "assign", competition=SLUG, stage=stage, per_proposal=per_proposal, seed=seed, stdout=out, stderr=err
    )
    return out.getvalue()


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.kr", "pw-test-1234"))
    return client


# --- the draw: only from the panel covering the track ------------------------------------------------


def test_the_service_draws_only_members_of_the_panel_covering_the_track(world, document):
    report = draw_assignments(document, 3, seed=11)
    assert report.created == 72 and not report.unfilled and not report.uncovered
    assert_drawn_from_panels(world)
    assert not Assignment.objects.filter(reviewer__in=world["outsiders"]).exists()


def test_the_command_draws_only_members_of_the_panel_covering_the_track(world):
    output = assign(per_proposal=3, seed=11)
    assert "배정 72건 생성, 0건 유지. 시드: 11" in output
    assert (
        _(
            "%(count)s draws recorded (candidates: %(multiple)s × the seats; see Reviewer draws in the Django admin)."
        )
        % {
            "count": 24,
            "multiple": 3,
        }
        in output.splitlines()
    )
    assert_drawn_from_panels(world)


@pytest.mark.parametrize("seed", range(6))
def test_loads_stay_balanced_within_one_inside_each_panel(world, document, seed):
    draw_assignments(document, 2, seed=seed)
    for panel in (world["hub"], world["small"]):
        loads = [Assignment.objects.filter(reviewer=r).count() for r in panel.members.all()]
        assert max(loads) - min(loads) <= 1, (panel.name, loads)


def test_a_conflicted_member_is_left_out_and_recorded_with_the_reason(world, document):
    draw_assignments(document, 2, seed=3)
    ulsan = Proposal.objects.get(reference=ULSAN)
    choi = world["hub_members"][-1]
    assert not Assignment.objects.filter(proposal=ulsan, reviewer=choi).exists()
    conflict = Conflict.objects.get(proposal=ulsan, reviewer=choi)
    draw = ReviewerDraw.objects.get(proposal=ulsan)
    assert draw.exclusions == [
        {
            "reviewer": choi.pk,
            "name": "위원 choi",
            "reason": "conflict",
            "detail": "제척(자동) — " + conflict.reason,
        }
    ]
    assert choi.pk not in [c["reviewer"] for c in draw.candidates]


def test_each_draw_records_the_seed_three_times_the_seats_as_candidates_and_the_chosen(
    world, document, make_reviewer
):
    for n in range(4):  # the 강소형 panel grows to 8 members: more than 3 × 2 eligible
        world["small"].members.add(make_reviewer(f"extra{n}", affiliation=f"추가기관{n}"))
    draw_assignments(document, 2, seed=42)
    climate = Proposal.objects.filter(track__code="climate").order_by("pk").first()
    draw = ReviewerDraw.objects.get(proposal=climate)
    assert draw.seed == 42 and draw.seats == 2 and draw.stage == document
    assert len(draw.candidates) == 6  # 3 × the seats, of 8 eligible members
    assert draw.panels == [{"id": world["small"].pk, "name": "강소형 서면평가"}]
    assert draw.chosen == [c["reviewer"] for c in draw.candidates[:2]]
    assert set(Assignment.objects.filter(proposal=climate).values_list("reviewer_id", flat=True)) == set(
        draw.chosen
    )
    keys = [(c["load"], c["lot"]) for c in draw.candidates]
    assert keys == sorted(keys)  # fewest assignments first, then the seeded random order
    assert {c["reviewer"] for c in draw.candidates} <= members_of(world["small"])
    # Fewer eligible members than 3 × the seats: every eligible member is a candidate.
    hub_draw = (
        ReviewerDraw.objects.filter(proposal__track__code="hub").exclude(proposal__reference=ULSAN).first()
    )
    assert len(hub_draw.candidates) == 5 and hub_draw.exclusions == []
    assert ReviewerDraw.objects.count() == 24


def test_a_reviewer_already_assigned_is_left_out_as_assigned(world, document):
    draw_assignments(document, 1, seed=9)
    proposal = Proposal.objects.filter(track__code="climate").order_by("pk").first()
    [first] = Assignment.objects.filter(proposal=proposal).values_list("reviewer_id", flat=True)
    draw_assignments(document, 2, seed=9)
    second = ReviewerDraw.objects.filter(proposal=proposal).order_by("pk").last()
    assert second.seats == 1
    assert [e for e in second.exclusions if e["reviewer"] == first] == [
        {"reviewer": first, "name": second.exclusions[0]["name"], "reason": "assigned", "detail": ""}
    ]
    assert first not in [c["reviewer"] for c in second.candidates]


def test_the_same_seed_draws_the_same_reviewers_and_candidates(world, document):
    draw_assignments(document, 2, seed=7)
    first_pairs = pairs()
    first_candidates = [d.candidates for d in ReviewerDraw.objects.order_by("proposal_id")]
    with audit_context(None, "test reset"):
        Assignment.objects.all().delete()
    last = ReviewerDraw.objects.order_by("pk").last().pk
    draw_assignments(document, 2, seed=7)
    assert pairs() == first_pairs
    second = ReviewerDraw.objects.filter(pk__gt=last).order_by("proposal_id")
    assert [d.candidates for d in second] == first_candidates


def test_a_track_without_a_panel_is_not_assigned_and_the_command_fails_saying_how_to_form_one(world):
    world["small"].tracks.set(Track.objects.filter(code="climate"))  # 지역소멸 대응형: no panel now
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(
            "assign", competition=SLUG, stage="document", per_proposal=2, seed=1, stdout=out, stderr=err
        )
    depopulation = Proposal.objects.filter(track__code="depopulation")
    assert raised.value.returncode == 1
    assert str(raised.value) == _(
        "%(count)s proposal(s) were not assigned: their track has no panel in this stage."
    ) % {"count": depopulation.count()}
    assert err.getvalue().splitlines() == [
        _(
            "No panel of %(stage)s covers track %(track)s: its %(count)s proposal(s) were not assigned. "
            "Form a panel for it and add its members, on the administration page (Panels) or with "
            "'python manage.py panels create --competition %(slug)s --stage %(code)s --name NAME "
            "--tracks %(track_code)s' and 'panels members', then draw again."
        )
        % {
            "stage": "서면평가",
            "track": "지역소멸 대응형",
            "count": depopulation.count(),
            "slug": SLUG,
            "code": "document",
            "track_code": "depopulation",
        }
    ]
    assert not Assignment.objects.filter(proposal__in=depopulation).exists()
    assert not ReviewerDraw.objects.filter(proposal__in=depopulation).exists()
    assert Assignment.objects.filter(proposal__track__code="hub").count() == 20  # the others are kept
    assert_drawn_from_panels(world)


def test_a_stage_without_any_panel_draws_nobody(staged, make_reviewer):
    for n in range(5):
        make_reviewer(f"pool{n}", affiliation=f"기관{n}")
    before = AuditEntry.objects.count()
    with pytest.raises(CommandError):
        assign(per_proposal=2)
    assert not Assignment.objects.exists() and not ReviewerDraw.objects.exists()
    assert AuditEntry.objects.count() == before


def test_unfilled_seats_are_reported_when_a_panel_is_too_small(world):
    world["hub"].members.set(world["hub_members"][:1])
    output = assign(per_proposal=2, seed=4)
    assert "  - 2023-H-07 고양시: 1명 부족" in output.splitlines()
    assert sum(1 for line in output.splitlines() if line.startswith("  - ")) == 10
    assert set(
        Assignment.objects.filter(proposal__track__code="hub").values_list("reviewer_id", flat=True)
    ) == {world["hub_members"][0].pk}


# --- the record of a draw is append-only ------------------------------------------------------------


def test_a_draw_record_is_never_changed_or_deleted(world, document):
    draw_assignments(document, 1, seed=2)
    draw = ReviewerDraw.objects.first()
    message = _("A record of a reviewer draw is never changed or deleted.")
    for attempt in (
        lambda: ReviewerDraw.objects.filter(pk=draw.pk).update(seed=3),
        ReviewerDraw.objects.all().delete,
        draw.delete,
        lambda: ReviewerDraw.objects.bulk_update([draw], ["seed"]),
        draw.save,
    ):
        with pytest.raises(ValidationError) as raised:
            attempt()
        assert raised.value.messages == [message]
    assert ReviewerDraw.objects.get(pk=draw.pk).seed == 2
    entry = AuditEntry.objects.get(action="reviewerdraw.created", object_id=str(draw.pk))
    assert entry.after["seed"] == 2 and entry.competition_id == document.competition_id


def test_the_django_admin_shows_draws_read_only(world, document, admin_client):
    draw_assignments(document, 1, seed=2)
    draw = ReviewerDraw.objects.first()
    page = admin_client.get(reverse("admin:evaluation_reviewerdraw_change", args=[draw.pk]))
    assert page.status_code == 200
    assert b'name="seed"' not in page.content  # shown, not editable
    assert draw.panels[0]["name"] in page.content.decode()
    assert admin_client.get(reverse("admin:evaluation_reviewerdraw_add")).status_code == 403
    assert admin_client.get(reverse("admin:evaluation_reviewerdraw_changelist")).status_code == 200


# --- panels from the command line ---------------------------------------------------------------------


def panels(*args):
    out = StringIO()
    call_command("panels", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def panel_state():
    return (
        list(Panel.objects.order_by("pk").values_list("pk", "name", "stage_id")),
        sorted(Panel.tracks.through.objects.values_list("panel_id", "track_id")),
        sorted(Panel.members.through.objects.values_list("panel_id", "reviewer_id")),
        Assignment.objects.count(),
        AuditEntry.objects.count(),
    )


def test_panels_create_makes_an_audited_panel_of_the_named_tracks(staged, document):
    output = panels(
        "create",
        "--competition",
        SLUG,
        "--stage",
        "document",
        "--name",
        " 강소형  서면평가 ",
        "--tracks",
        "climate,지역소멸 대응형",
    )
    panel = Panel.objects.get()
    assert panel.name == "강소형 서면평가" and panel.stage == document
    assert sorted(panel.tracks.values_list("code", flat=True)) == ["climate", "depopulation"]
    assert output.splitlines() == [
        _("Panel %(name)s created for %(stage)s (tracks: %(tracks)s). Add its members with 'panels members'.")
        % {
            "name": "강소형 서면평가",
            "stage": "서면평가",
            "tracks": "기후위기 대응형(climate), 지역소멸 대응형(depopulation)",
        }
    ]
    assert AuditEntry.objects.filter(action="panel.created", object_id=str(panel.pk)).exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--competition", "nope", "--stage", "document", "--name", "A", "--tracks", "hub"],
            "식별자가 'nope'인 공모가 없습니다.",
        ),
        (
            ["--competition", SLUG, "--stage", "site", "--name", "A", "--tracks", "hub"],
            "공모 smartcity-2023에 'site' 단계가 없습니다(단계: document, presentation).",
        ),
        (
            ["--competition", SLUG, "--stage", "document", "--name", "A", "--tracks", "hub,metro"],
            "unknown_track",
        ),
        (["--competition", SLUG, "--stage", "document", "--name", "A", "--tracks", " , "], "no_track"),
        (["--competition", SLUG, "--stage", "document", "--name", "  ", "--tracks", "hub"], "no_name"),
        (
            ["--competition", SLUG, "--stage", "document", "--name", "가" * 101, "--tracks", "hub"],
            "long_name",
        ),
        (
            ["--competition", SLUG, "--stage", "document", "--name", "거점형 서면평가", "--tracks", "hub"],
            "duplicate",
        ),
    ],
)
def test_panels_create_refuses_bad_input_with_one_message_and_writes_nothing(
    staged, document, args, expected
):
    Panel.objects.create(stage=document, name="거점형 서면평가")
    messages = {
        "unknown_track": _("Competition %(slug)s has no track %(unknown)s (tracks: %(tracks)s).")
        % {
            "slug": SLUG,
            "unknown": "'metro'",
            "tracks": "거점형(hub), 기후위기 대응형(climate), 지역소멸 대응형(depopulation)",
        },
        "no_track": _("Name at least one track the panel reviews."),
        "no_name": _("Give the panel a name."),
        "long_name": _("The panel's name is longer than %(max)s characters (%(length)s).")
        % {"max": 100, "length": 101},
        "duplicate": _("Stage %(stage)s already has a panel named '%(name)s'.")
        % {"stage": "서면평가", "name": "거점형 서면평가"},
    }
    before = panel_state()
    with pytest.raises(CommandError) as raised:
        panels("create", *args)
    assert str(raised.value) == messages.get(expected, expected)
    assert raised.value.returncode == 1
    assert panel_state() == before


def test_panels_list_shows_each_stage_its_panels_members_and_uncovered_tracks(world):
    world["small"].tracks.set(Track.objects.filter(code="climate"))
    output = panels("list", "--competition", SLUG, "--stage", "document").splitlines()
    member_line = _("  %(name)s — tracks: %(tracks)s — %(count)s member(s)")
    assert output[0] == "서면평가 (document)"
    assert output[1] == member_line % {
        "name": "강소형 서면평가",
        "tracks": "기후위기 대응형(climate)",
        "count": 4,
    }
    assert output[2] == "    - 위원 small0 <small0@example.kr> (강소기관0)"
    assert member_line % {"name": "거점형 서면평가", "tracks": "거점형(hub)", "count": 5} in output
    assert output[-1] == _("  No panel covers track %(track)s (%(count)s proposal(s) in this stage).") % {
        "track": "지역소멸 대응형(depopulation)",
        "count": Proposal.objects.filter(track__code="depopulation").count(),
    }
    everything = panels("list", "--competition", SLUG).splitlines()
    assert "발표평가 (presentation)" in everything and _("  No panel yet.") in everything


def test_panels_members_adds_the_reviewers_of_the_file_all_or_nothing(world, make_xlsx, make_reviewer):
    new = [make_reviewer("new1", affiliation="기관X"), make_reviewer("new2", affiliation="기관Y")]
    hub = world["hub"]
    path = make_xlsx(
        [["new1@example.kr", "위원 new1"], ["NEW2", "위원 new2"], ["hub0@example.kr", "위원 hub0"]],
        header=["평가위원", "성명"],
    )
    args = ("members", "--competition", SLUG, "--stage", "document", "--name", "거점형 서면평가", str(path))
    before = panel_state()
    dry = panels(*args, "--dry-run")
    assert dry.splitlines()[0] == _("Dry run: the file is valid; nothing was written.")
    assert panel_state() == before
    output = panels(*args).splitlines()
    assert output[0] == f"{path.name} 파일을 가져왔습니다."
    assert members_of(hub) == {r.pk for r in world["hub_members"]} | {r.pk for r in new}
    assert "  - 위원 hub1 <hub1@example.kr>" in output  # not in the file: kept, reported
    entry = AuditEntry.objects.get(action="import.applied", object_type="panel")
    assert entry.after["added"] == sorted(r.pk for r in new) and entry.after["file"] == path.name
    assert panels(*args).splitlines()[0] == "모든 행이 이미 최신입니다. 바뀐 것이 없습니다."


def test_panels_members_refuses_a_file_with_a_bad_row_and_writes_nothing(world, make_xlsx):
    path = make_xlsx(
        [["hub0@example.kr"], ["ghost@example.kr"], ["small0"], ["HUB0@example.kr"]],
        header=["평가위원"],
    )
    before = panel_state()
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(
            "panels",
            "members",
            "--competition",
            SLUG,
            "--stage",
            "document",
            "--name",
            "거점형 서면평가",
            str(path),
            stdout=out,
        )
    assert raised.value.returncode == 1 and str(raised.value) == "아무것도 가져오지 않았습니다."
    lines = out.getvalue().splitlines()
    assert lines[:3] == [
        "파일에 오류가 있어 아무것도 기록하지 않았습니다:",
        "  3행 '평가위원': 등록되지 않은 평가위원입니다(아이디 또는 이메일): 'ghost@example.kr'",
        "  5행 '평가위원': 파일 안에 두 번 나옵니다(2행과 같음).",
    ]
    assert panel_state() == before


def test_panels_members_without_the_column_or_panel_is_one_message(world, make_xlsx):
    before = panel_state()
    wrong = make_xlsx([["hub0@example.kr"]], header=["이메일"])
    out = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "panels",
            "members",
            "--competition",
            SLUG,
            "--stage",
            "document",
            "--name",
            "거점형 서면평가",
            str(wrong),
            stdout=out,
        )
    assert out.getvalue().splitlines() == ["필수 열이 없습니다: '평가위원'. 머리글은 1행입니다."]
    with pytest.raises(CommandError) as raised:
        panels("members", "--competition", SLUG, "--stage", "document", "--name", "없는 위원회", str(wrong))
    assert str(raised.value) == _("Stage %(stage)s has no panel named '%(name)s' (panels: %(names)s).") % {
        "stage": "서면평가",
        "name": "없는 위원회",
        "names": "강소형 서면평가, 거점형 서면평가",
    }
    assert panel_state() == before


def test_panels_form_assigns_every_member_every_proposal_of_the_tracks(world):
    output = panels("form", "--competition", SLUG, "--stage", "document", "--name", "거점형 서면평가")
    assert (
        output.splitlines()[0] == "평가위원회 거점형 서면평가: 배정 49건 생성, 0건 유지, 이해충돌로 1건 제외"
    )
    assert set(Assignment.objects.values_list("reviewer_id", flat=True)) == members_of(world["hub"])
    assert Assignment.objects.filter(source="panel").count() == 49
    panels("form", "--competition", SLUG, "--stage", "document")  # every panel of the stage
    assert Assignment.objects.count() == 49 + 14 * 4


def test_panels_form_of_a_stage_without_panels_is_one_message(staged):
    before = panel_state()
    with pytest.raises(CommandError) as raised:
        panels("form", "--competition", SLUG, "--stage", "document")
    assert str(raised.value) == _("Stage %(stage)s has no panel yet. Create one with 'panels create'.") % {
        "stage": "서면평가"
    }
    assert panel_state() == before


def test_form_panel_still_works_for_a_panel_made_by_the_command(staged, make_reviewer):
    panels("create", "--competition", SLUG, "--stage", "document", "--name", "A", "--tracks", "hub")
    panel = Panel.objects.get(name="A")
    panel.members.add(make_reviewer("kim", affiliation="한국대학교"))
    assert form_panel(panel).created == 10


def test_the_django_admin_refuses_a_second_panel_of_the_same_name_in_a_stage(world, document, admin_client):
    before = panel_state()
    response = admin_client.post(
        reverse("admin:evaluation_panel_add"),
        {
            "stage": document.pk,
            "name": "거점형 서면평가",
            "tracks": [Track.objects.get(code="hub").pk],
            "audit_reason": "위원회 추가",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert response.context["adminform"].form.non_field_errors()
    assert panel_state() == before
