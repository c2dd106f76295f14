"""The demo gives every proposal a 사업계획서: a Korean PDF written from its applicant-sheet data,
stored as an admin stores a zip, that a demo reviewer reads beside the sheet; a second run
stores nothing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from evaluation.models import Assignment
from proposals.models import AuditEntry, Competition, ProposalDocument
from tests.documents import pdf_text

pytestmark = pytest.mark.django_db


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def test_every_demo_proposal_has_a_readable_korean_plan_and_a_second_run_changes_nothing(client):
    text = run_demo()
    assert "사업계획서(PDF, 지원자 시트의 자료로 작성): 24건 등록, 0건 교체." in text
    competition = Competition.objects.get(slug="smartcity-2023")
    proposals = list(competition.proposals.select_related("applicant").prefetch_related("documents"))
    assert len(proposals) == 24
    for proposal in proposals:
        (plan,) = proposal.documents.all()
        assert (plan.kind, plan.content_type) == ("plan", "application/pdf")
        assert plan.original_name == f"{proposal.reference}_사업계획서.pdf"
        words = pdf_text(plan.read())
        for fact in ("사업계획서", proposal.reference, proposal.applicant.name, "데모용 가상 문서"):
            assert fact in words, (proposal.reference, fact)
    ulsan = next(p for p in proposals if p.applicant.name == "울산광역시")
    words = pdf_text(ulsan.documents.get().read())
    assert "자율주행/교통약자 DRT" in words and "울산대학교" in words  # solutions and partners
    last = AuditEntry.objects.order_by("-sequence").values_list("sequence", flat=True).first()

    assert "사업계획서(PDF): 모든 사업의 사업계획서가 이미 등록되어 있어 바뀐 것이 없습니다." in run_demo()
    assert ProposalDocument.objects.count() == 24
    assert not AuditEntry.objects.filter(sequence__gt=last, object_type="proposaldocument").exists()

    # A demo reviewer reads a real document of an assigned proposal.
    assignment = Assignment.objects.filter(reviewer__user__username="reviewer02@example.com").first()
    client.login(username="reviewer02@example.com", password="demo-reviewer-2023")
    client.post(reverse("review:pledge", args=[competition.slug]), {"accept": "on"})
    document = assignment.proposal.documents.get()
    response = client.get(reverse("review:document", args=[competition.slug, assignment.pk, document.pk]))
    assert response.status_code == 200, response.status_code
    assert assignment.proposal.title.split()[0] in pdf_text(response.content)
