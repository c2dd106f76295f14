"""Officials' result letter pages (issue 13): the list with each letter's state, issuing after a
confirmation, revoking with a reason, the print page (no opening logged) and the bulk PDF."""

import io
import re

import pytest
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from pypdf import PdfReader

from evaluation.appeals import deadline_text
from evaluation.letters import find_letter, open_letter, publication_deadline
from evaluation.models import LetterOpening, ResultLetter
from tests.letters import lettered, letters_official, token_of  # noqa: F401

pytestmark = pytest.mark.django_db


def _login(client, lettered):
    client.force_login(lettered["official"])
    return lettered["publication"].competition.slug


# --- Who may open the pages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, extra",
    [
        ("official:letters", []),
        ("official:letters-pdf", []),
        ("official:letters-issue", []),
        ("official:letter-print", ["proposal"]),
        ("official:letter-issue", ["proposal"]),
        ("official:letter-revoke", ["proposal"]),
    ],
)
def test_letter_pages_are_for_officials_only(client, lettered, name, extra):
    slug = lettered["publication"].competition.slug
    args = [slug] + [lettered["proposals"][1].pk for _ in extra]
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(lettered["reviewers"][0].user)
    assert client.get(url).status_code == 403


# --- The list -----------------------------------------------------------------------------------


def test_letters_page_without_publication_says_so_and_offers_no_button(client, competition, letters_official):
    client.force_login(letters_official)
    response = client.get(reverse("official:letters", args=[competition.slug]))
    assert response.status_code == 200
    assert (
        "아직 공개된 결과가 없습니다. 통보서는 공개된 결과에 따라 발급되므로, 먼저 결과를 공개한 뒤 "
        "여기에서 발급하십시오." in response.content.decode()
    )
    assert reverse("official:letters-issue", args=[competition.slug]) not in response.content.decode()
    assert reverse("official:letters-pdf", args=[competition.slug]) not in response.content.decode()


def test_letters_page_lists_states_openings_and_the_publication_state(client, lettered):
    slug = _login(client, lettered)
    open_letter(token_of(lettered["letters"][1]), "10.0.0.1")
    open_letter(token_of(lettered["letters"][1]), "10.0.0.2")
    ResultLetter.objects.filter(pk=lettered["letters"][2].letter.pk).update(
        revoked_at=lettered["publication"].published_at, revoke_reason="잘못된 수신자"
    )
    response = client.get(reverse("official:letters", args=[slug]))
    page = response.content.decode()
    rows = {row.record["id"]: row.record for row in response.context["table"].page.object_list}
    # The fixture's e-mails wait for a commit that a test transaction never makes.
    assert rows[lettered["proposals"][1].pk]["state"] == "not_sent"
    assert rows[lettered["proposals"][1].pk]["letter"].opened == 2
    assert rows[lettered["proposals"][2].pk]["state"] == "revoked"
    assert "잘못된 수신자" in page
    ResultLetter.objects.filter(pk=lettered["letters"][3].letter.pk).update(delivery="sent")
    facts = response.context["facts"]
    assert facts["state"].code == "appeal_window"
    assert facts["deadline"] in page
    assert reverse("official:letters-pdf", args=[slug]) in page
    assert reverse("official:letter-print", args=[slug, lettered["proposals"][1].pk]) in page
    # A link is never shown again on the list.
    assert token_of(lettered["letters"][1]) not in page


def test_letters_page_queries_do_not_grow_with_the_rows(client, lettered, django_assert_max_num_queries):
    slug = _login(client, lettered)
    for issued in lettered["letters"].values():
        open_letter(token_of(issued), None)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("official:letters", args=[slug]))
    assert response.status_code == 200


# --- Issuing ------------------------------------------------------------------------------------


def test_issue_every_letter_asks_first_then_replaces_the_letters_in_force(
    transactional_db,
    client,
    lettered,
    mailoutbox,
):
    """Real commits (transactional_db): the e-mails go when issuing commits, before the result page."""
    slug = _login(client, lettered)
    url = reverse("official:letters-issue", args=[slug])
    old = {number: issued.letter.pk for number, issued in lettered["letters"].items()}
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert confirm.context["count"] == 3 and confirm.context["in_force"] == 3
    # Not confirmed: nothing issued.
    refused = client.post(url, {})
    assert refused.status_code == 400
    assert escape(_("Tick the box to confirm; no letter was issued.")) in refused.content.decode()
    assert ResultLetter.objects.count() == 3 and mailoutbox == []

    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 200
    assert response.context["issued"] == 3 and response.context["sent"] == 3
    assert response.context["unsent"] == []
    assert ResultLetter.objects.count() == 6
    for pk in old.values():
        previous = ResultLetter.objects.get(pk=pk)
        assert previous.revoked_at is not None
    assert ResultLetter.objects.filter(publication=lettered["publication"]).active().count() == 3
    assert len(mailoutbox) == 3
    deadline = publication_deadline(lettered["publication"])
    for message in mailoutbox:
        assert "평가결과 통보서" in message.subject
        token = re.search(r"/letters/([\w-]+)/", message.body).group(1)
        assert find_letter(token).revoked_at is None
        assert deadline_text(deadline) in message.body
        letter = find_letter(token)
        assert letter.content["result"]["score"] not in message.body


