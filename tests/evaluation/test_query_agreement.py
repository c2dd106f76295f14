"""The database path and the pure rules agree (SPEC §4.2, §4.5): random sheets stored through the
ORM, then what the database path loads — ``evaluation.stage_scores.stage_results`` for the pages,
``evaluation.ranking.ranking_inputs`` for the ranking engine (totals, reviewer letters, kept-sheet
tie-break averages) — against ``evaluation.rules.kept_sheets`` / ``trimmed_mean`` on the same
sheets, for several trim settings.

Each example writes its sheets inside a savepoint that is rolled back, so the proposals and
reviewers made once per test are shared by every example."""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluation import rules
from evaluation.models import Assignment, Conflict, Scoresheet
from evaluation.stage_scores import stage_results

pytestmark = pytest.mark.django_db

PROPOSALS = 4
MAX_SHEETS = 9

# (trim_min_reviewers, trim_count): the default, a low threshold, two dropped each side, no trim.
# A competition file must keep trim_min_reviewers > 2 × trim_count (some sheet always remains).
TRIM_SETTINGS = [(5, 1), (3, 1), (7, 2), (5, 2), (1, 0), (5, 0), (9, 4)]

# Totals 0–100 in 0.5 steps; a few favourite values make equal totals (and equal extremes) common.
totals = st.one_of(
    st.integers(min_value=0, max_value=200).map(lambda halves: Decimal(halves) / 2),
    st.sampled_from([Decimal("70"), Decimal("85.5"), Decimal("100"), Decimal("0")]),
)
sheet = st.fixed_dictionaries(
    {
        "total": totals,
        "conflicted": st.sampled_from([False] * 4 + [True]),  # one sheet in five
        "draft": st.sampled_from([False] * 9 + [True]),  # drafts never count either
    }
)
proposal_sheets = st.lists(sheet, min_size=1, max_size=MAX_SHEETS)


@pytest.fixture
def cast(stage, make_reviewer, make_proposal):
    """Proposals and reviewers shared by every example of a test."""
    return (
        [make_proposal(applicant=f"합의시 {n}") for n in range(PROPOSALS)],
        [make_reviewer(f"agree{n}") for n in range(MAX_SHEETS)],
    )


def store(stage, proposals, reviewers, drawn) -> dict:
    """Write the drawn sheets; return, per proposal id, the (sheet id, total) pairs that count."""
    assignments, plans = [], []
    for proposal, sheets in zip(proposals, drawn, strict=False):
        for reviewer, item in zip(reviewers, sheets, strict=False):
            assignments.append(Assignment(stage=stage, proposal=proposal, reviewer=reviewer))
            plans.append(item)
    Assignment.objects.bulk_create(assignments)
    saved = Scoresheet.objects.bulk_create(
        Scoresheet(
            assignment=assignment,
            status=Scoresheet.Status.DRAFT if item["draft"] else Scoresheet.Status.SUBMITTED,
            total=None if item["draft"] else item["total"],
        )
        for assignment, item in zip(assignments, plans, strict=True)
    )
    Conflict.objects.bulk_create(
        Conflict(
            proposal=assignment.proposal,
            reviewer=assignment.reviewer,
            kind=Conflict.Kind.DECLARED,
            reason="회피",
        )
        for assignment, item in zip(assignments, plans, strict=True)
        if item["conflicted"]
    )
    counted: dict[int, list] = {proposal.pk: [] for proposal in proposals}
    for assignment, item, sheet_row in zip(assignments, plans, saved, strict=True):
        if not item["draft"] and not item["conflicted"]:
            counted[assignment.proposal_id].append((sheet_row.pk, item["total"]))
    return counted


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    drawn=st.lists(proposal_sheets, min_size=1, max_size=PROPOSALS),
    trim=st.sampled_from(TRIM_SETTINGS),
)
def test_stage_results_agree_with_the_pure_rules(stage, cast, drawn, trim):
    proposals, reviewers = cast
    trim_min_reviewers, trim_count = trim
    with transaction.atomic():
        competition = stage.competition
        competition.trim_min_reviewers, competition.trim_count = trim_min_reviewers, trim_count
        competition.save(update_fields=["trim_min_reviewers", "trim_count"])
        counted = store(stage, proposals, reviewers, drawn)

        results = stage_results(stage)

        for proposal_id, pairs in counted.items():
            if not pairs:  # every sheet a draft or a conflicted reviewer's: no stage score
                assert proposal_id not in results
                continue
            result = results[proposal_id]
            kept, high, low = rules.kept_sheets(pairs, trim_min_reviewers, trim_count)
            assert (result.kept, result.dropped_high, result.dropped_low) == (kept, high, low)
            expected = rules.trimmed_mean([total for _id, total in pairs], trim_min_reviewers, trim_count)
            assert result.score == expected
            assert rules.round_half_up(result.score) == rules.round_half_up(expected)
        transaction.set_rollback(True)


