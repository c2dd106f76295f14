"""Officials' publication page (issue 4 §5): checks, publications so far, the publish form."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.roles import Role
from evaluation.models import Adjustment, Draw, Publication
from proposals.models import AuditEntry, Competition
from tests.letters import lettered, letters_official  # noqa: F401  (fixtures)

from .test_public_results import bulk_published

pytestmark = pytest.mark.django_db


@pytest.fixture
def official(user_factory):
    return user_factory(Role.OFFICIAL, "official-page")


@pytest.fixture
def world(competition, stage, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet):
    """Hub: three proposals, two reviewers; ``build(missing=True)`` leaves one sheet unsubmitted,
    ``tie=True`` makes the 2nd and 3rd equal (a draw is required)."""
    make_criteria(2, max_points=Decimal(50))
    reviewers = [make_reviewer(name) for name in ("kim", "lee")]

    def build(missing=False, tie=False):
        proposals = []
        for number, points in enumerate([[45, 45], [40, 40], [40, 40] if tie else [35, 35]], start=1):
            proposal = make_proposal(applicant=f"시험시 {number:03d}")
            proposals.append(proposal)
            for index, reviewer in enumerate(reviewers):
                assignment = make_assignment(proposal, reviewer, confirmed=True)
                if not (missing and number == 3 and index == 1):
                    submit_sheet(assignment, points)
        return proposals

    return build


def page(client, competition):
    return client.get(reverse("publication:competition", args=[competition.slug]))


def post(client, competition, **data):
    return client.post(reverse("publication:publish", args=[competition.slug]), data)


def test_the_page_lists_the_checks(client, competition, world, official):
    world(missing=True)
    client.force_login(official)
    response = page(client, competition)
    html = response.content.decode()
    assert response.status_code == 200
    assert "배정된 평가표가 모두 제출되었습니다" in html and "미통과" in html
    assert "서면평가에서 배정된 평가표 1건이 제출되지 않았습니다(시험시 003 (R-0003))" in html
    assert "마지막 선정 순위에 추첨이 필요한 동점이 없습니다" in html and "통과" in html
    assert "아직 공개한 결과가 없습니다." in html
    assert "되돌릴 수 없습니다." in html
    assert 'name="confirm"' in html and 'name="override_reason"' in html


def test_publishing_requires_the_confirmation(client, competition, world, official):
    world()
    client.force_login(official)
    response = post(client, competition)
    assert response.status_code == 400
    assert "공개는 되돌릴 수 없다는 점을 확인해 주십시오." in response.content.decode()
    assert Publication.objects.count() == 0


def test_outstanding_sheets_need_a_reason(client, competition, world, official):
    world(missing=True)
    client.force_login(official)
    response = post(client, competition, confirm="on")
    html = response.content.decode()
    assert response.status_code == 409
    assert "서면평가에서 배정된 평가표 1건이 제출되지 않았습니다" in html
    assert "배정된 평가표가 모두 제출되지 않았습니다. 그대로 공개하려면 사유를 적어 주십시오." in html
    assert Publication.objects.count() == 0
    response = post(client, competition, confirm="on", override_reason="위원 연락 두절")
    assert response.status_code == 302
    publication = Publication.objects.get()
    assert publication.override_reason == "위원 연락 두절" and publication.published_by == official
    html = client.get(response.url).content.decode()
    assert "제1차 공개를 완료했습니다." in html and publication.digest in html
    assert "현재 유효" in html and "위원 연락 두절" in html


def test_a_required_draw_refuses_even_with_a_reason(client, competition, world, official):
    world(tie=True)
    client.force_login(official)
    audit = AuditEntry.objects.count()
    response = post(client, competition, confirm="on", override_reason="급함")
    assert response.status_code == 409
    assert "거점형: 마지막 선정 순위에서 시험시 002, 시험시 003의 순위가 같고" in response.content.decode()
    assert Publication.objects.count() == 0 and AuditEntry.objects.count() == audit
    assert Competition.objects.get().status != Competition.Status.PUBLISHED


def test_a_correction_supersedes_on_the_page(client, competition, world, official):
    proposals = world(tie=True)
    Draw.objects.create(proposal=proposals[2], order=1, method="제비뽑기", recorded_by=official)
    Draw.objects.create(proposal=proposals[1], order=2, method="제비뽑기", recorded_by=official)
    client.force_login(official)
    assert post(client, competition, confirm="on").status_code == 302
    Adjustment.objects.create(
        proposal=proposals[0], points=Decimal("1.5"), reason="지역균형 가점", recorded_by=official
    )
    response = post(client, competition, confirm="on", correction_reason="지역균형 가점 누락 정정")
    html = client.get(response.url).content.decode()
    assert "제2차 공개를 완료했습니다. 제1차 공개를 대체하며, 이전 공개도 보존됩니다." in html
    assert "제2차 공개로 대체됨" in html and "제1차 공개를 정정" in html
    assert Publication.objects.count() == 2
    index = client.get(reverse("publication:index")).content.decode()
    assert "제2차" in index


def test_publishing_the_same_state_twice_is_refused(client, competition, world, official):
    """A double click on 「공개」 (or a second official) does not make an empty correction."""
    proposals = world(tie=True)
    Draw.objects.create(proposal=proposals[2], order=1, method="제비뽑기", recorded_by=official)
    Draw.objects.create(proposal=proposals[1], order=2, method="제비뽑기", recorded_by=official)
    client.force_login(official)
    assert post(client, competition, confirm="on").status_code == 302
    audit = AuditEntry.objects.count()
    response = post(client, competition, confirm="on")
    assert response.status_code == 409
    assert (
        "제1차 공개 이후 바뀐 것이 없습니다(점수, 가점·감점, 추첨, 결과가 같음). 정정 공개를 만들지 않았습니다."
        in response.content.decode()
    )
    assert Publication.objects.count() == 1 and AuditEntry.objects.count() == audit


def test_reviewers_and_visitors_cannot_publish(client, competition, world, make_reviewer):
    world()
    response = post(client, competition, confirm="on")
    assert response.status_code == 302 and "login" in response.url
    client.force_login(make_reviewer("choi").user)
    assert post(client, competition, confirm="on").status_code == 403
    assert Publication.objects.count() == 0


OFFICIAL_PAGE_QUERIES = (
    16  # 13, the affiliation re-check of every assignment (2), accepted appeals to cite (1)
)


@pytest.mark.parametrize("count", [20, 2000])
def test_publication_page_queries_do_not_grow(
    count, client, competition, stage, make_reviewer, official, django_assert_max_num_queries
):
    bulk_published(competition, stage, make_reviewer, official, count)
    client.force_login(official)
    with django_assert_max_num_queries(OFFICIAL_PAGE_QUERIES):
        response = page(client, competition)
    assert response.status_code == 200
    assert "현재 유효" in response.content.decode()


# --- Appeals (issue 13): each publication's state, and the appeals a correction cites ----------


def test_each_publication_shows_its_appeal_state(client, competition, lettered):
    from evaluation.appeals import deadline_text, publication_state

    state = publication_state(lettered["publication"])
    client.force_login(lettered["official"])
    text = page(client, competition).content.decode()
    assert state.label in text and deadline_text(state.deadline) in text


def test_a_correction_lists_then_cites_the_accepted_appeals(client, competition, lettered):
    from evaluation.appeals import add_committee_member, decide_appeal, file_appeal
    from evaluation.models import Appeal
    from tests.letters import token_of

    appeals = []
    for number, accept in ((1, True), (2, False)):
        appeal = file_appeal(
            token_of(lettered["letters"][number]), ground="evaluator_error", text="착오", filed_by="홍길동"
        )
        add_committee_member(appeal, lettered["spare"][0], lettered["official"])
        appeals.append(decide_appeal(appeal, lettered["official"], accept=accept, reasons=f"결정 {number}"))
    accepted, _rejected = appeals
    client.force_login(lettered["official"])
    text = page(client, competition).content.decode()
    section = text[text.index('id="publish-heading"') :]
    assert "citing-appeals" in section and "결정 1" in section and "결정 2" not in section
    assert (
        f"Appeal {accepted.pk} — {lettered['proposals'][1].reference}" in section
        or str(accepted.pk) in section
    )
    Adjustment.objects.create(
        proposal=lettered["proposals"][3], points=1, reason="이의신청 인용", recorded_by=lettered["official"]
    )
    response = post(client, competition, confirm="on", correction_reason="이의신청 인용")
    assert response.status_code == 302
    correction = Publication.objects.get(number=2)
    assert [cited["id"] for cited in correction.snapshot["appeals"]] == [accepted.pk]
    assert Appeal.objects.get(pk=accepted.pk).corrected_by == correction
    text = page(client, competition).content.decode()
    corrections = text[text.index('id="corrections-heading"') : text.index('id="publish-heading"')]
    assert "cited-appeals" in corrections and lettered["proposals"][1].reference in corrections
    assert "결정 1" in corrections and "결정 2" not in corrections
    assert (
        "citing-appeals" not in text
    )  # nothing left to cite    assert lettered["proposals"][1].reference in section and str(accepted.pk) in section
