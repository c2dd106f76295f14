"""Publishing closes the evaluation (``evaluation.sheets``): after a publication no sheet changes on
any path — services from a shell, ``import_scores`` — unless an official reopened it with a written
reason; the next publication (a correction) lists what changed (``evaluation.corrections``)."""

import contextlib
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.roles import Role
from evaluation import sheets
from evaluation.corrections import describe_changes, snapshot_changes
from evaluation.models import Adjustment, Assignment, Draw, Publication, Score, Scoresheet, Stage
from evaluation.publication import publish, verify
from evaluation.sheets import SheetError, SheetInput, criteria_for
from proposals.models import AuditEntry, Competition, Proposal

pytestmark = pytest.mark.django_db

CLOSED = (
    "이 공모의 결과가 공개되어 평가가 마감되었으므로 이 평가표는 더 이상 고칠 수 없습니다. "
    "고쳐야 한다면 담당 공무원에게 사유를 적어 평가표를 재개해 달라고 요청해 주세요."
)
REASON_MISSING = "재개 사유를 적어 주세요."


@pytest.fixture
def official(user_factory):
    return user_factory(Role.OFFICIAL, "official-close")


@pytest.fixture
def world(competition, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet):
    """Hub: P1 100 (kim, lee), P2 90 (kim, lee), P3 75 (kim; lee's sheet a draft, park's not
    started). Totals of 120 points; minimum 60; two slots and one reserve."""
    make_criteria(3, max_points=Decimal(40))
    kim, lee, park = (make_reviewer(name) for name in ("kim", "lee", "park"))
    proposals = [make_proposal() for _ in range(3)]
    for proposal, points in zip(proposals, ([35, 35, 30], [30, 30, 30], [25, 25, 25]), strict=True):
        submit_sheet(make_assignment(proposal, kim, confirmed=True), points)
    submit_sheet(make_assignment(proposals[0], lee, confirmed=True), [35, 35, 30])
    submit_sheet(make_assignment(proposals[1], lee, confirmed=True), [30, 30, 30])
    draft = make_assignment(proposals[2], lee, confirmed=True)
    submit_sheet(draft, [20, None, None], draft_only=True)
    not_started = make_assignment(proposals[2], park, confirmed=True)
    return {"proposals": proposals, "draft": draft, "not_started": not_started, "kim": kim}


def written():
    """Every row a change to a sheet could write."""
    return (
        list(Scoresheet.objects.order_by("pk").values_list()),
        list(Score.objects.order_by("pk").values_list()),
        AuditEntry.objects.count(),
    )


def data_for(assignment, points):
    criteria = criteria_for(assignment.stage, assignment.proposal.track)
    return SheetInput(points={c.pk: Decimal(p) for c, p in zip(criteria, points, strict=True)})


def version_of(assignment):
    sheet = Scoresheet.objects.filter(assignment=assignment).first()
    return sheet.version if sheet else 1


def kim_sheet(world, index=2):
    return Scoresheet.objects.get(
        assignment__proposal=world["proposals"][index], assignment__reviewer=world["kim"]
    )


def test_a_service_call_from_a_shell_is_refused_once_published(world, competition, official):
    publish(competition, official, override_reason="위원 1명 연락 두절")
    before = written()
    for assignment in (world["draft"], world["not_started"], kim_sheet(world).assignment):
        for action in (sheets.save_draft, sheets.submit):
            with pytest.raises(SheetError) as refused:
                action(
                    assignment,
                    version_of(assignment),
                    data_for(assignment, [30, 30, 30]),
                    assignment.reviewer.user,
                )
            assert (refused.value.code, refused.value.message) == ("closed", CLOSED)
    assert written() == before
    assert not Scoresheet.objects.filter(assignment=world["not_started"]).exists()


def test_closing_follows_the_publication_not_the_competition_status(world, competition, official):
    publish(competition, official, override_reason="위원 1명 연락 두절")
    Competition.objects.update(status=Competition.Status.REVIEWING)  # an admin's edit
    with pytest.raises(SheetError) as refused:
        sheets.save_draft(
            world["draft"], version_of(world["draft"]), data_for(world["draft"], [1, 1, 1]), None
        )
    assert refused.value.code == "closed"


