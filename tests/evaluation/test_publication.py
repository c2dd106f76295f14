"""Publication (issue 4 §5): the checks, the frozen snapshot, corrections and verification."""

import json
import random
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.roles import Role
from evaluation import sheets
from evaluation.models import Adjustment, Assignment, Criterion, Draw, Publication, Scoresheet, Stage
from evaluation.publication import (
    PublicationRefused,
    canonical_json,
    check_publishable,
    publish,
    snapshot_digest,
    verify,
)
from evaluation.ranking import rank_competition, ranking_document
from proposals.models import AuditEntry, Competition, Proposal, audit_context
from tests.conftest import record_submissions

pytestmark = pytest.mark.django_db

PENDING_MESSAGE = (
    "평가 중인 사업이 1건 있습니다. 배정된 평가위원의 평가표가 제출되지 않아 아직 점수와 순위가 없습니다."
)
SHEET_MESSAGE = (
    "서면평가에서 배정된 평가표 1건이 제출되지 않았습니다(시험시 004 (R-0004)). "
    "모든 평가표가 제출된 뒤 공개하거나, 그대로 공개하려면 사유를 적어 주십시오."
)
DRAW_MESSAGE = (
    "거점형: 마지막 선정 순위에서 시험시 002, 시험시 003의 순위가 같고 어떤 규칙으로도 가려지지 않습니다. "
    "공개하기 전에 추첨 결과를 기록하십시오."
)


@pytest.fixture
def official(user_factory):
    return user_factory(Role.OFFICIAL, "official-pub")


@pytest.fixture
def scored(competition, stage, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet):
    """Hub: four proposals scored by three reviewers (100, 90, 75, 50 of 120; minimum 60);
    climate: one (90). ``points`` can be overridden per applicant number before building."""
    criteria = make_criteria(3, max_points=Decimal(40))
    Criterion.objects.filter(pk=criteria[0].pk).update(tie_break_priority=1)
    reviewers = [make_reviewer(name) for name in ("kim", "lee", "park")]

    def build(points=None, skip=()):
        points = points or {
            1: [[35, 35, 30]] * 3,
            2: [[30, 30, 30]] * 3,
            3: [[25, 25, 25]] * 3,
            4: [[20, 20, 10]] * 3,
            5: [[30, 30, 30]] * 3,
        }
        proposals = {}
        for number in sorted(points):
            track = "hub" if number <= 4 else "climate"
            proposal = make_proposal(track=track)
            proposals[number] = proposal
            for index, reviewer in enumerate(reviewers):
                assignment = make_assignment(proposal, reviewer, confirmed=True)
                if (number, index) not in skip:
                    submit_sheet(assignment, points[number][index])
        return proposals

    return build


def state():
    return (
        Publication.objects.count(),
        Competition.objects.values_list("status", flat=True).get(),
        AuditEntry.objects.count(),
    )


def test_refused_while_a_sheet_is_missing_and_nothing_is_written(competition, scored, official):
    scored(skip={(4, 2)})
    before = state()
    assert check_publishable(competition) == [PENDING_MESSAGE, SHEET_MESSAGE]
    with pytest.raises(PublicationRefused) as refused:
        publish(competition, official)
    assert refused.value.messages == [PENDING_MESSAGE, SHEET_MESSAGE]
    assert refused.value.codes == {"sheets"}
    assert state() == before


def test_a_draft_sheet_is_outstanding_too_and_a_conflicted_one_is_not(
    competition, scored, official, submit_sheet
):
    from evaluation.models import Conflict

    proposals = scored(skip={(4, 2)})
    assignment = Assignment.objects.get(proposal=proposals[4], reviewer__user__username="park")
    submit_sheet(assignment, [1, 1, 1], draft_only=True)
    assert check_publishable(competition) == [PENDING_MESSAGE, SHEET_MESSAGE]
    Conflict.objects.create(
        proposal=proposals[4], reviewer=assignment.reviewer, kind=Conflict.Kind.DECLARED, reason="친족"
    )
    assert check_publishable(competition) == []


