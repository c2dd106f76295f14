"""Tamper-evident records (``evaluation.integrity``): on the 2023 demo, a publication rewritten
through SQL with a recomputed digest (고양시 → 파주시), a direct UPDATE of score rows that swaps
the hub's first two, and an edited or deleted audit row are each named by ``verify_integrity``
(exit 1), ``verify_publication`` fails, and ``publish`` refuses to build on them."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from accounts.roles import Role
from evaluation.adjustments import record_adjustment
from evaluation.integrity import check_integrity, publication_chain_entries
from evaluation.models import Assignment, Publication, Score, Scoresheet
from evaluation.publication import PublicationRefused, publish, snapshot_digest
from evaluation.ranking import rank_competition
from evaluation.sheets import reopen
from proposals.models import AuditEntry, Competition, Proposal

pytestmark = pytest.mark.django_db

SLUG = "smartcity-2023"


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def failure(*args, **options) -> CommandError:
    with pytest.raises(CommandError) as error:
        run(*args, **options)
    assert error.value.returncode == 1
    return error.value


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def json_param() -> str:
    return "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"


def hub_top_two():
    ranking = rank_competition(Competition.objects.get(slug=SLUG))
    hub = next(track for category in ranking.categories for track in category.tracks if track.code == "hub")
    return [row.applicant for row in hub.ranking[:2]]


@pytest.fixture
def demo():
    return run("demo")


def test_the_demo_verifies_and_prints_its_chain_head(demo):
    publication = Publication.objects.get()
    entry = publication_chain_entries([publication])[publication.pk]
    assert f"공개 시점의 감사 기록 체인 헤드(사본을 따로 보관하십시오): {entry.digest}" in demo
    text = run("verify_integrity")
    sheets = Scoresheet.objects.filter(status="submitted").count()
    head = AuditEntry.objects.order_by("-sequence").first()
    assert text.strip() == (
        f"무결성 확인: 감사 기록 {AuditEntry.objects.count()}건, 제출된 평가표 {sheets}장, 공개 1건을 "
        f"확인했습니다. 체인 헤드: {head.sequence}번 기록, SHA-256 {head.digest}."
    )
    assert run("verify_integrity", competition=SLUG).startswith("무결성 확인: ")
    # Every submission — the demo imports its sheets with import_scores — recorded its digest.
    submitted = AuditEntry.objects.filter(action="scoresheet.submitted")
    assert submitted.count() == sheets and all(len(e.after["digest"]) == 64 for e in submitted)
    output = run("verify_publication", str(publication.pk), chain_head=entry.digest)
    assert "감사 기록 체인: 일치" in output and "체인 헤드: 일치" in output


def test_a_publication_rewritten_with_a_recomputed_digest_is_caught(demo, user_factory):
    """The issue's forgery: publication 1's snapshot rewritten (고양시 → 파주시) and its digest
    recomputed, so that the snapshot verifies against itself."""
    publication = Publication.objects.get()
    assert "일치" in run("verify_publication", str(publication.pk))
    forged = json.loads(json.dumps(publication.snapshot, ensure_ascii=False).replace("고양시", "파주시"))
    sql(
        f"UPDATE evaluation_publication SET snapshot = {json_param()}, digest = %s WHERE id = %s",
        [json.dumps(forged, ensure_ascii=False), snapshot_digest(forged), publication.pk],
    )
    named = f"제1차 공개(id {publication.pk})"

    error = failure("verify_integrity")
    assert str(error).startswith(f"무결성 오류: {named}: SHA-256이 공개할 때 감사 기록 체인")
    out = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("verify_publication", str(publication.pk), stdout=out)
    assert str(error.value) == "공개 결과의 검증에 실패했습니다." and error.value.returncode == 1
    assert f"감사 기록 체인: 불일치 — {named}: SHA-256이 공개할 때" in out.getvalue()

    # A correction would supersede the forged publication: refused, nothing written.
    official = Publication.objects.get().published_by
    record_adjustment(Proposal.objects.get(reference="2023-H-05"), Decimal("1"), "지역 균형 가점", official)
    entries = AuditEntry.objects.count()
    with pytest.raises(PublicationRefused) as refused:
        publish(Competition.objects.get(slug=SLUG), official)
    assert refused.value.messages[0] == (
        f"새 공개가 대체할 {named}의 무결성이 확인되지 않아 공개하지 않았습니다."
    )
    assert refused.value.codes == {"integrity"}
    assert Publication.objects.count() == 1 and AuditEntry.objects.count() == entries


def test_a_direct_update_of_score_rows_is_named_and_blocks_publishing(demo):
    """The issue's attack: UPDATE of the presentation scores swapping the hub's first two."""
    assert hub_top_two() == ["울산광역시", "고양시"]
    sheets = {
        name: {
            sheet.assignment.reviewer_id: sheet
            for sheet in Scoresheet.objects.filter(
                assignment__stage__code="presentation", assignment__proposal__applicant__name=name
            ).select_related("assignment")
        }
        for name in ("울산광역시", "고양시")
    }
    shared = sorted(set(sheets["울산광역시"]) & set(sheets["고양시"]))
    for reviewer_id in shared:
        first, second = sheets["울산광역시"][reviewer_id], sheets["고양시"][reviewer_id]
        sql("UPDATE evaluation_scoresheet SET total = %s WHERE id = %s", [second.total, first.pk])
        sql("UPDATE evaluation_scoresheet SET total = %s WHERE id = %s", [first.total, second.pk])
        for score in Score.objects.filter(sheet=first):
            other = Score.objects.get(sheet=second, criterion=score.criterion)
            sql("UPDATE evaluation_score SET points = %s WHERE id = %s", [other.points, score.pk])
            sql("UPDATE evaluation_score SET points = %s WHERE id = %s", [score.points, other.pk])
    assert hub_top_two() == ["고양시", "울산광역시"]  # the attack worked on the ranking

    # The first changed sheet in stage, reference and assignment order, as officials name it.
    changed = sorted(
        (sheet for name in sheets for reviewer_id, sheet in sheets[name].items() if reviewer_id in shared),
        key=lambda sheet: (sheet.assignment.proposal.reference, sheet.assignment_id),
    )[0]
    letters = list(
        Assignment.objects.filter(proposal=changed.assignment.proposal, stage=changed.assignment.stage)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    label = f"{changed.assignment.proposal.reference} · presentation · 위원 {'ABCDEFGH'[letters.index(changed.assignment_id)]}"
    error = failure("verify_integrity", competition=SLUG)
    assert str(error).startswith(
        f"무결성 오류: 평가표({label})가 제출된 내용과 다릅니다. 제출 뒤 데이터베이스에서 점수, 의견, "
        "합계 또는 버전이 바뀌었습니다."
    )
    competition = Competition.objects.get(slug=SLUG)
    official = Publication.objects.get().published_by
    with pytest.raises(PublicationRefused) as refused:
        publish(competition, official)
    assert refused.value.messages[0] == (
        "이 공모의 기록에서 무결성이 확인되지 않아 공개하지 않았습니다. 무엇이 바뀌었는지 "
        "확인(python manage.py verify_integrity)한 뒤 공개해 주십시오."
    )
    assert any(label in message for message in refused.value.messages)
    assert Publication.objects.count() == 1


def test_an_edited_or_deleted_audit_row_is_named_by_its_id(demo):
    entries = list(AuditEntry.objects.order_by("sequence").values_list("pk", "sequence")[100:103])
    (edited, edited_no), (after, after_no), _third = entries
    sql("UPDATE proposals_auditentry SET reason = %s WHERE id = %s", ["지운 흔적", edited])
    assert str(failure("verify_integrity")) == (
        f"무결성 오류: 감사 기록 #{edited}({edited_no}번)이 남겨진 뒤 바뀌었습니다. 내용의 SHA-256이 "
        "기록된 값과 다릅니다."
    )
    sql("DELETE FROM proposals_auditentry WHERE id = %s", [edited])
    assert str(failure("verify_integrity")) == (
        f"무결성 오류: 감사 기록 #{after}({after_no}번): 그 앞의 {edited_no}번부터 {edited_no}번까지 기록이 "
        "없습니다. 기록이 삭제되었습니다."
    )


# --- Small fixtures ----------------------------------------------------------------------------


@pytest.fixture
def published(
    competition,
    stage,
    make_criteria,
    make_reviewer,
    make_proposal,
    make_assignment,
    submit_sheet,
    user_factory,
):
    """Two hub proposals scored by two reviewers through the service, then published."""
    make_criteria(2)
    reviewers = [make_reviewer(name) for name in ("kim", "lee")]
    for points in ([18, 18], [12, 12]):
        proposal = make_proposal()
        for reviewer in reviewers:
            submit_sheet(make_assignment(proposal, reviewer, confirmed=True), points)
    official = user_factory(Role.OFFICIAL, "integrity-official")
    return publish(competition, official)


def test_only_a_submission_through_the_service_verifies(
    published, submit_sheet, make_proposal, make_reviewer, make_assignment
):
    """Reopened and submitted again: verifies. A submitted sheet's score changed through the ORM
    (audited, but not a submission), or a sheet created as submitted: named."""
    sheet = Scoresheet.objects.filter(status="submitted").order_by("pk").first()
    reopen(sheet, "점수 오기", published.published_by)
    submit_sheet(sheet.assignment, [17, 17])
    assert check_integrity().ok
    Score.objects.filter(sheet=sheet).update(points=20)
    (problem,) = check_integrity().problems
    assert (problem.kind, problem.record_id) == ("sheet", sheet.pk)
    assert "제출된 내용과 다릅니다" in problem.message
    Score.objects.filter(sheet=sheet).update(points=17)
    assert check_integrity().ok
    assignment = make_assignment(make_proposal(), make_reviewer("park"), confirmed=True)
    Scoresheet.objects.create(assignment=assignment, status="submitted", total=40)
    (problem,) = check_integrity().problems
    assert problem.message == (
        f"평가표({assignment.proposal.reference} · test-written · 위원 A)는 제출 상태이지만 감사 기록 "
        "체인에 제출 기록이 없습니다. 시스템을 거치지 않고 제출 상태가 되었습니다."
    )


def test_the_chain_head_is_shown_with_each_publication(published, client):
    entry = publication_chain_entries([published])[published.pk]
    page = client.get(reverse("public-results", args=[published.competition.slug])).content.decode()
    assert entry.digest in page and published.digest in page
    assert f"공개 시점의 감사 기록 체인 헤드는 {entry.digest}입니다" in page
    client.force_login(published.published_by)
    page = client.get(reverse("publication:competition", args=[published.competition.slug])).content.decode()
    assert entry.digest in page


def test_verify_publication_compares_a_copy_of_the_chain_head(published):
    entry = publication_chain_entries([published])[published.pk]
    assert "체인 헤드: 일치" in run("verify_publication", str(published.pk), chain_head=entry.digest.upper())
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_publication", str(published.pk), chain_head="0" * 64, stdout=out)
    assert "체인 헤드: 불일치" in out.getvalue()
