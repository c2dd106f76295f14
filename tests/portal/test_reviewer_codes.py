"""Reviewer codes (A, B, C…): one basis for the officials' score page, the audit trail as
officials see it, the published snapshot and the exports (``evaluation.reviewer_codes``)."""

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.roles import Role
from evaluation import exporting
from evaluation.models import Assignment, Conflict, Publication, Stage
from evaluation.ranking import rank_competition
from evaluation.reviewer_codes import reviewer_code, reviewer_codes, stage_reviewer_codes
from proposals.models import Competition, Proposal

pytestmark = pytest.mark.django_db

ROW = re.compile(
    r'<tr[^>]*>\s*<td[^>]*>(?P<code>[A-Z]+)</td>\s*<td class="num">(?P<total>[^<]*)</td>\s*'
    r'<td[^>]*><span class="krds-badge">(?P<state>[^<]*)</span></td>'
)
COUNTED = {"반영", "최고점 제외", "최저점 제외"}


def score_rows(page: str) -> list[tuple[str, str, str]]:
    """(code, total, state) of each row of the page's reviewer table."""
    section = page[page.index('id="stage-score"') : page.index('id="criteria-heading"')]
    return [(m["code"], m["total"], m["state"]) for m in ROW.finditer(section)]


def test_reviewer_codes_run_past_z():
    assert [reviewer_code(i) for i in (0, 1, 25, 26, 27, 701, 702)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


def test_the_score_page_and_the_snapshot_agree_for_every_proposal_and_stage_of_the_demo(
    client, django_user_model
):
    call_command("demo", stdout=StringIO())
    client.force_login(django_user_model.objects.get(username="official"))
    snapshot = Publication.objects.get().snapshot
    published = {}
    for sheet in snapshot["inputs"]["sheets"]:
        published.setdefault((sheet["stage"], sheet["proposal"]), set()).add(
            (sheet["reviewer"], sheet["total"])
        )
    pairs = (
        Assignment.objects.order_by("stage__order", "proposal__reference")
        .values_list("stage__code", "proposal__reference", "proposal_id")
        .distinct()
    )
    checked = 0
    for stage_code, reference, proposal_id in pairs:
        url = reverse("official:proposal-scores", args=["smartcity-2023", stage_code, proposal_id])
        rows = score_rows(client.get(url).content.decode())
        shown = {(code, total) for code, total, state in rows if state in COUNTED}
        assert shown == published[(stage_code, reference)], (stage_code, reference)
        # Every assignment has its letter, in order: A, B, C… with none skipped.
        assert [code for code, _total, _state in rows] == [reviewer_code(i) for i in range(len(rows))]
        checked += 1
    assert checked == 42 == len(published)  # 24 proposals in 서면평가, 18 in 발표평가

    # The export (CSV and workbook: the same rows) letters them alike.
    competition = Competition.objects.get(slug="smartcity-2023")
    stage_codes = dict(Stage.objects.values_list("name", "code"))
    exported = {}
    for stage_name, _c, _t, reference, _a, code, total, state in exporting.reviewer_totals_rows(
        rank_competition(competition)
    ):
        if state in COUNTED:
            exported.setdefault((stage_codes[stage_name], reference), set()).add((code, f"{total:.2f}"))
    assert exported == published


def test_codes_follow_assignment_ids_and_keep_their_letter_through_conflicts_and_drafts(
    stage, make_criteria, make_proposal, make_reviewer, make_assignment, submit_sheet
):
    make_criteria(1)
    proposal, other = make_proposal(), make_proposal()
    kim, lee, park = (make_reviewer(name) for name in ("kim", "lee", "park"))
    # Created in the order park, kim, lee: the letters follow the assignments, not the names.
    submit_sheet(make_assignment(proposal, park), [10])
    make_assignment(proposal, kim)  # not started
    submit_sheet(make_assignment(proposal, lee), [12], draft_only=True)
    make_assignment(other, lee)
    Conflict.objects.create(proposal=proposal, reviewer=park, kind=Conflict.Kind.DECLARED, reason="친족")
    assert reviewer_codes(stage, proposal) == {park.pk: "A", kim.pk: "B", lee.pk: "C"}
    assert stage_reviewer_codes(stage) == {
        proposal.pk: {park.pk: "A", kim.pk: "B", lee.pk: "C"},
        other.pk: {lee.pk: "A"},
    }


# --- The audit trail: codes for officials, names for admins -----------------------------------


@pytest.fixture
def scored(stage, make_criteria, make_proposal, make_reviewer, make_assignment, submit_sheet):
    """Two reviewers: kim saves a draft, then submits; lee submits."""
    make_criteria(2, max_points=Decimal(50))
    proposal = make_proposal(applicant="울산광역시")
    kim, lee = make_reviewer("kim"), make_reviewer("lee")
    first = make_assignment(proposal, kim)
    submit_sheet(first, [10, None], draft_only=True)
    submit_sheet(first, [40, 45])
    submit_sheet(make_assignment(proposal, lee), [30, 35])
    return proposal


def trail_section(page: str) -> str:
    return page[page.index('id="audit-heading"') :]


def test_an_official_never_sees_a_reviewers_name_in_the_trail_but_an_admin_does(
    client, user_factory, stage, scored
):
    url = reverse("official:proposal", args=[stage.competition.slug, stage.code, scored.pk])
    client.force_login(user_factory(Role.OFFICIAL, "official-kim"))
    trail = trail_section(client.get(url).content.decode())
    assert "점수 입력" in trail and "평가표 제출" in trail  # the score changes are listed
    for secret in ("위원 kim", "위원 lee", "kim@example.kr", ">kim<", ">lee<"):
        assert secret not in trail
    # Who typed each score and whose sheet it is: the reviewer's code.
    assert "A 평가위원 평가표" in trail and "B 평가위원 평가표" in trail
    assert "A 평가위원 C1 항목 점수" in trail
    assert '<td class="col-name">평가위원 A</td>' in trail and '<td class="col-name">평가위원 B</td>' in trail

    client.force_login(user_factory(Role.ADMIN, "admin-lee"))
    trail = trail_section(client.get(url).content.decode())
    assert "위원 kim 평가위원 평가표" in trail and "위원 kim 평가위원 C1 항목 점수" in trail
    assert '<td class="col-name">kim</td>' in trail  # the account that typed the score


def test_an_officials_reopen_is_shown_by_name_and_the_reviewer_by_code(client, user_factory, stage, scored):
    from evaluation import sheets
    from evaluation.models import Scoresheet

    official = user_factory(Role.OFFICIAL, "official-kim")
    official.first_name = "김담당"
    official.save()
    sheet = Scoresheet.objects.get(assignment__proposal=scored, assignment__reviewer__user__username="lee")
    sheets.reopen(sheet, "입력 오류", official)
    client.force_login(official)
    url = reverse("official:proposal", args=[stage.competition.slug, stage.code, scored.pk])
    trail = trail_section(client.get(url).content.decode())
    assert "김담당" in trail and "입력 오류" in trail and "B 평가위원 평가표" in trail
    assert "위원 lee" not in trail


def test_codes_of_a_stage_come_from_one_query(stage, make_proposal, make_reviewer, django_assert_num_queries):
    reviewers = [make_reviewer(f"r{n}") for n in range(3)]
    proposals = [make_proposal() for _ in range(30)]
    Assignment.objects.bulk_create(
        [Assignment(stage=stage, proposal=p, reviewer=r) for p in proposals for r in reviewers]
    )
    stage = Stage.objects.get(pk=stage.pk)
    with django_assert_num_queries(1):
        codes = stage_reviewer_codes(stage)
    assert len(codes) == 30 and all(list(c.values()) == ["A", "B", "C"] for c in codes.values())
    assert Proposal.objects.count() == 30