def test_refused_while_a_draw_is_required(competition, scored, official):
    scored(points={1: [[35, 35, 30]] * 3, 2: [[30, 30, 30]] * 3, 3: [[30, 30, 30]] * 3})
    before = state()
    assert check_publishable(competition) == [DRAW_MESSAGE]
    with pytest.raises(PublicationRefused) as refused:
        publish(competition, official, override_reason="시간이 없습니다")  # a reason overrides sheets only
    assert refused.value.messages == [DRAW_MESSAGE]
    assert state() == before


def test_every_failed_check_is_listed_by_the_command(competition, scored, official):
    scored(
        points={1: [[35, 35, 30]] * 3, 2: [[30, 30, 30]] * 3, 3: [[30, 30, 30]] * 3, 4: [[1, 1, 1]] * 3},
        skip={(4, 2)},
    )
    with pytest.raises(CommandError) as error:
        call_command("publish", competition=competition.slug, by=official.username, stdout=StringIO())
    text = str(error.value)
    assert SHEET_MESSAGE in text and DRAW_MESSAGE in text
    assert Publication.objects.count() == 0


def test_a_recorded_draw_lets_it_publish(competition, scored, official):
    proposals = scored(points={1: [[35, 35, 30]] * 3, 2: [[30, 30, 30]] * 3, 3: [[30, 30, 30]] * 3})
    Draw.objects.create(proposal=proposals[3], order=1, method="제비뽑기", recorded_by=official)
    Draw.objects.create(proposal=proposals[2], order=2, method="제비뽑기", recorded_by=official)
    publication = publish(competition, official)
    hub = publication.snapshot["outcome"]["ranking"]["categories"][0]["tracks"][0]["ranking"]
    assert [(row["applicant"], row["status"], row["tie_break"]) for row in hub] == [
        ("시험시 001", "selected", None),
        ("시험시 003", "selected", None),
        ("시험시 002", "reserve", "draw"),
    ]
    assert {d["proposal"]: d["order"] for d in publication.snapshot["inputs"]["draws"]} == {
        "R-0003": 1,
        "R-0002": 2,
    }
    assert verify(publication)[0]


def test_override_with_a_reason_publishes_and_records_it(competition, scored, official):
    scored(skip={(4, 2)})
    publication = publish(competition, official, override_reason="  위원 1명 연락 두절  ")
    assert publication.override_reason == "위원 1명 연락 두절"
    assert publication.snapshot["override_reason"] == "위원 1명 연락 두절"
    entry = AuditEntry.objects.get(action="publication.created")
    assert entry.reason == "위원 1명 연락 두절" and entry.actor == official
    assert entry.after["digest"] == publication.digest
    assert Competition.objects.get().status == Competition.Status.PUBLISHED


