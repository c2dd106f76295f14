"""A published competition with result letters issued (issue 13), for the letter and appeal tests:
import the fixtures with ``from tests.letters import lettered, letters_official  # noqa: F401``.

Hub: three proposals scored by five reviewers each (the trimmed mean drops one high and one
low sheet), each reviewer with an overall comment and a criterion comment; two reviewers of the
pool (``spare``) are assigned to no proposal and may sit on an appeal committee. Letters are
issued through ``evaluation.letters.issue_letters``; their e-mails go out after the commit, so a
test that reads them wraps the call in ``django_capture_on_commit_callbacks(execute=True)``.
"""

from decimal import Decimal

import pytest

from accounts.roles import Role
from evaluation.letters import issue_letters
from evaluation.publication import publish
from evaluation.sheets import SheetInput, criteria_for, submit

# proposal → the five reviewers' points on (C1, C2): totals 70, 66, 64, 60, 50 / 58…
POINTS = {
    1: [(36, 34), (34, 32), (33, 31), (30, 30), (25, 25)],
    2: [(30, 30), (29, 29), (28, 28), (27, 27), (35, 35)],
    3: [(20, 20), (21, 21), (22, 22), (23, 23), (24, 24)],
}


@pytest.fixture
def letters_official(user_factory):
    return user_factory(Role.OFFICIAL, "letters-official")


@pytest.fixture
def lettered(
    competition,
    stage,
    make_criteria,
    make_reviewer,
    make_proposal,
    make_assignment,
    letters_official,
    mailoutbox,
):
    """{"publication", "proposals": {1: …}, "letters": {1: IssuedLetter…}, "reviewers": [5],
    "spare": [2], "official"} — nothing in the mailbox (a test's transaction never commits)."""
    make_criteria(2, max_points=Decimal(40))
    reviewers = [make_reviewer(f"rev{number}") for number in range(1, 6)]
    spare = [make_reviewer(f"spare{number}") for number in range(1, 3)]
    proposals = {}
    for number, sheets in POINTS.items():
        proposal = make_proposal(track="hub", applicant=f"시험시 {number:02d}")
        proposals[number] = proposal
        for index, (reviewer, (first, second)) in enumerate(zip(reviewers, sheets, strict=True)):
            assignment = make_assignment(proposal, reviewer, confirmed=True)
            criteria = criteria_for(assignment.stage, proposal.track)
            data = SheetInput(
                points={criteria[0].pk: Decimal(first), criteria[1].pk: Decimal(second)},
                comments={criteria[0].pk: f"항목 의견 {number}-{index}"},
                comment=f"종합 의견 {number}-{index}",
            )
            submit(assignment, 1, data, reviewer.user)
    publication = publish(competition, letters_official)
    issued = issue_letters(competition, letters_official)
    by_proposal = {issue.letter.proposal_id: issue for issue in issued}
    mailoutbox.clear()
    return {
        "publication": publication,
        "proposals": proposals,
        "letters": {number: by_proposal[proposal.pk] for number, proposal in proposals.items()},
        "reviewers": reviewers,
        "spare": spare,
        "official": letters_official,
    }


def token_of(issued) -> str:
    """The token at the end of an issued letter's link."""
    return issued.link.rstrip("/").rsplit("/", 1)[1]


def filed(lettered, number=3, **overrides):
    """An appeal filed through the letter of proposal ``number`` (``evaluation.appeals.file_appeal``)."""
    from evaluation.appeals import file_appeal
    from evaluation.models import Appeal

    values = {
        "ground": Appeal.Ground.EVALUATOR_ERROR,
        "text": "평가위원 E의 C1 점수가 제출 자료와 다릅니다.",
        "filed_by": "홍길동",
    }
    values.update(overrides)
    return file_appeal(token_of(lettered["letters"][number]), **values)