def test_equal_extremes_drop_the_lowest_sheet_ids(stage, cast):
    """A fixed case next to the random ones: three sheets share the top, two the bottom."""
    proposals, reviewers = cast
    drawn = [
        [
            {"total": Decimal(t), "conflicted": False, "draft": False}
            for t in ("90", "90", "70", "80", "70", "90")
        ]
    ]
    counted = store(stage, proposals, reviewers, drawn)
    pairs = counted[proposals[0].pk]
    result = stage_results(stage)[proposals[0].pk]
    assert result.dropped_high == [pairs[0]] and result.dropped_low == [pairs[2]]
    assert result.score == Decimal(90 + 80 + 70 + 90) / 4


# --- The ranking's loading (``ranking_inputs``, SQL) equals the pure rules on the same sheets ------

criterion_points = st.integers(min_value=0, max_value=100).map(lambda halves: Decimal(halves) / 2)
scored_sheet = st.fixed_dictionaries(
    {
        "points": st.tuples(criterion_points, criterion_points),
        "conflicted": st.sampled_from([False] * 4 + [True]),
        "draft": st.sampled_from([False] * 9 + [True]),
    }
)


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    drawn=st.lists(st.lists(scored_sheet, min_size=1, max_size=MAX_SHEETS), min_size=1, max_size=PROPOSALS),
    trim=st.sampled_from(TRIM_SETTINGS),
    priorities=st.sampled_from([(1, 2), (2, 1), (1, None)]),
)
def test_ranking_inputs_load_what_the_pure_rules_compute(stage, cast, make_criteria, drawn, trim, priorities):
    """Random sheets with two criteria: the counted totals in sheet order, each reviewer's letter
    among all the proposal's assignments, and the kept-sheet averages of the tie-break criteria
    (``rules.kept_sheets`` on the totals) — what ``ranking_inputs`` loads in its one query."""
    from evaluation.models import Criterion, Score
    from evaluation.ranking import ranking_inputs
    from evaluation.reviewer_codes import reviewer_code
    from evaluation.stage_scores import criterion_averages, stage_results

    proposals, reviewers = cast
    with transaction.atomic():
        competition = stage.competition
        competition.trim_min_reviewers, competition.trim_count = trim
        competition.save(update_fields=["trim_min_reviewers", "trim_count"])
        criteria = make_criteria(2, max_points=Decimal(50))
        for criterion, priority in zip(criteria, priorities, strict=True):
            Criterion.objects.filter(pk=criterion.pk).update(tie_break_priority=priority)
        sheets = [[{**item, "total": sum(item["points"])} for item in group] for group in drawn]
        counted = store(stage, proposals, reviewers, sheets)
        points_of = {}
        for proposal, group in zip(proposals, sheets, strict=False):
            for reviewer, item in zip(reviewers, group, strict=False):
                sheet_row = Scoresheet.objects.get(
                    assignment__proposal=proposal, assignment__reviewer=reviewer
                )
                points_of[sheet_row.pk] = item["points"]
                Score.objects.bulk_create(
                    Score(sheet=sheet_row, criterion=criterion, points=value)
                    for criterion, value in zip(criteria, item["points"], strict=True)
                )

        inputs = ranking_inputs(competition, [stage])

        key_of = {p.pk: p.reference or f"#{p.pk}" for p in proposals}
        letters = {}
        for proposal, group in zip(proposals, sheets, strict=False):
            for index, (reviewer, _item) in enumerate(zip(reviewers, group, strict=False)):
                letters[(proposal.pk, reviewer.pk)] = reviewer_code(index)
        expected_sheets, expected_averages = [], []
        tie_order = [
            c.code for c, p in sorted(zip(criteria, priorities, strict=True), key=lambda i: i[1] or 9) if p
        ]
        for proposal in proposals:
            pairs = counted.get(proposal.pk, [])
            reviewer_of = dict(
                Scoresheet.objects.filter(pk__in=[pk for pk, _t in pairs]).values_list(
                    "pk", "assignment__reviewer_id"
                )
            )
            for sheet_id, total in pairs:
                expected_sheets.append(
                    {
                        "stage": stage.code,
                        "proposal": key_of[proposal.pk],
                        "reviewer": letters[(proposal.pk, reviewer_of[sheet_id])],
                        "total": Decimal(total),
                    }
                )
        for proposal in sorted(proposals, key=lambda p: key_of[p.pk]):
            pairs = counted.get(proposal.pk, [])
            if not pairs:
                continue
            kept, _high, _low = rules.kept_sheets(pairs, *trim)
            for code in tie_order:
                n = [c.code for c in criteria].index(code)
                values = [points_of[sheet_id][n] for sheet_id, _total in kept]
                expected_averages.append((key_of[proposal.pk], code, sum(values) / Decimal(len(values))))

        loaded = [{**s, "total": Decimal(s["total"])} for s in inputs["sheets"]]
        assert loaded == expected_sheets  # by proposal, then in sheet order
        assert [
            (a["proposal"], a["criterion"], Decimal(a["average"])) for a in inputs["criterion_averages"]
        ] == (expected_averages)
        # The pages' and the export's averages (every criterion, summed in SQL) agree with them.
        kept_sheets = [sheet for result in stage_results(stage).values() for sheet, _total in result.kept]
        shown = criterion_averages(kept_sheets)
        assert sorted(
            (key_of[proposal_id], code, average)
            for (proposal_id, code), average in shown.items()
            if code in tie_order
        ) == sorted(expected_averages)
        transaction.set_rollback(True)
