"""A reviewer's submission racing a publication (issue 5 item 2): the publication either includes
the sheet or refuses (or, with a written reason, publishes without it) — never a snapshot taken
half before and half after the submission.

``publish`` locks the competition's row FOR UPDATE before it reads anything; saving, submitting
and reopening a sheet take the same row FOR SHARE (``lock_competition_shared`` in
``evaluation.sheets._locked_sheet``) before they read the sheet. Both orders are raced:

- the submission first, stopped inside its transaction: the publication waits for it and then
  includes the sheet (without the share lock it would not wait and would refuse);
- the publication first, stopped between its reads (after the ranking, before the checks and the
  snapshot): the submission waits before it even reads the sheet (without the share lock it
  would read and write in the middle of the publication), and once the publication is made it is
  refused: publishing closes the evaluation.
"""

from decimal import Decimal

import pytest

from accounts.roles import Role
from evaluation import sheets
from evaluation.engine import published_outcome
from evaluation.models import Publication, Scoresheet
from evaluation.publication import PublicationRefused, canonical_json, publish, publishing, verify
from evaluation.ranking import rank_competition, ranking_document
from evaluation.sheets import SheetInput, criteria_for
from proposals.models import AuditEntry, Competition

from .conftest import waiting_for_lock

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def race_setup(competition, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet):
    """Three hub proposals and two reviewers; every sheet is submitted except lee's sheet of
    the third proposal (a draft). Totals: 100/100, 90/90, 80/(lee's)."""
    make_criteria(3, max_points=Decimal(40))
    kim, lee = make_reviewer("kim"), make_reviewer("lee")
    points = [([35, 35, 30], [35, 35, 30]), ([30, 30, 30], [30, 30, 30]), ([30, 25, 25], None)]
    outstanding = None
    for kim_points, lee_points in points:
        proposal = make_proposal()
        submit_sheet(make_assignment(proposal, kim, confirmed=True), kim_points)
        late = make_assignment(proposal, lee, confirmed=True)
        if lee_points is None:
            submit_sheet(late, [1, 1, None], draft_only=True)
            outstanding = late
        else:
            submit_sheet(late, lee_points)
    return outstanding


@pytest.fixture
def official(user_factory):
    return user_factory(Role.OFFICIAL, "official-race")


def late_submission(assignment):
    """lee submits the outstanding sheet (90 points) from the page opened at its current version."""
    version = Scoresheet.objects.get(assignment=assignment).version
    criteria = criteria_for(assignment.stage, assignment.proposal.track)
    data = SheetInput(points={c.pk: Decimal(30) for c in criteria})
    return lambda: sheets.submit(assignment, version, data, assignment.reviewer.user)


def totals_of(snapshot, reference):
    return sorted(s["total"] for s in snapshot["inputs"]["sheets"] if s["proposal"] == reference)


def test_a_submission_under_way_is_included_by_the_publication(race_setup, official, gate, workers):
    """Submit first: the submission is stopped after it locked and checked the sheet, before it
    writes. The publication then waits for it (FOR UPDATE behind FOR SHARE) and, once it has
    committed, publishes with the sheet in its inputs."""
    stop = gate(sheets, "_write_scores")
    (submission,) = workers(("submit", late_submission(race_setup)))
    stop.wait_entered()
    (publisher,) = workers(("publish", lambda: publish(race_setup.stage.competition, official)))
    waited = waiting_for_lock(publisher)
    stop.release()

    assert waited, "the publication did not wait for the submission under way"
    published = publisher.outcome()
    assert submission.outcome().is_submitted
    reference = race_setup.proposal.reference
    snapshot = Publication.objects.get(pk=published.pk).snapshot
    assert totals_of(snapshot, reference) == ["80.00", "90.00"]
    assert len(snapshot["inputs"]["sheets"]) == 6
    # The whole snapshot is one state: its outcome is the ranking of the data now, and the
    # outcome recomputed from its inputs.
    competition = Competition.objects.get()
    assert snapshot["outcome"]["ranking"] == ranking_document(rank_competition(competition))
    assert canonical_json(published_outcome(snapshot["inputs"], competition.slug)) == canonical_json(
        snapshot["outcome"]
    )
    assert verify(Publication.objects.get(pk=published.pk))[0]
    assert competition.status == Competition.Status.PUBLISHED


