"""Officials' appeal pages (이의신청, issue 13): the list, an appeal with its attachment, the
committee (never a reviewer of the proposal), the decision, and the way to the correction."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _

from evaluation.models import Appeal, AppealCommitteeMember, Assignment
from evaluation.publication import publish
from evaluation.sheets import SheetInput, criteria_for, submit
from proposals.models import StoredFile
from tests.documents import pdf_bytes
from tests.letters import filed, lettered, letters_official, token_of  # noqa: F401

pytestmark = pytest.mark.django_db

REVIEWER_REFUSED = "A reviewer of this proposal cannot sit on the committee that reviews its appeal."


def _login(client, lettered):
    client.force_login(lettered["official"])
    return lettered["publication"].competition.slug


def _page(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("name", ["official:appeals", "official:appeal", "official:appeal-attachment"])
def test_appeal_pages_are_for_officials_only(client, lettered, name):
    appeal = filed(lettered, attachment_name="근거.pdf", attachment=pdf_bytes())
    slug = lettered["publication"].competition.slug
    url = reverse(name, args=[slug] if name == "official:appeals" else [slug, appeal.pk])
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(lettered["reviewers"][0].user)
    assert client.get(url).status_code == 403


def test_appeals_list_shows_each_appeal_and_the_publication_state(client, lettered):
    slug = _login(client, lettered)
    first = filed(lettered, 3)
    filed(lettered, 1, ground=Appeal.Ground.ADMINISTRATIVE_ERROR, text="가점 누락")
    response = client.get(reverse("official:appeals", args=[slug]))
    page = _page(response)
    assert response.status_code == 200
    assert reverse("official:appeal", args=[slug, first.pk]) in page
    assert str(Appeal.Ground.ADMINISTRATIVE_ERROR.label) in page
    assert str(Appeal.Status.RECEIVED.label) in page
    assert response.context["facts"]["state"].open_appeals == 2
    assert response.context["facts"]["deadline"] in page


def test_appeals_list_queries_do_not_grow_with_the_appeals(client, lettered, django_assert_max_num_queries):
    slug = _login(client, lettered)
    for number in (1, 2, 3):
        filed(lettered, number)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("official:appeals", args=[slug]))
    assert len(response.context["table"].page.object_list) == 3


def test_appeal_detail_shows_text_filer_and_serves_the_attachment_to_officials(client, lettered):
    slug = _login(client, lettered)
    content = pdf_bytes()
    appeal = filed(lettered, attachment_name="소명 자료.pdf", attachment=content)
    response = client.get(reverse("official:appeal", args=[slug, appeal.pk]))
    page = _page(response)
    assert "평가위원 E의 C1 점수가 제출 자료와 다릅니다." in page and "홍길동" in page
    download = client.get(reverse("official:appeal-attachment", args=[slug, appeal.pk]))
    assert download.status_code == 200 and download.content == content
    assert download["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%EC%86%8C%EB%AA%85%20%EC%9E%90%EB%A3%8C.pdf" in download["Content-Disposition"]


def test_a_changed_attachment_is_not_served(client, lettered):
    slug = _login(client, lettered)
    appeal = filed(lettered, attachment_name="근거.pdf", attachment=pdf_bytes())
    StoredFile.objects.filter(name=appeal.attachment.name).update(content=pdf_bytes(pages=2))
    response = client.get(reverse("official:appeal-attachment", args=[slug, appeal.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("official:appeal", args=[slug, appeal.pk])
    assert "SHA-256" in _page(response)
    assert response["Content-Type"].startswith("text/html")


# --- The committee ------------------------------------------------------------------------------


def test_the_proposals_reviewers_are_shown_not_eligible(client, lettered):
    slug = _login(client, lettered)
    appeal = filed(lettered)
    response = client.get(reverse("official:appeal", args=[slug, appeal.pk]))
    page = _page(response)
    reviewer = lettered["reviewers"][0]
    assert f'<option value="{reviewer.pk}" disabled>' in page
    spare = lettered["spare"][0]
    assert f'<option value="{spare.pk}">' in page


def test_a_forged_post_with_the_proposals_reviewer_is_refused_and_writes_nothing(client, lettered):
    slug = _login(client, lettered)
    appeal = filed(lettered)
    response = client.post(
        reverse("official:appeal-add-member", args=[slug, appeal.pk]),
        {"reviewer": lettered["reviewers"][4].pk},
    )
    assert response.status_code == 400
    assert escape(_(REVIEWER_REFUSED)) in _page(response)
    assert 'id="error-summary"' in _page(response)
    assert AppealCommitteeMember.objects.count() == 0


def test_a_member_is_added_and_taken_off_with_a_reason(client, lettered):
    slug = _login(client, lettered)
    appeal = filed(lettered)
    spare = lettered["spare"][0]
    response = client.post(
        reverse("official:appeal-add-member", args=[slug, appeal.pk]), {"reviewer": spare.pk}
    )
    assert response.status_code == 302
    member = AppealCommitteeMember.objects.get(appeal=appeal)
    assert member.reviewer == spare and member.added_by == lettered["official"]
    url = reverse("official:appeal-remove-member", args=[slug, appeal.pk, member.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400
    assert escape(_("Write why the member is taken off the committee.")) in _page(refused)
    assert AppealCommitteeMember.objects.filter(pk=member.pk).exists()
    assert client.post(url, {"reason": "일정 불가"}).status_code == 302
    assert not AppealCommitteeMember.objects.filter(pk=member.pk).exists()


# --- The decision -------------------------------------------------------------------------------


def test_the_decision_needs_a_committee_reasons_and_a_confirmation(client, lettered):
    slug = _login(client, lettered)
    appeal = filed(lettered)
    url = reverse("official:appeal-decide", args=[slug, appeal.pk])
    no_committee = client.post(url, {"decision": "accept", "reasons": "착오 확인", "confirm": "on"})
    assert no_committee.status_code == 400
    assert escape(
        _("Record the review committee before the decision (at least %(count)s member).") % {"count": 1}
    ) in _page(no_committee)
    client.post(
        reverse("official:appeal-add-member", args=[slug, appeal.pk]), {"reviewer": lettered["spare"][0].pk}
    )
    no_reasons = client.post(url, {"decision": "reject", "reasons": " ", "confirm": "on"})
    assert no_reasons.status_code == 400
    assert escape(_("Write the reasons for the decision.")) in _page(no_reasons)
    not_confirmed = client.post(url, {"decision": "reject", "reasons": "근거 없음"})
    assert not_confirmed.status_code == 400
    assert escape(_("Tick the box to confirm the decision; nothing was recorded.")) in _page(not_confirmed)
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.RECEIVED and appeal.decision_reason == ""

    assert (
        client.post(url, {"decision": "reject", "reasons": "근거 없음", "confirm": "on"}).status_code == 302
    )
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.REJECTED and appeal.decided_by == lettered["official"]
    # Decided: no committee form, no decision form any more.
    page = _page(client.get(reverse("official:appeal", args=[slug, appeal.pk])))
    assert reverse("official:appeal-decide", args=[slug, appeal.pk]) not in page
    assert reverse("official:appeal-add-member", args=[slug, appeal.pk]) not in page


def test_an_accepted_appeal_leads_to_a_correction_that_cites_it(client, lettered, competition, stage):
    """Accept through the page; reopen reviewer E's sheet through the proposal page; the sheet is
    submitted again with other points; the correction cites the appeal."""
    slug = _login(client, lettered)
    appeal = filed(lettered, 3)
    client.post(
        reverse("official:appeal-add-member", args=[slug, appeal.pk]), {"reviewer": lettered["spare"][0].pk}
    )
    decided = client.post(
        reverse("official:appeal-decide", args=[slug, appeal.pk]),
        {"decision": "accept", "reasons": "평가위원 E의 C1 점수 입력 착오 확인", "confirm": "on"},
    )
    assert decided.status_code == 302
    detail = client.get(reverse("official:appeal", args=[slug, appeal.pk]))
    page = _page(detail)
    assert 'id="next-steps"' in page
    assert reverse("official:proposal", args=[slug, stage.code, appeal.proposal_id]) in page
    assert reverse("official:proposal-scores", args=[slug, stage.code, appeal.proposal_id]) in page
    assert reverse("publication:competition", args=[slug]) in page
    assert _("Appeal no. %(number)s accepted") % {"number": appeal.pk} in page  # the reason suggested
    # The link to the proposal's page carries the suggested reason into the reopen form.
    proposal_page = client.get(
        reverse("official:proposal", args=[slug, stage.code, appeal.proposal_id]),
        {"reason": f"이의신청 제{appeal.pk}호 인용"},
    )
    assert proposal_page.context["reopen_form"]["reason"].value() == f"이의신청 제{appeal.pk}호 인용"

    assignment = Assignment.objects.get(proposal=appeal.proposal, reviewer=lettered["reviewers"][4])
    reopened = client.post(
        reverse("official:reopen-sheet", args=[slug, stage.code, appeal.proposal_id]),
        {"assignment": assignment.pk, "reason": f"이의신청 제{appeal.pk}호 인용", "confirm": "on"},
    )
    assert reopened.status_code == 302
    sheet = assignment.sheet
    sheet.refresh_from_db()
    criteria = criteria_for(assignment.stage, assignment.proposal.track)
    submit(
        assignment,
        sheet.version,
        SheetInput(points={criteria[0].pk: Decimal(40), criteria[1].pk: Decimal(40)}),
        assignment.reviewer.user,
    )
    correction = publish(
        competition, lettered["official"], correction_reason=f"이의신청 제{appeal.pk}호 인용에 따른 정정"
    )
    appeal.refresh_from_db()
    assert appeal.corrected_by == correction and not appeal.is_open
    (cited,) = correction.snapshot["appeals"]
    assert cited["id"] == appeal.pk and cited["publication"] == 1
    page = _page(client.get(reverse("official:appeal", args=[slug, appeal.pk])))
    assert 'id="appeal-corrected"' in page and 'id="next-steps"' not in page
    listing = client.get(reverse("official:appeals", args=[slug]))
    assert listing.context["facts"]["publication"] == correction
