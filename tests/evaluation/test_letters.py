"""Result letters (issue 13) through the services, as a shell or any page calls them."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.roles import Role, RoleRequired
from evaluation.letters import (
    LINK_DAYS_AFTER_APPEALS,
    LetterUnavailable,
    find_letter,
    issue_letters,
    letter_content,
    open_letter,
    revoke_letter,
    token_digest,
)
from evaluation.models import LetterOpening, ResultLetter, appeal_deadline
from tests.letters import lettered, letters_official, token_of  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")


def test_the_deadline_counts_whole_days_after_the_day_of_publication():
    published = datetime(2023, 3, 10, 14, 0, tzinfo=SEOUL)
    assert appeal_deadline(published, 7) == datetime(2023, 3, 18, 0, 0, tzinfo=SEOUL)
    late = datetime(2023, 3, 10, 23, 59, tzinfo=SEOUL)  # 14:59 UTC: still the 10th in Seoul
    assert appeal_deadline(late.astimezone(ZoneInfo("UTC")), 1) == datetime(2023, 3, 12, 0, 0, tzinfo=SEOUL)


def test_a_letter_says_what_was_published(lettered):
    content = lettered["letters"][1].letter.content
    assert content["publication"]["number"] == lettered["publication"].number
    assert content["publication"]["digest"] == lettered["publication"].digest
    assert content["proposal"]["applicant"] == "시험시 01"
    assert content["result"] == {
        "score": "63.33",  # (66 + 64 + 60) / 3: the 70 and the 50 dropped
        "adjustment": None,
        "rank": 1,
        "group_size": 3,
        "status": "selected",
        "status_label": "선정",
        "applicants": 3,
        "slots": 2,
        "ratio": "1.5:1",
    }
    (stage,) = content["stages"]
    assert stage["score"] == "63.33"
    # In score order, never the roster's; the trimmed ones marked.
    assert [(s["code"], s["total"], s["dropped"]) for s in stage["sheets"]] == [
        ("A", "70.00", "high"),
        ("B", "66.00", ""),
        ("C", "64.00", ""),
        ("D", "60.00", ""),
        ("E", "50.00", "low"),
    ]
    # Proposal 2: reviewer E gave the highest total; it comes first, not last.
    second = lettered["letters"][2].letter.content["stages"][0]["sheets"]
    assert [s["code"] for s in second] == ["E", "A", "B", "C", "D"]
    assert [s["dropped"] for s in second] == ["high", "", "", "", "low"]
    # Criterion averages of the kept sheets only: C1 (34 + 33 + 30) / 3, C2 (32 + 31 + 30) / 3.
    assert [(c["code"], c["max"], c["average"]) for c in stage["criteria"]] == [
        ("C1", "40", "32.33"),
        ("C2", "40", "31.00"),
    ]


def test_comments_are_anonymised(lettered):
    stage = lettered["letters"][1].letter.content["stages"][0]
    assert stage["comments"]["overall"] == [f"종합 의견 1-{index}" for index in range(5)]
    assert stage["comments"]["criteria"] == [
        {"code": "C1", "name": "평가항목 1", "comments": [f"항목 의견 1-{index}" for index in range(5)]}
    ]
    text = str(lettered["letters"][1].letter.content)
    for reviewer in lettered["reviewers"]:
        assert reviewer.name not in text and reviewer.email not in text


def test_issuing_sends_each_contact_its_link(
    competition, letters_official, lettered, mailoutbox, django_capture_on_commit_callbacks
):
    proposal = lettered["proposals"][1]
    with django_capture_on_commit_callbacks(execute=True):
        (issued,) = issue_letters(competition, letters_official, [proposal.pk])
    (mail,) = mailoutbox
    assert mail.to == [proposal.contact_email]
    assert mail.subject == "[2023년 스마트시티 조성사업] 평가결과 통보서"
    assert issued.link in mail.body
    last_day = timezone.localtime(appeal_deadline(lettered["publication"].published_at, 7)) - timedelta(
        days=1
    )
    assert f"- 이의신청 접수 마감: {last_day:%Y-%m-%d} 24:00\n" in mail.body
    assert "63.33" not in mail.body  # never a score by e-mail
    letter = ResultLetter.objects.get(pk=issued.letter.pk)
    assert letter.delivery == ResultLetter.Delivery.SENT and letter.sent_at is not None
    # Issued again: the earlier link is revoked, the new one opens.
    earlier = lettered["letters"][1]
    with pytest.raises(LetterUnavailable) as refused:
        open_letter(token_of(earlier))
    assert refused.value.message == "이 주소는 취소되었습니다. 담당 기관에 새 주소를 요청하십시오."
    assert open_letter(token_of(issued)).pk == issued.letter.pk


def test_only_the_tokens_digest_is_stored(lettered):
    issued = lettered["letters"][1]
    token = token_of(issued)
    assert len(token) >= 43  # 256 bits
    letter = ResultLetter.objects.get(pk=issued.letter.pk)
    assert letter.token_sha256 == token_digest(token)
    assert token not in str(ResultLetter.objects.filter(pk=letter.pk).values().get())


def test_each_opening_is_logged(lettered):
    issued = lettered["letters"][1]
    open_letter(token_of(issued), "10.0.0.7")
    open_letter(token_of(issued))
    assert list(LetterOpening.objects.filter(letter=issued.letter).values_list("address", flat=True)) == [
        None,
        "10.0.0.7",
    ]


def test_an_unknown_or_expired_link_does_not_open(lettered):
    with pytest.raises(LetterUnavailable) as refused:
        open_letter("not-a-token")
    assert (
        refused.value.message
        == "이 주소로는 평가결과 통보서를 찾을 수 없습니다. 이메일의 주소를 확인하십시오."
    )
    issued = lettered["letters"][1]
    expected = appeal_deadline(lettered["publication"].published_at, 7) + timedelta(
        days=LINK_DAYS_AFTER_APPEALS
    )
    assert issued.letter.expires_at == expected
    ResultLetter.objects.filter(pk=issued.letter.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(LetterUnavailable) as refused:
        open_letter(token_of(issued))
    assert refused.value.code == "expired"
    assert refused.value.message.startswith("이 주소는 ") and "에 만료되었습니다" in refused.value.message
    assert not LetterOpening.objects.exists()


def test_revoking_needs_a_reason_and_holds(lettered):
    issued, official = lettered["letters"][1], lettered["official"]
    with pytest.raises(LetterUnavailable) as refused:
        revoke_letter(issued.letter, official, "  ")
    assert refused.value.message == "주소를 취소하는 이유를 적으십시오."
    assert ResultLetter.objects.get(pk=issued.letter.pk).revoked_at is None
    revoke_letter(issued.letter, official, "수신자 오기")
    with pytest.raises(LetterUnavailable):
        open_letter(token_of(issued))
    assert find_letter(token_of(issued)).revoke_reason == "수신자 오기"


def test_only_officials_issue_or_revoke(competition, lettered, user_factory):
    reviewer = user_factory(Role.REVIEWER, "not-an-official")
    with pytest.raises(RoleRequired):
        issue_letters(competition, reviewer)
    with pytest.raises(RoleRequired):
        revoke_letter(lettered["letters"][1].letter, reviewer, "이유")
    assert ResultLetter.objects.count() == 3


def test_no_letter_before_a_publication(competition, letters_official):
    with pytest.raises(LetterUnavailable) as refused:
        issue_letters(competition, letters_official)
    assert refused.value.message == (
        "2023년 스마트시티 조성사업에는 아직 공개된 결과가 없습니다. 통보서는 공개된 결과에 따라 발급됩니다."
    )
    assert not ResultLetter.objects.exists()


def test_the_database_holds_one_letter_in_force_and_revocation_reasons(lettered):
    letter = ResultLetter.objects.get(pk=lettered["letters"][1].letter.pk)
    duplicate = ResultLetter(
        publication=letter.publication,
        proposal=letter.proposal,
        content={},
        token_sha256="0" * 64,
        issued_by=letter.issued_by,
        expires_at=letter.expires_at,
    )
    with pytest.raises((IntegrityError, ValidationError)), transaction.atomic():
        duplicate.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        ResultLetter.objects.filter(pk=letter.pk).update(revoked_at=timezone.now())  # no reason


def test_a_letter_follows_the_snapshot_not_later_changes(lettered):
    """The letter of a publication reads the snapshot: a proposal's title changed afterwards does
    not change the title in the letter (the published one)."""
    proposal = lettered["proposals"][1]
    type(proposal).objects.filter(pk=proposal.pk).update(title="바뀐 제목")
    proposal.refresh_from_db()
    content = letter_content(lettered["publication"], proposal)
    assert content["proposal"]["title"] == "스마트시티 사업 1"
    assert Decimal(content["result"]["score"]) == Decimal("63.33")


def test_a_proposal_the_publication_does_not_rank_gets_no_letter(competition, lettered, make_proposal):
    late = make_proposal(track="hub", applicant="늦은 접수시")
    with pytest.raises(LetterUnavailable) as refused:
        issue_letters(competition, lettered["official"], [lettered["proposals"][1].pk, late.pk])
    assert (
        refused.value.message
        == f"제1차 공개에는 {late.reference} 사업이 없습니다. 통보서를 발급하지 않았습니다."
    )
    assert ResultLetter.objects.count() == 3


def test_equal_totals_list_the_dropped_highest_first_and_the_dropped_lowest_last():
    from evaluation.letters import _stage_sheets

    found = [
        ("A", Decimal(80)),
        ("B", Decimal(80)),
        ("C", Decimal(70)),
        ("D", Decimal(70)),
        ("E", Decimal(75)),
    ]
    rows = _stage_sheets(found, {"trim_min_reviewers": 5, "trim_count": 1})
    assert [(row["code"], row["dropped"]) for row in rows] == [
        ("A", "high"),
        ("B", ""),
        ("E", ""),
        ("D", ""),
        ("C", "low"),  # the trim drops C of the equal lowest; the kept D is listed above it
    ]


def test_a_letter_is_written_in_korean_whatever_the_issuers_language(lettered):
    from django.utils import translation

    with translation.override("en"):
        content = letter_content(lettered["publication"], lettered["proposals"][1])
    assert content["result"]["status_label"] == "선정"


def test_a_letter_lists_only_the_criteria_of_its_tracks_rubric(lettered, stage, make_criteria, competition):
    """SPEC §8: a stage may score each track on its own rubric. A hub proposal's letter lists the
    hub rubric's criteria, never another track's (shown without an average)."""
    from proposals.models import Track

    climate = Track.objects.get(category__competition=competition, code="climate")
    for criterion in make_criteria(1, tracks=[climate]):
        criterion.code = "K1"
        criterion.save()
    content = letter_content(lettered["publication"], lettered["proposals"][1])
    assert [c["code"] for c in content["stages"][0]["criteria"]] == ["C1", "C2"]


def test_many_letters_cost_the_queries_of_one(lettered, django_assert_num_queries):
    """Issuing or previewing the letters of a whole publication reads a few queries per stage,
    not per letter: the batch costs as much for three proposals as for one, and each letter
    made from it none."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from evaluation.letters import LetterBatch

    publication = lettered["publication"]
    proposals = list(lettered["proposals"].values())
    with CaptureQueriesContext(connection) as one:
        LetterBatch.of(publication, proposals[:1])
    with CaptureQueriesContext(connection) as three:
        batch = LetterBatch.of(publication, proposals)
    assert len(one) == len(three)
    with django_assert_num_queries(0):
        contents = [letter_content(publication, proposal, batch) for proposal in proposals]
    assert contents[0] == letter_content(publication, proposals[0])
