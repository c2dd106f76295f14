"""A correction needs its reason (정정 사유, issue 10 §8): the service, the command and the page
refuse one without it and write nothing; the reason is in the snapshot (under the digest) and on
the public results page with the corrections."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.roles import Role
from evaluation.models import Adjustment, Conflict, Publication, Reviewer
from evaluation.publication import PublicationRefused, publish, snapshot_digest, verify
from proposals.models import AuditEntry, Competition

pytestmark = pytest.mark.django_db

MISSING = (
    "이번 공개는 제1차 공개를 정정합니다. 정정 사유를 적어 주세요. 정정 사유는 결과와 함께 공개되고 "
    "SHA-256 아래에 보존됩니다. 공개하지 않았습니다."
)
REASON = "고양시 가점(지역균형 1.5점) 누락을 바로잡습니다."


@pytest.fixture
def official(user_factory):
    return user_factory(Role.OFFICIAL, "official-fix")


@pytest.fixture
def first(
    competition, stage, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet, official
):
    """Published once (hub: 90, 80, 70); then a bonus changes the ranking's inputs."""
    make_criteria(2, max_points=Decimal(50))
    reviewer = make_reviewer("kim")
    proposals = []
    for number, points in enumerate(([45, 45], [40, 40], [35, 35]), start=1):
        proposal = make_proposal(applicant=["울산광역시", "고양시", "부천시"][number - 1])
        submit_sheet(make_assignment(proposal, reviewer, confirmed=True), points)
        proposals.append(proposal)
    publication = publish(competition, official)
    Adjustment.objects.create(
        proposal=proposals[1], points=Decimal("1.5"), reason="지역균형 가점", recorded_by=official
    )
    return {"publication": publication, "proposals": proposals, "reviewer": reviewer}


def written():
    return (
        Publication.objects.count(),
        AuditEntry.objects.count(),
        Conflict.objects.count(),
        Competition.objects.values_list("status", flat=True).get(),
    )


@pytest.mark.parametrize("reason", ["", "   "])
def test_the_service_refuses_a_correction_without_a_reason(competition, first, official, reason):
    before = written()
    with pytest.raises(PublicationRefused) as refused:
        publish(competition, official, correction_reason=reason)
    assert refused.value.messages == [MISSING] and refused.value.codes == {"correction_reason"}
    assert written() == before


def test_nothing_is_written_even_a_conflict_found_since(competition, first, official):
    """Publishing records a 제척 that appeared after the assignment, before it stops; without the
    reason it stops earlier, writing nothing."""
    Reviewer.objects.filter(pk=first["reviewer"].pk).update(affiliation="부천시")
    before = written()
    with pytest.raises(PublicationRefused) as refused:
        publish(competition, official)
    assert refused.value.messages == [MISSING]
    assert written() == before


def test_the_reason_is_kept_in_the_snapshot_under_its_digest(competition, first, official):
    correction = publish(competition, official, correction_reason=f"  {REASON}  ")
    assert correction.snapshot["correction_reason"] == REASON
    assert correction.snapshot["format"] == 3
    assert correction.digest == snapshot_digest(correction.snapshot)
    assert first["publication"].snapshot["correction_reason"] is None  # a first publication
    ok, _messages = verify(correction)
    assert ok
    entry = AuditEntry.objects.get(action="publication.created", object_id=str(correction.pk))
    assert entry.reason == REASON and entry.actor == official


def test_a_double_click_is_still_told_that_nothing_changed(competition, first, official):
    publish(competition, official, correction_reason=REASON)
    with pytest.raises(PublicationRefused) as refused:
        publish(competition, official)  # the same click again, no reason typed
    assert refused.value.codes == {"unchanged"}


def test_the_command_needs_reason(competition, first, official):
    before = written()
    with pytest.raises(CommandError) as refused:
        call_command("publish", competition=competition.slug, by=official.username, stdout=StringIO())
    assert (
        str(refused.value) == f'공개하지 않았습니다:\n- {MISSING}\n정정 사유를 --reason "…"으로 적어 주세요.'
    )
    assert written() == before
    out = StringIO()
    call_command("publish", competition=competition.slug, by=official.username, reason=REASON, stdout=out)
    assert f"정정 사유: {REASON}" in out.getvalue()
    assert Publication.objects.get(number=2).snapshot["correction_reason"] == REASON


def test_the_publication_page_asks_for_the_reason_of_a_correction(client, competition, first, official):
    client.force_login(official)
    url = reverse("publication:competition", args=[competition.slug])
    html = client.get(url).content.decode()
    assert 'name="correction_reason"' in html and "지금 공개하면 제1차 공개를 정정합니다." in html
    before = written()
    response = client.post(reverse("publication:publish", args=[competition.slug]), {"confirm": "on"})
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="publish-correction_reason_error" role="alert">' + MISSING in html
    assert 'aria-invalid="true"' in html
    assert written() == before
    response = client.post(
        reverse("publication:publish", args=[competition.slug]),
        {"confirm": "on", "correction_reason": REASON},
    )
    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert f"<strong>정정 사유:</strong> {REASON}" in html


def test_a_first_publication_asks_for_no_correction_reason(client, competition, stage, official):
    client.force_login(official)
    html = client.get(reverse("publication:competition", args=[competition.slug])).content.decode()
    assert 'name="correction_reason"' not in html


def test_the_public_page_shows_the_reason_with_the_corrections(client, competition, first, official):
    publish(competition, official, correction_reason=REASON)
    html = client.get(reverse("public-results", args=[competition.slug])).content.decode()
    section = html[html.index('id="corrections-heading"') :]
    assert "이 공개는 제1차 공개를 정정한 것입니다." in section
    assert f"<strong>정정 사유:</strong> {REASON}" in section