def test_before_a_publication_sheets_stay_open(world):
    sheet = sheets.submit(
        world["draft"], version_of(world["draft"]), data_for(world["draft"], [20, 20, 20]), None
    )
    assert sheet.is_submitted and sheet.total == 60


def test_a_reopen_without_a_reason_is_refused_and_writes_nothing(world, competition, official):
    publish(competition, official, override_reason="위원 1명 연락 두절")
    before = written()
    for target in (kim_sheet(world), world["draft"], world["not_started"]):
        for reason in ("", "   ", None):
            with pytest.raises(SheetError) as refused:
                sheets.reopen(target, reason, official)
            assert (refused.value.code, refused.value.message) == ("reason", REASON_MISSING)
    assert written() == before


def test_after_a_publication_a_draft_and_a_sheet_not_started_can_be_reopened(world, competition, official):
    publication = publish(competition, official, override_reason="위원 1명 연락 두절")
    draft = sheets.reopen(world["draft"], "연락이 닿아 평가를 마무리함", official)
    started = sheets.reopen(world["not_started"], "추가 평가 요청", official)
    for sheet, reason in ((draft, "연락이 닿아 평가를 마무리함"), (started, "추가 평가 요청")):
        sheet.refresh_from_db()
        assert sheet.status == Scoresheet.Status.DRAFT
        assert sheet.reopen_reason == reason and sheet.reopened_at is not None
        assert sheet.reopened_after_id == publication.pk
        entry = AuditEntry.objects.filter(object_type="scoresheet", object_id=str(sheet.pk), reason=reason)
        assert entry.filter(actor=official).exists()
    # The draft keeps its points and takes more; a second reopening is refused: it is open.
    saved = sheets.save_draft(world["draft"], draft.version, data_for(world["draft"], [20, 21, 22]), None)
    assert saved.version == draft.version + 1
    with pytest.raises(SheetError) as refused:
        sheets.reopen(world["draft"], "다시", official)
    assert refused.value.code == "open"
    # Submitting closes it again.
    sheets.submit(world["draft"], saved.version, data_for(world["draft"], [20, 21, 22]), None)
    before = written()
    with pytest.raises(SheetError):
        sheets.save_draft(world["draft"], saved.version + 1, data_for(world["draft"], [1, 1, 1]), None)
    assert written() == before


def test_before_a_publication_only_a_submitted_sheet_is_reopened(world, official):
    before = written()
    for target in (world["draft"], world["not_started"]):
        with pytest.raises(SheetError) as refused:
            sheets.reopen(target, "사유", official)
        assert (refused.value.code, refused.value.message) == (
            "not_submitted",
            "제출된 평가표만 재개할 수 있습니다.",
        )
    assert written() == before


def test_a_new_publication_closes_a_sheet_reopened_before_it(world, competition, official):
    publish(competition, official, override_reason="위원 1명 연락 두절")
    sheet = sheets.reopen(kim_sheet(world), "오기 정정", official)
    publish(
        competition, official, override_reason="다시 공개", correction_reason="오기 정정"
    )  # kim's sheet is outstanding now
    with pytest.raises(SheetError) as refused:
        sheets.submit(sheet.assignment, sheet.version, data_for(sheet.assignment, [40, 40, 40]), None)
    assert refused.value.code == "closed"
    assert Scoresheet.objects.get(pk=sheet.pk).status == Scoresheet.Status.DRAFT


# --- The correction lists what changed -----------------------------------------------------------


def test_a_first_publication_has_no_changes(world, competition, official):
    publication = publish(competition, official, override_reason="위원 1명 연락 두절")
    assert publication.snapshot["changes"] is None
    assert describe_changes(publication.snapshot) == []


