"""The result letters and appeals from the command line (issue 13): ``letters`` and ``appeals`` are
thin wrappers over ``evaluation.letters`` and ``evaluation.appeals``; every refusal is the
service's own message (exit code 1) and writes nothing."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.translation import gettext

from accounts.roles import Role, RoleRequired
from evaluation.appeals import AppealRefused, deadline_text, decide_appeal, file_appeal, publication_state
from evaluation.letters import issue_letters, revoke_letter
from evaluation.models import Appeal, AppealCommitteeMember, LetterOpening, ResultLetter
from proposals.models import AuditEntry
from tests.letters import lettered, letters_official, token_of  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def run(command, slug, *args):
    out = StringIO()
    call_command(command, "--competition", slug, *args, stdout=out)
    return out.getvalue()


def refused(command, slug, *args) -> str:
    with pytest.raises(CommandError) as error:
        run(command, slug, *args)
    assert error.value.returncode == 1
    return str(error.value)


def appeal_of(lettered, number=1) -> Appeal:
    return file_appeal(
        token_of(lettered["letters"][number]),
        ground=Appeal.Ground.EVALUATOR_ERROR,
        text="평가위원 합계가 잘못 옮겨졌습니다.",
        filed_by="홍길동",
    )


# --- letters -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_issue_sends_and_counts(competition, lettered, mailoutbox):
    """As on the command line (autocommit): the e-mails go when the letters commit, and the
    command counts those that went."""
    proposal = lettered["proposals"][2]
    type(proposal).objects.filter(pk=proposal.pk).update(contact_email="")
    output = run("letters", competition.slug, "issue", "--by", "letters-official")
    assert output.splitlines()[0] == gettext(
        "Issued %(issued)s letter(s): %(sent)s sent by e-mail, %(without)s without an e-mail address."
    ) % {"issued": 3, "sent": 2, "without": 1}
    assert len(mailoutbox) == 2
    assert ResultLetter.objects.filter(revoked_at__isnull=True, delivery="sent").count() == 2


def test_issue_sends_to_every_contact(competition, lettered, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        output = run("letters", competition.slug, "issue", "--by", "letters-official")
    assert len(mailoutbox) == 3
    assert ResultLetter.objects.filter(revoked_at__isnull=True, delivery="sent").count() == 3
    # Every proposal had a contact: no link is printed.
    assert "/letters/" not in output and "http" not in output


def test_issue_prints_links_only_of_letters_without_email(
    competition, lettered, mailoutbox, django_capture_on_commit_callbacks
):
    proposal = lettered["proposals"][2]
    type(proposal).objects.filter(pk=proposal.pk).update(contact_email="")
    with django_capture_on_commit_callbacks(execute=True):
        output = run(
            "letters",
            competition.slug,
            "issue",
            "--by",
            "letters-official",
            "--proposal",
            proposal.reference,
            "--proposal",
            lettered["proposals"][3].reference,
        )
    assert len(mailoutbox) == 1  # proposal 3 only
    links = [line for line in output.splitlines() if line.startswith(f"- {proposal.reference}: ")]
    assert len(links) == 1
    token = links[0].rsplit("/", 2)[-2] if links[0].endswith("/") else links[0].rsplit("/", 1)[-1]
    letter = ResultLetter.objects.get(proposal=proposal, revoked_at__isnull=True)
    from evaluation.letters import token_digest

    assert letter.token_sha256 == token_digest(token)
    assert lettered["proposals"][3].reference not in "".join(links)
    # The old letters of both were revoked ("issued again"); proposal 1's letter stands.
    assert (
        ResultLetter.objects.filter(proposal=lettered["proposals"][1], revoked_at__isnull=True).count() == 1
    )
    assert ResultLetter.objects.filter(revoked_at__isnull=False).count() == 2


def test_issue_without_sending(competition, lettered, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        output = run("letters", competition.slug, "issue", "--by", "letters-official", "--no-send")
    assert mailoutbox == []
    assert "--no-send" in output
    assert ResultLetter.objects.filter(revoked_at__isnull=True, delivery="not_sent").count() == 3


def test_issue_refusals_are_the_services_messages(competition, lettered, user_factory):
    user_factory(Role.REVIEWER, "someone")
    before = ResultLetter.objects.count()
    with pytest.raises(RoleRequired) as service:
        issue_letters(competition, user_factory(Role.REVIEWER, "other"))
    message = service.value.message.replace("'other'", "'someone'")
    assert refused("letters", competition.slug, "issue", "--by", "someone") == message
    assert "nobody" in refused("letters", competition.slug, "issue", "--by", "nobody")
    assert "R-9999" in refused(
        "letters", competition.slug, "issue", "--by", "letters-official", "--proposal", "R-9999"
    )
    assert ResultLetter.objects.count() == before


def test_issue_before_publication_is_refused(competition, letters_official):
    message = refused("letters", competition.slug, "issue", "--by", "letters-official")
    assert competition.name in message
    assert not ResultLetter.objects.exists()


def test_list_shows_state_delivery_and_openings_never_a_link(competition, lettered, client):
    first, second = lettered["letters"][1], lettered["letters"][2]
    client.get(first.link.replace("http://127.0.0.1:8000", ""))
    LetterOpening.objects.create(letter=first.letter)
    revoke_letter(second.letter, lettered["official"], "수신자 오류")
    ResultLetter.objects.filter(pk=lettered["letters"][3].letter.pk).update(
        expires_at=lettered["publication"].published_at - timedelta(days=1)
    )
    output = run("letters", competition.slug, "list")
    lines = {line.split(" — ")[0]: line for line in output.splitlines()[1:]}
    openings = LetterOpening.objects.filter(letter=first.letter).count()
    assert f"열람 {openings}회" in lines[lettered["proposals"][1].reference]
    assert "수신자 오류" in lines[lettered["proposals"][2].reference]
    assert len(lines) == 3
    for issued in lettered["letters"].values():
        assert token_of(issued) not in output
        assert issued.letter.token_sha256 not in output
    states = [line.split(" — ")[2] for line in output.splitlines()[1:]]
    assert len(set(states)) == 3  # in force / revoked / expired, each in its own words


def test_revoke(competition, lettered):
    proposal = lettered["proposals"][1]
    args = ("revoke", "--proposal", proposal.reference, "--by", "letters-official")
    with pytest.raises(CommandError):  # argparse: --reason is required
        run("letters", competition.slug, *args)
    # A blank reason: the service's message, nothing written.
    from evaluation.letters import LetterUnavailable

    with pytest.raises(LetterUnavailable) as service:
        revoke_letter(lettered["letters"][1].letter, lettered["official"], " ")
    assert refused("letters", competition.slug, *args, "--reason", " ") == service.value.message
    assert ResultLetter.objects.get(pk=lettered["letters"][1].letter.pk).revoked_at is None
    output = run("letters", competition.slug, *args, "--reason", "유출된 링크")
    assert proposal.reference in output
    letter = ResultLetter.objects.get(pk=lettered["letters"][1].letter.pk)
    assert letter.revoked_at is not None and letter.revoke_reason == "유출된 링크"
    assert proposal.reference in refused("letters", competition.slug, *args, "--reason", "다시")


# --- appeals -------------------------------------------------------------------------------------


def test_appeals_list_and_json(competition, lettered):
    appeal = appeal_of(lettered)
    output = run("appeals", competition.slug, "list")
    assert f"{appeal.pk}" in output and lettered["proposals"][1].reference in output
    document = json.loads(run("appeals", competition.slug, "list", "--json"))
    assert document == {
        "competition": competition.slug,
        "appeals": [
            {
                "id": appeal.pk,
                "proposal": lettered["proposals"][1].reference,
                "publication": 1,
                "ground": "evaluator_error",
                "filed_at": document["appeals"][0]["filed_at"],
                "status": "received",
                "open": True,
                "committee": [],
                "decision": None,
                "corrected_by": None,
            }
        ],
    }
    assert "홍길동" not in output  # who filed it is not listed


def test_committee_add_refuses_the_proposals_reviewer(competition, lettered):
    appeal = appeal_of(lettered)
    own = lettered["reviewers"][0]
    with pytest.raises(AppealRefused) as service:
        from evaluation.appeals import add_committee_member

        add_committee_member(appeal, own, lettered["official"])
    args = ("committee", str(appeal.pk), "--by", "letters-official")
    assert refused("appeals", competition.slug, *args, "--add", own.email) == service.value.message
    assert not AppealCommitteeMember.objects.exists()
    spare = lettered["spare"][0]
    output = run("appeals", competition.slug, *args, "--add", spare.email)
    assert spare.name in output
    assert list(AppealCommitteeMember.objects.values_list("reviewer", flat=True)) == [spare.pk]
    assert spare.name in refused("appeals", competition.slug, *args, "--add", spare.email)  # already on it
    assert "nobody@example.kr" in refused("appeals", competition.slug, *args, "--add", "nobody@example.kr")


def test_committee_remove_needs_a_reason(competition, lettered):
    appeal = appeal_of(lettered)
    spare = lettered["spare"][0]
    args = ("committee", str(appeal.pk), "--by", "letters-official", "--remove", spare.email)
    assert spare.name in refused("appeals", competition.slug, *args, "--reason", "x")  # not on it
    run(
        "appeals",
        competition.slug,
        "committee",
        str(appeal.pk),
        "--by",
        "letters-official",
        "--add",
        spare.email,
    )
    message = refused("appeals", competition.slug, *args)
    assert AppealCommitteeMember.objects.count() == 1
    with pytest.raises(AppealRefused) as service:
        from evaluation.appeals import remove_committee_member

        remove_committee_member(AppealCommitteeMember.objects.get(), lettered["official"], "")
    assert message == service.value.message
    run("appeals", competition.slug, *args, "--reason", "겸직 확인")
    assert not AppealCommitteeMember.objects.exists()
    reasons = AuditEntry.objects.filter(object_type__icontains="appealcommitteemember").values_list(
        "reason", flat=True
    )
    assert "겸직 확인" in list(reasons)


def test_decide(competition, lettered, user_factory):
    appeal = appeal_of(lettered)
    user_factory(Role.REVIEWER, "someone")
    decide = ("decide", str(appeal.pk), "--accept", "--reasons", "합계 오기 확인")
    # No committee yet: the service's message.
    with pytest.raises(AppealRefused) as service:
        decide_appeal(appeal, lettered["official"], accept=True, reasons="합계 오기 확인")
    assert refused("appeals", competition.slug, *decide, "--by", "letters-official") == service.value.message
    run(
        "appeals",
        competition.slug,
        "committee",
        str(appeal.pk),
        "--by",
        "letters-official",
        "--add",
        lettered["spare"][0].email,
    )
    assert "someone" in refused("appeals", competition.slug, *decide, "--by", "someone")
    assert Appeal.objects.get().status == "received"
    with pytest.raises(CommandError):  # argparse: --accept or --reject
        run(
            "appeals",
            competition.slug,
            "decide",
            str(appeal.pk),
            "--reasons",
            "x",
            "--by",
            "letters-official",
        )
    output = run("appeals", competition.slug, *decide, "--by", "letters-official")
    assert lettered["proposals"][1].reference in output
    appeal.refresh_from_db()
    assert appeal.status == "accepted" and appeal.decision_reason == "합계 오기 확인"
    assert "99999" in refused(
        "appeals",
        competition.slug,
        "decide",
        "99999",
        "--reject",
        "--reasons",
        "x",
        "--by",
        "letters-official",
    )
    message = refused("appeals", competition.slug, *decide, "--by", "letters-official")  # decided already
    assert Appeal.objects.get().decision_reason == "합계 오기 확인" and message


def test_state(competition, lettered, monkeypatch):
    publication = lettered["publication"]
    state = publication_state(publication)
    output = run("appeals", competition.slug, "state")
    assert state.label in output and deadline_text(state.deadline) in output
    appeal_of(lettered)
    later = state.deadline + timedelta(hours=1)
    monkeypatch.setattr("evaluation.appeals.timezone.now", lambda: later)
    output = run("appeals", competition.slug, "state")
    assert publication_state(publication).code == "under_review"
    assert publication_state(publication).label in output
    assert "미결 이의신청 1건" in output


def test_publish_prints_the_appeals_a_correction_cites(competition, lettered):
    appeal = appeal_of(lettered)
    run(
        "appeals",
        competition.slug,
        "committee",
        str(appeal.pk),
        "--by",
        "letters-official",
        "--add",
        lettered["spare"][0].email,
    )
    run(
        "appeals",
        competition.slug,
        "decide",
        str(appeal.pk),
        "--accept",
        "--reasons",
        "합계 오기",
        "--by",
        "letters-official",
    )
    from evaluation.models import Adjustment

    Adjustment.objects.create(
        proposal=lettered["proposals"][3], points=1, reason="이의신청 인용", recorded_by=lettered["official"]
    )
    out = StringIO()
    call_command(
        "publish",
        "--competition",
        competition.slug,
        "--by",
        "letters-official",
        "--reason",
        "이의신청 인용",
        stdout=out,
    )
    output = out.getvalue()
    assert f"{appeal.pk}" in output and lettered["proposals"][1].reference in output
    appeal.refresh_from_db()
    assert appeal.corrected_by is not None


def test_export_writes_every_letter_in_one_pdf(lettered, tmp_path):
    from io import StringIO

    from django.core.management import call_command
    from pypdf import PdfReader

    out = StringIO()
    path = tmp_path / "letters.pdf"
    call_command(
        "letters",
        "--competition",
        lettered["publication"].competition.slug,
        "export",
        "--out",
        str(path),
        stdout=out,
    )
    assert out.getvalue().strip() == f"제1차 공개의 통보서 3건(미발급 미리보기 0건)을 {path}에 썼습니다."
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    assert text.count("평가결과 통보서") >= 3 and "시험시 01" in text and "63.33" in text