def test_the_snapshot_holds_inputs_and_outcome(competition, scored, official):
    proposals = scored()
    Adjustment.objects.create(
        proposal=proposals[3], points=Decimal("2.5"), reason="지역균형 가점", recorded_by=official
    )
    publication = publish(competition, official)
    snapshot = publication.snapshot
    inputs, outcome = snapshot["inputs"], snapshot["outcome"]
    assert inputs["rules"] == {
        "trim_min_reviewers": 5,
        "trim_count": 1,
        "adjustment_cap": "5.00",
        "reserve": 1,
        "minimum_score": "60.00",
        "final": "last",
    }
    assert inputs["stages"] == [
        {
            "code": "test-written",
            "name": "서면평가",
            "order": 90,
            "weight": None,
            "advance_top_multiple": None,
            "advance_cutoff": None,
            "tie_break_criteria": ["C1"],
        }
    ]
    assert [(c["code"], [(t["code"], t["slots"]) for t in c["tracks"]]) for c in inputs["categories"]] == [
        ("hub", [("hub", 2)]),
        ("small", [("climate", 2), ("depopulation", 2)]),
    ]
    first = [s for s in inputs["sheets"] if s["proposal"] == "R-0001"]
    assert first == [
        {"stage": "test-written", "proposal": "R-0001", "reviewer": code, "total": "100.00"} for code in "ABC"
    ]
    assert inputs["adjustments"] == [{"proposal": "R-0003", "points": "2.50", "reason": "지역균형 가점"}]
    assert {"proposal": "R-0001", "criterion": "C1", "average": "35", "stage": "test-written"} in [
        {**a, "average": str(Decimal(a["average"]).normalize())} for a in inputs["criterion_averages"]
    ]
    assert inputs["proposals"][0] == {
        "key": "R-0001",
        "id": proposals[1].pk,
        "reference": "R-0001",
        "applicant": "시험시 001",
        "province": "시험",
        "title": "스마트시티 사업 1",
        "category": "hub",
        "track": "hub",
        "status": "submitted",
        "national_subsidy": "200.00",
        "local_matching": "200.00",
    }
    assert outcome["ranking"] == json.loads(json.dumps(ranking_document(rank_competition(competition))))
    assert outcome["ranking"]["provinces"] == [{"province": "시험", "applicants": 5, "selected": 3}]
    hub_totals = outcome["totals"]["tracks"][0]
    assert [row["applicant"] for row in hub_totals["selected"]] == ["시험시 001", "시험시 002"]
    assert (hub_totals["national_subsidy"], hub_totals["local_matching"]) == ("400.00", "400.00")
    assert outcome["totals"]["all"] == {
        "selected": 3,
        "national_subsidy": "600.00",
        "local_matching": "600.00",
    }
    # No personal data and no reviewer names or accounts.
    text = canonical_json(snapshot)
    for secret in ("010-1234-5678", "city.go.kr", "위원 kim", "kim@example.kr", "kim"):
        assert secret not in text
    assert publication.digest == snapshot_digest(snapshot)
    assert len(publication.digest) == 64


def test_the_snapshot_is_canonical_json():
    snapshot = {"b": Decimal("1.50"), "a": "가", "c": [1, None]}
    assert canonical_json(snapshot) == '{"a":"가","b":"1.50","c":[1,null]}'


def test_snapshot_unchanged_after_later_score_edits(competition, scored, official, submit_sheet):
    proposals = scored()
    publication = publish(competition, official)
    stored = canonical_json(publication.snapshot)
    sheet = Scoresheet.objects.get(
        assignment__proposal=proposals[3], assignment__reviewer__user__username="kim"
    )
    sheets.reopen(sheet, "오기 정정", official)
    submit_sheet(sheet.assignment, [40, 40, 40])
    # The live ranking moved…
    live = ranking_document(rank_competition(competition))
    assert live != publication.snapshot["outcome"]["ranking"]
    # …the stored publication did not.
    publication = Publication.objects.get(pk=publication.pk)
    assert canonical_json(publication.snapshot) == stored
    assert verify(publication) == (True, verify(publication)[1])


def _tamper(publication, change):
    with connection.cursor() as cursor:
        cursor.execute("SELECT snapshot FROM evaluation_publication WHERE id = %s", [publication.pk])
        raw = cursor.fetchone()[0]
        snapshot = json.loads(raw) if isinstance(raw, str) else raw
        change(snapshot)
        value = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
        cursor.execute(
            f"UPDATE evaluation_publication SET snapshot = {value} WHERE id = %s",
            [json.dumps(snapshot, ensure_ascii=False), publication.pk],
        )
    return Publication.objects.get(pk=publication.pk)


def test_a_publication_refuses_save_and_delete(competition, scored, official):
    scored()
    publication = publish(competition, official)
    with pytest.raises(ValidationError):
        publication.save()
    with pytest.raises(ValidationError):
        publication.delete()
    stored = Publication.objects.filter(pk=publication.pk)
    with pytest.raises(ValidationError):
        stored.update(digest="0" * 64)
    with pytest.raises(ValidationError):
        stored.delete()
    assert Publication.objects.get(pk=publication.pk).digest == publication.digest