def test_letter_email_states_the_last_day_of_appeals(transactional_db, lettered, mailoutbox, client):
    """The e-mail must name the same last day as every page (deadline_text): 24:00 of the last
    day, not of the day after."""
    slug = _login(client, lettered)
    client.post(reverse("official:letter-issue", args=[slug, lettered["proposals"][1].pk]), {"confirm": "on"})
    (message,) = mailoutbox
    assert deadline_text(publication_deadline(lettered["publication"])) in message.body


def test_issue_one_letter_replaces_only_that_one(transactional_db, client, lettered, mailoutbox):
    slug = _login(client, lettered)
    proposal = lettered["proposals"][2]
    response = client.post(reverse("official:letter-issue", args=[slug, proposal.pk]), {"confirm": "on"})
    assert response.status_code == 200 and response.context["issued"] == 1
    assert ResultLetter.objects.count() == 4
    assert ResultLetter.objects.get(pk=lettered["letters"][2].letter.pk).revoked_at is not None
    assert ResultLetter.objects.get(pk=lettered["letters"][1].letter.pk).revoked_at is None
    assert [message.to for message in mailoutbox] == [[proposal.contact_email]]


def test_letters_without_email_show_their_link_once(transactional_db, client, lettered, mailoutbox):
    slug = _login(client, lettered)
    proposal = lettered["proposals"][3]
    type(proposal).objects.filter(pk=proposal.pk).update(contact_email="")
    response = client.post(reverse("official:letters-issue", args=[slug]), {"confirm": "on"})
    assert response.context["sent"] == 2
    (unsent,) = response.context["unsent"]
    assert unsent["link"] in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert len(mailoutbox) == 2
    token = unsent["link"].rstrip("/").rsplit("/", 1)[1]
    listing = client.get(reverse("official:letters", args=[slug]))
    assert token not in listing.content.decode()
    rows = {row.record["id"]: row.record for row in listing.context["table"].page.object_list}
    assert rows[proposal.pk]["state"] == "no_email"


# --- Revoking -----------------------------------------------------------------------------------


def test_revoke_needs_a_reason(client, lettered):
    slug = _login(client, lettered)
    url = reverse("official:letter-revoke", args=[slug, lettered["proposals"][1].pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400
    assert escape(_("Write why the link is revoked.")) in response.content.decode()
    assert ResultLetter.objects.filter(revoked_at__isnull=False).count() == 0

    response = client.post(url, {"reason": "수신자 착오"})
    assert response.status_code == 302
    letter = ResultLetter.objects.get(pk=lettered["letters"][1].letter.pk)
    assert letter.revoked_at is not None and letter.revoke_reason == "수신자 착오"
    # Nothing in force any more: the revoke page is gone for this proposal.
    assert client.get(url).status_code == 404


# --- The print page and the PDF -----------------------------------------------------------------


def test_print_page_shows_the_letter_without_logging_an_opening(client, lettered):
    slug = _login(client, lettered)
    proposal = lettered["proposals"][1]
    response = client.get(reverse("official:letter-print", args=[slug, proposal.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert lettered["letters"][1].letter.content["proposal"]["title"] in page
    assert (
        response.context["content"] == ResultLetter.objects.get(pk=lettered["letters"][1].letter.pk).content
    )
    assert "미발송 미리보기" not in page
    assert LetterOpening.objects.count() == 0


def test_print_page_previews_a_letter_not_in_force(client, lettered):
    slug = _login(client, lettered)
    ResultLetter.objects.all().update(revoked_at=lettered["publication"].published_at, revoke_reason="시험")
    response = client.get(reverse("official:letter-print", args=[slug, lettered["proposals"][2].pk]))
    assert response.status_code == 200
    assert response.context["preview"] is True
    assert "미발송 미리보기" in response.content.decode()
    assert response.context["content"]["proposal"]["applicant"] == "시험시 02"


def test_letters_pdf_has_one_letter_per_proposal(client, lettered):
    slug = _login(client, lettered)
    # One letter revoked: its proposal's page is a preview.
    ResultLetter.objects.filter(pk=lettered["letters"][3].letter.pk).update(
        revoked_at=lettered["publication"].published_at, revoke_reason="시험"
    )
    response = client.get(reverse("official:letters-pdf", args=[slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    body = response.content
    assert body.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(body))
    assert len(reader.pages) >= 3
    starts = [index for index, page in enumerate(reader.pages) if "시험시" in (page.extract_text() or "")]
    assert len(starts) == 3  # each letter from a new page (each short enough for one page here)
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" in disposition
    assert (
        "%ED%8F%89%EA%B0%80%EA%B2%B0%EA%B3%BC%ED%86%B5%EB%B3%B4%EC%84%9C_" in disposition
    )  # 평가결과통보서_
    assert f"_{slug}_" in disposition and "%EC%A0%9C1%EC%B0%A8.pdf" in disposition  # 제1차