def test_reopen_resubmit_and_publish_again_lists_exactly_that_change(world, competition, official):
    first = publish(competition, official, override_reason="위원 1명 연락 두절")
    # P3 is 75 (kim alone counts): a reserve. kim's corrected sheet makes it 120: first place.
    sheet = sheets.reopen(kim_sheet(world), "C2 점수 입력 오류 정정 요청", official)
    sheets.submit(
        sheet.assignment, sheet.version, data_for(sheet.assignment, [40, 40, 40]), world["kim"].user
    )
    out = StringIO()
    call_command(
        "publish",
        competition=competition.slug,
        by=official.username,
        override_reason="위원 1명 연락 두절",
        reason="C2 점수 입력 오류 정정",
        stdout=out,
    )
    second = Publication.objects.get(number=2)
    changes = second.snapshot["changes"]
    reference = world["proposals"][2].reference
    assert changes["sheets"] == [
        {
            "change": "changed",
            "stage": "test-written",
            "proposal": reference,
            "reviewer": "A",
            "before": "75.00",
            "after": "120.00",
        }
    ]
    assert changes["adjustments"] == changes["draws"] == changes["proposals"] == changes["rules"] == []
    outcome = {row["reference"]: (row["before"], row["after"]) for row in changes["outcome"]}
    p1, p2, p3 = (p.reference for p in world["proposals"])
    assert outcome == {
        p3: (
            {"rank": 3, "score": "75.00", "status": "reserve"},
            {"rank": 1, "score": "120.00", "status": "selected"},
        ),
        p1: (
            {"rank": 1, "score": "100.00", "status": "selected"},
            {"rank": 2, "score": "100.00", "status": "selected"},
        ),
        p2: (
            {"rank": 2, "score": "90.00", "status": "selected"},
            {"rank": 3, "score": "90.00", "status": "reserve"},
        ),
    }
    # Under the digest, verifiable, and printed by the command.
    assert verify(second)[0] and verify(first)[0]
    text = out.getvalue()
    assert "제1차 공개 이후 정정 사항:" in text
    assert f"- 평가표 변경 — 서면평가, {reference} 시험시 003, 평가위원 A: 총점 75.00 → 120.00" in text
    assert (
        f"- 결과 변경 — 거점형, {reference} 시험시 003: 순위 3 → 1, 점수 75.00 → 120.00, 상태 예비 → 선정"
        in text
    )


def test_snapshot_changes_lists_every_kind_of_input(world, competition, official):
    first = publish(competition, official, override_reason="위원 1명 연락 두절")
    p1, p2, p3 = world["proposals"]
    Adjustment.objects.create(proposal=p2, points=Decimal("2"), reason="지역 균형 가점", recorded_by=official)
    Draw.objects.create(proposal=p3, order=1, method="제비뽑기", recorded_by=official)
    Proposal.objects.filter(pk=p1.pk).update(status=Proposal.Status.WITHDRAWN)
    Competition.objects.update(minimum_score=Decimal("80"))
    Stage.objects.filter(code="test-written").update(advance_cutoff=None, name="서면 평가")
    second = publish(competition, official, override_reason="위원 1명 연락 두절", correction_reason="정정")
    changes = second.snapshot["changes"]
    assert changes == snapshot_changes(first.snapshot, second.snapshot["inputs"], second.snapshot["outcome"])
    assert changes["sheets"] == []
    assert changes["adjustments"] == [
        {"change": "added", "proposal": p2.reference, "points": "2.00", "reason": "지역 균형 가점"}
    ]
    assert changes["draws"] == [{"change": "added", "proposal": p3.reference, "before": None, "after": 1}]
    assert changes["proposals"] == [
        {
            "change": "changed",
            "proposal": p1.reference,
            "applicant": "시험시 001",
            "fields": {"status": ["submitted", "withdrawn"]},
        }
    ]
    assert changes["rules"] == [
        {"setting": "rules.minimum_score", "before": "60.00", "after": "80.00"},
        {"setting": "stages.test-written.name", "before": "서면평가", "after": "서면 평가"},
    ]
    lines = describe_changes(second.snapshot)
    assert f"가점·감점 추가 — {p2.reference} 시험시 002: 2.00 (지역 균형 가점)" in lines
    assert f"추첨 기록 — {p3.reference} 시험시 003: 순서 1" in lines
    assert f"제안 변경 — {p1.reference} 시험시 001, 상태: 접수 → 철회" in lines
    assert "규칙 변경 — 최저 점수: 60.00 → 80.00" in lines