def test_verify_publication_detects_a_tampered_total(competition, scored, official):
    scored()
    publication = publish(competition, official)
    out = StringIO()
    call_command("verify_publication", publication.pk, stdout=out)
    assert "일치" in out.getvalue() and "불일치" not in out.getvalue()

    def change(snapshot):
        sheet = next(s for s in snapshot["inputs"]["sheets"] if s["proposal"] == "R-0003")
        sheet["total"] = "120.00"

    tampered = _tamper(publication, change)
    ok, messages = verify(tampered)
    assert not ok
    assert any("불일치" in m and "SHA-256" in m for m in messages) or any("불일치" in m for m in messages)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_publication", publication.pk, stdout=out)
    assert "불일치" in out.getvalue()


def test_verify_detects_a_changed_outcome_even_with_a_matching_digest(competition, scored, official):
    scored()
    publication = publish(competition, official)

    def change(snapshot):
        hub = snapshot["outcome"]["ranking"]["categories"][0]["tracks"][0]["ranking"]
        hub[1]["status"], hub[2]["status"] = hub[2]["status"], hub[1]["status"]

    tampered = _tamper(publication, change)
    digest = snapshot_digest(tampered.snapshot)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE evaluation_publication SET digest = %s WHERE id = %s", [digest, publication.pk]
        )
    ok, messages = verify(Publication.objects.get(pk=publication.pk))
    assert not ok
    assert messages[0].startswith("결과: 불일치")
    assert messages[1].startswith("SHA-256: 일치")


def test_a_correction_supersedes_and_both_are_kept(competition, scored, official, submit_sheet):
    proposals = scored()
    first = publish(competition, official)
    sheet = Scoresheet.objects.get(
        assignment__proposal=proposals[3], assignment__reviewer__user__username="kim"
    )
    sheets.reopen(sheet, "오기 정정", official)
    submit_sheet(sheet.assignment, [40, 40, 39])
    out = StringIO()
    call_command(
        "publish", competition=competition.slug, by=official.username, reason="오기 정정", stdout=out
    )
    second = Publication.objects.get(number=2)
    assert "1" in out.getvalue() and second.digest in out.getvalue()
    assert second.supersedes == first
    assert Publication.objects.get(pk=first.pk).superseded_by == second
    assert second.snapshot["supersedes"] == {"number": 1, "digest": first.digest}
    assert Publication.objects.filter(competition=competition).count() == 2
    assert Publication.objects.get(pk=first.pk).snapshot == first.snapshot
    assert verify(first)[0] and verify(second)[0]


def test_publish_command_names_an_unknown_user(competition):
    with pytest.raises(CommandError, match="nobody"):
        call_command("publish", competition=competition.slug, by="nobody", stdout=StringIO())