@pytest.mark.parametrize("override_reason", ["", "위원 1명 연락 두절"])
def test_a_submission_during_a_publication_waits_for_it(
    override_reason, race_setup, official, gate, workers, monkeypatch
):
    """Publish first: the publication is stopped after it locked the competition and ranked it,
    before its checks and snapshot. The submission arriving then waits before it reads the sheet;
    the publication refuses for the missing sheet, and only afterwards is the sheet submitted —
    or, with a written reason, publishes without it (a consistent cut), and the submission then
    finds the evaluation closed and writes nothing."""
    stop = gate(publishing, "publication_checks")  # where publish() looks it up
    written_while_publishing = []
    write_scores = sheets._write_scores

    def recording(*args, **kwargs):
        written_while_publishing.append(not stop.released.is_set())
        return write_scores(*args, **kwargs)

    monkeypatch.setattr(sheets, "_write_scores", recording)
    competition = race_setup.stage.competition
    (publisher,) = workers(("publish", lambda: publish(competition, official, override_reason)))
    stop.wait_entered()
    (submission,) = workers(("submit", late_submission(race_setup)))
    waited = waiting_for_lock(submission)
    stop.release()

    assert waited, "the submission did not wait for the publication"
    reference = race_setup.proposal.reference
    if not override_reason:
        assert submission.outcome().is_submitted
        assert written_while_publishing == [False], "the submission read and wrote during the publication"
        with pytest.raises(PublicationRefused) as refused:
            publisher.outcome()
        assert refused.value.codes == {"sheets"}
        assert refused.value.messages[0].startswith("평가 중인 사업이 1건 있습니다.")  # SPEC §8.6
        assert reference in refused.value.messages[1]
        assert not Publication.objects.exists()
        assert Competition.objects.get().status != Competition.Status.PUBLISHED
    else:
        # The publication closed the evaluation: the submission, let through only after it
        # committed, finds it and is refused without writing (evaluation.sheets).
        with pytest.raises(sheets.SheetError) as closed:
            submission.outcome()
        assert closed.value.code == "closed"
        assert written_while_publishing == []
        assert Scoresheet.objects.get(assignment=race_setup).status == Scoresheet.Status.DRAFT
        published = Publication.objects.get(pk=publisher.outcome().pk)
        snapshot = published.snapshot
        assert totals_of(snapshot, reference) == ["80.00"]  # without the late sheet, entirely
        assert snapshot["override_reason"] == override_reason
        assert canonical_json(published_outcome(snapshot["inputs"], competition.slug)) == canonical_json(
            snapshot["outcome"]
        )
        assert verify(published)[0]
        hub = snapshot["outcome"]["ranking"]["categories"][0]["tracks"][0]["ranking"]
        assert [(row["reference"], row["score"]) for row in hub][2] == (reference, "80.00")


def test_a_reopening_during_a_publication_waits_for_it(race_setup, official, gate, workers):
    """An official reopens a submitted sheet while another publishes (stopped between its
    reads): the reopening waits, so the publication holds the sheet as submitted — entirely —
    and the sheet is reopened only after the publication was made."""
    stop = gate(publishing, "publication_checks")  # where publish() looks it up
    competition = race_setup.stage.competition
    sheet = Scoresheet.objects.get(
        assignment__proposal=race_setup.proposal, assignment__reviewer__user__username="kim"
    )
    (publisher,) = workers(("publish", lambda: publish(competition, official, "위원 1명 연락 두절")))
    stop.wait_entered()
    (reopening,) = workers(("reopen", lambda: sheets.reopen(sheet, "오기 정정", official)))
    waited = waiting_for_lock(reopening)
    stop.release()

    assert waited
    published = Publication.objects.get(pk=publisher.outcome().pk)
    assert reopening.outcome().status == Scoresheet.Status.DRAFT
    assert totals_of(published.snapshot, race_setup.proposal.reference) == ["80.00"]
    assert verify(published)[0]
    reopened = AuditEntry.objects.get(object_type="scoresheet", object_id=str(sheet.pk), reason="오기 정정")
    assert reopened.created_at > published.published_at, "the sheet was reopened during the publication"