def test_reordered_snapshot_lists_are_no_change():
    inputs = {
        "rules": {"trim_count": 1},
        "stages": [{"code": "s", "name": "서면"}],
        "categories": [],
        "proposals": [],
        "sheets": [
            {"stage": "s", "proposal": "R1", "reviewer": "A", "total": "10.00"},
            {"stage": "s", "proposal": "R1", "reviewer": "B", "total": "20.00"},
        ],
        "criterion_averages": [],
        "adjustments": [{"proposal": "R1", "points": "1.00", "reason": "x"}] * 2,
        "draws": [],
    }
    outcome = {"ranking": {"categories": []}}
    shuffled = {**inputs, "sheets": inputs["sheets"][::-1]}
    changes = snapshot_changes({"inputs": inputs, "outcome": outcome}, shuffled, outcome)
    assert all(value == [] for value in changes.values())
    one_less = {**inputs, "adjustments": inputs["adjustments"][:1]}
    changes = snapshot_changes({"inputs": inputs, "outcome": outcome}, one_less, outcome)
    assert changes["adjustments"] == [
        {"change": "removed", "proposal": "R1", "points": "1.00", "reason": "x"}
    ]


# --- import_scores after publication ------------------------------------------------------------

HEADER = ["평가위원", "접수번호", "C1", "C2", "C3", "C4", "C5", "의견"]
GOOD = [25, 15, 12, 16, 12]


def run_import(path, *extra):
    """The command's output; it exits 1 (CommandError) on a row error, and the output says why."""
    out = StringIO()
    with contextlib.suppress(CommandError):
        call_command(
            "import_scores", str(path), *extra, competition="smartcity-2023", stage="document", stdout=out
        )
    return out.getvalue()


def test_import_scores_after_publication_refuses_a_row_that_would_change_a_sheet(
    staged, make_reviewer, make_xlsx, official
):
    kim, lee = make_reviewer("kim", "한국대학교"), make_reviewer("lee", "서울연구원")
    first = make_xlsx([[kim.email, "2023-H-04", *GOOD, "우수"]], header=HEADER)
    assert "신규 1건" in run_import(first)
    publish(staged, official)
    before = written(), list(Assignment.objects.order_by("pk").values_list())

    # The same file again: unchanged, nothing to refuse.
    assert "모든 행이 이미 최신입니다." in run_import(first)
    # A new sheet, and another value for the submitted one: both refused, nothing written.
    output = run_import(
        make_xlsx(
            [[kim.email, "2023-H-04", 26, 15, 12, 16, 12, "우수"], [lee.email, "2023-H-07", *GOOD, "양호"]],
            header=HEADER,
        )
    )
    assert "파일에 오류가 있어 아무것도 기록하지 않았습니다:" in output
    lines = output.splitlines()
    assert f"  2행 '평가위원': {CLOSED}" in lines
    assert f"  3행 '평가위원': {CLOSED}" in lines
    assert (written(), list(Assignment.objects.order_by("pk").values_list())) == before

    # Reopened by an official, kim's sheet takes the file's new values, once the command confirms
    # that the published result will need a correction.
    sheet = Scoresheet.objects.get(assignment__reviewer=kim)
    sheets.reopen(sheet, "위원 요청으로 정정", official)
    reopened = written()
    path = make_xlsx([[kim.email, "2023-H-04", 26, 15, 12, 16, 12, "우수"]], header=HEADER)
    output = run_import(path)
    assert "--confirm-after-publication 을 붙여 다시 실행해 주세요. 아무것도 기록하지 않았습니다." in output
    assert written() == reopened
    output = run_import(path, "--confirm-after-publication")
    assert "변경 1건" in output and "정정 공개해 주세요." in output
    sheet.refresh_from_db()
    assert sheet.is_submitted and sheet.total == 81