@pytest.mark.parametrize("seed", range(6))
def test_the_outcome_recomputed_from_inputs_matches_the_ranking(
    seed, competition, make_reviewer, make_proposal, official
):
    """Two stages, top-k advancement, a pooled category, adjustments, ties: ``publish`` only
    succeeds when the pure recomputation agrees, and ``verify`` agrees again afterwards."""
    rng = random.Random(seed)
    competition.final_score = rng.choice(["last", "weighted"])
    competition.trim_min_reviewers = 4
    competition.save()
    if seed % 2:
        small = competition.categories.get(code="small")
        small.slots = 3
        small.save()
        small.tracks.update(slots=None)
    first = Stage.objects.create(
        competition=competition,
        code="doc",
        name="서면평가",
        order=1,
        weight=40,
        advance_top_multiple=Decimal("1.5"),
    )
    last = Stage.objects.create(competition=competition, code="pt", name="발표평가", order=2, weight=60)
    from evaluation.models import Rubric, Score

    codes = {}
    for stage in (first, last):
        rubric = Rubric.objects.create(stage=stage)
        codes[stage.pk] = [
            Criterion.objects.create(
                rubric=rubric, code=f"C{n}", name=f"항목 {n}", max_points=20, tie_break_priority=n, order=n
            )
            for n in (1, 2)
        ]
    reviewers = [make_reviewer(f"r{seed}-{n}") for n in range(5)]
    proposals = [
        make_proposal(
            track=rng.choice(["hub", "climate", "depopulation"]),
            national_subsidy=rng.choice([100, 120, 200]),
            status=rng.choice(["submitted"] * 8 + ["ineligible", "withdrawn"]),
        )
        for _ in range(18)
    ]
    for stage in (first, last):
        for proposal in proposals:
            for reviewer in rng.sample(reviewers, rng.choice([3, 4, 5])):
                assignment = Assignment.objects.create(stage=stage, proposal=proposal, reviewer=reviewer)
                points = [Decimal(rng.choice([14, 15, 16])), Decimal(rng.choice([14, 15]))]
                sheet = Scoresheet.objects.create(
                    assignment=assignment, status="submitted", total=sum(points)
                )
                for criterion, value in zip(codes[stage.pk], points, strict=True):
                    Score.objects.create(sheet=sheet, criterion=criterion, points=value)
    for proposal in rng.sample(proposals, 3):
        Adjustment.objects.create(
            proposal=proposal,
            points=Decimal(rng.choice([-7, -1, 2, 6])),
            reason="가감점",
            recorded_by=official,
        )
    record_submissions(Scoresheet.objects.filter(assignment__stage__competition=competition))
    ranking = rank_competition(competition)
    for order, row in enumerate(ranking.draws_required, start=1):
        Draw.objects.create(proposal_id=row.id, order=order, method="추첨", recorded_by=official)
    publication = publish(competition, official)
    assert publication.snapshot["outcome"]["ranking"] == json.loads(
        canonical_json(ranking_document(rank_competition(competition)))
    )
    assert verify(publication)[0]
    assert Proposal.objects.filter(competition=competition).count() == 18


def test_an_affiliation_changed_after_the_assignment_is_caught_before_publishing(
    competition, scored, official
):
    """SPEC §3: a conflicted assignment never counts. Kim joined a partner organisation of every
    proposal after scoring them: the check names it, publishing records the 제척 and stops, and
    the next publication counts the other reviewers' sheets only."""
    from evaluation.models import Conflict, Reviewer

    proposals = scored()
    with audit_context(None, "소속 변경 신고"):
        Reviewer.objects.filter(user__username="kim").update(affiliation="한국교통연구원")
    problems = check_publishable(competition)
    assert len(problems) == 5
    assert problems[0] == (
        "위원 kim → R-0001 시험시 001(서면평가): 평가위원의 소속 한국교통연구원이 이 사업의 참여기관입니다. "
        "이 제척을 기록한 이해충돌이 없어 이 위원의 평가표가 아직 점수에 들어갑니다. 공개하면 제척을 기록하고"
        "(그 평가표는 점수에서 빠집니다) 멈추므로, 바뀐 순위를 확인한 뒤 다시 공개하십시오."
    )
    with pytest.raises(PublicationRefused) as refused:
        publish(competition, official)
    assert refused.value.messages[0] == (
        "배정 뒤에 생긴 이해충돌을 찾아 기록했습니다. 해당 평가표는 이제 점수에 들어가지 않습니다. 순위를 "
        "확인한 뒤 다시 공개하십시오. 아무것도 공개하지 않았습니다."
    )
    assert Publication.objects.count() == 0
    assert Conflict.objects.filter(reviewer__user__username="kim", kind="automatic").count() == 5
    entry = AuditEntry.objects.filter(action="conflict.created").latest("sequence")
    assert entry.actor == official and entry.reason == "결과 공개 전 이해충돌 재확인"

    publication = publish(competition, official)
    sheets = publication.snapshot["inputs"]["sheets"]
    assert len(sheets) == 10 and {s["proposal"] for s in sheets} == {p.reference for p in proposals.values()}
