"""Result letters and appeals in the Django admin (issue 13), and the guarantees that hold on
every path that writes: letters, openings and appeals are read-only there (the token's hash never
shown); a committee member may be added there, but never the proposal's own reviewer — nor through
``bulk_create`` or ``update``; the database refuses a decision without reasons and a correction
cited by an appeal that was not accepted."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from evaluation.appeals import add_committee_member, decide_appeal, file_appeal
from evaluation.letters import open_letter
from evaluation.models import Appeal, AppealCommitteeMember, LetterOpening
from evaluation.models.appeal import committee_refusal
from tests.letters import lettered, letters_official, token_of  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.kr", "pw-test-1234")
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def appeal(lettered):
    open_letter(token_of(lettered["letters"][1]), "10.0.0.1")
    return file_appeal(
        token_of(lettered["letters"][1]),
        ground=Appeal.Ground.FACTUAL_ERROR,
        text="사실관계를 잘못 보았습니다.",
        filed_by="홍길동",
    )


@pytest.mark.parametrize("model", ["resultletter", "letteropening", "appeal", "appealcommitteemember"])
def test_changelists_render(admin_client, appeal, model):
    assert admin_client.get(reverse(f"admin:evaluation_{model}_changelist")).status_code == 200


@pytest.mark.parametrize("model", ["resultletter", "letteropening", "appeal"])
def test_letters_openings_and_appeals_are_read_only(admin_client, appeal, model):
    record = {
        "resultletter": appeal.letter,
        "letteropening": LetterOpening.objects.filter(letter=appeal.letter).first(),
        "appeal": appeal,
    }[model]
    assert admin_client.get(reverse(f"admin:evaluation_{model}_add")).status_code == 403
    change = reverse(f"admin:evaluation_{model}_change", args=[record.pk])
    page = admin_client.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.post(change, {"audit_reason": "x"}).status_code == 403
    delete = reverse(f"admin:evaluation_{model}_delete", args=[record.pk])
    assert admin_client.post(delete, {"post": "yes", "audit_reason": "x"}).status_code == 403
    assert type(record).objects.filter(pk=record.pk).exists()


def test_the_token_hash_is_never_shown(admin_client, appeal):
    letter = appeal.letter
    for url in (
        reverse("admin:evaluation_resultletter_changelist"),
        reverse("admin:evaluation_resultletter_change", args=[letter.pk]),
    ):
        assert letter.token_sha256 not in admin_client.get(url).content.decode()


def add_member(admin_client, appeal, reviewer):
    return admin_client.post(
        reverse("admin:evaluation_appealcommitteemember_add"),
        {"appeal": appeal.pk, "reviewer": reviewer.pk, "audit_reason": "위원회 구성"},
    )


def test_the_admin_refuses_the_proposals_own_reviewer(admin_client, lettered, appeal):
    own = lettered["reviewers"][0]
    response = add_member(admin_client, appeal, own)
    assert response.status_code == 200
    with translation.override("ko-kr"):
        expected = str(committee_refusal(appeal.pk, own.pk))
    assert response.context["adminform"].form.errors["reviewer"] == [expected]
    assert expected in response.content.decode()
    assert not AppealCommitteeMember.objects.exists()


def test_the_admin_adds_an_eligible_member(admin_client, lettered, appeal):
    spare = lettered["spare"][0]
    response = add_member(admin_client, appeal, spare)
    assert response.status_code == 302
    member = AppealCommitteeMember.objects.get()
    assert (member.reviewer, member.added_by) == (spare, admin_client.user)
    # Never changed afterwards.
    change = reverse("admin:evaluation_appealcommitteemember_change", args=[member.pk])
    assert (
        admin_client.post(change, {"reviewer": lettered["reviewers"][0].pk, "audit_reason": "x"}).status_code
        == 403
    )
    assert AppealCommitteeMember.objects.get().reviewer == spare


def test_the_admin_refuses_a_member_after_the_decision(admin_client, lettered, appeal):
    add_committee_member(appeal, lettered["spare"][0], lettered["official"])
    decide_appeal(appeal, lettered["official"], accept=False, reasons="근거 없음")
    response = add_member(admin_client, appeal, lettered["spare"][1])
    assert response.status_code == 200 and "appeal" in response.context["adminform"].form.errors
    assert AppealCommitteeMember.objects.count() == 1
    member = AppealCommitteeMember.objects.get()
    delete = reverse("admin:evaluation_appealcommitteemember_delete", args=[member.pk])
    assert admin_client.post(delete, {"post": "yes", "audit_reason": "x"}).status_code == 403
    assert AppealCommitteeMember.objects.count() == 1


def test_the_admin_takes_a_member_off_with_a_reason(admin_client, lettered, appeal):
    member = add_committee_member(appeal, lettered["spare"][0], lettered["official"])
    delete = reverse("admin:evaluation_appealcommitteemember_delete", args=[member.pk])
    admin_client.post(delete, {"post": "yes"})  # no reason: nothing deleted
    assert AppealCommitteeMember.objects.exists()
    admin_client.post(delete, {"post": "yes", "audit_reason": "겸직 확인"})
    assert not AppealCommitteeMember.objects.exists()


def test_bulk_create_refuses_an_ineligible_reviewer(lettered, appeal):
    members = [
        AppealCommitteeMember(appeal=appeal, reviewer=lettered["spare"][0], added_by=lettered["official"]),
        AppealCommitteeMember(
            appeal=appeal, reviewer=lettered["reviewers"][1], added_by=lettered["official"]
        ),
    ]
    with pytest.raises(ValidationError) as error:
        AppealCommitteeMember.objects.bulk_create(members)
    assert error.value.message_dict["reviewer"] == [
        str(committee_refusal(appeal.pk, lettered["reviewers"][1].pk))
    ]
    assert not AppealCommitteeMember.objects.exists()


def test_update_refuses_an_ineligible_reviewer(lettered, appeal):
    add_committee_member(appeal, lettered["spare"][0], lettered["official"])
    with pytest.raises(ValidationError):
        AppealCommitteeMember.objects.filter(appeal=appeal).update(reviewer=lettered["reviewers"][2])
    assert list(AppealCommitteeMember.objects.values_list("reviewer", flat=True)) == [lettered["spare"][0].pk]
    with pytest.raises(ValidationError):
        AppealCommitteeMember.objects.filter(appeal=appeal).update(reviewer_id=lettered["reviewers"][2].pk)
    assert list(AppealCommitteeMember.objects.values_list("reviewer", flat=True)) == [lettered["spare"][0].pk]


def test_the_database_refuses_a_decision_without_reasons(appeal):
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.filter(pk=appeal.pk).update(status="accepted")
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.filter(pk=appeal.pk).update(status="rejected", decided_at=timezone.now())
    assert Appeal.objects.get(pk=appeal.pk).status == "received"


def test_the_database_refuses_a_correction_cited_by_a_rejected_appeal(lettered, appeal):
    add_committee_member(appeal, lettered["spare"][0], lettered["official"])
    decide_appeal(appeal, lettered["official"], accept=False, reasons="근거 없음")
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.filter(pk=appeal.pk).update(corrected_by=lettered["publication"])
    assert Appeal.objects.get(pk=appeal.pk).corrected_by is None
