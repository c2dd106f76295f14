"""Publishing closes the evaluation, through the pages: the reviewer's sheet and list show it
closed and refuse a save with the typed values kept; an official reopens one sheet with a reason,
the reviewer sees the notice and submits, and the correction's changes (정정 사항) are on the
officials' publication page and, as far as the public result goes, on the public page."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from accounts.roles import Role
from evaluation.models import Publication, Score, Scoresheet
from evaluation.publication import publish
from proposals.models import AuditEntry

pytestmark = pytest.mark.django_db

CLOSED = (
    "이 공모의 결과가 공개되어 평가가 마감되었으므로 이 평가표는 더 이상 고칠 수 없습니다. "
    "고쳐야 한다면 담당 공무원에게 사유를 적어 평가표를 재개해 달라고 요청해 주세요."
)
SAVE_BUTTON = 'name="action" value="draft"'
SUBMIT_BUTTON = 'name="action" value="submit"'


@pytest.fixture
def official(user_factory):
    user = user_factory(Role.OFFICIAL, "official-close")
    user.first_name = "김담당"
    user.save()
    return user


@pytest.fixture
def world(
    competition, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet, pledged, official
):
    """Hub: 울산 100 (kim, lee), 고양 90 (kim, lee), 부천 75 (kim; lee's sheet a draft, park's not
    started), published with a written reason for the two outstanding sheets."""
    criteria = make_criteria(3, max_points=Decimal(40))
    kim, lee, park = (make_reviewer(name) for name in ("kim", "lee", "park"))
    for reviewer in (kim, lee, park):
        pledged(reviewer)
    proposals = [make_proposal(applicant=name) for name in ("울산광역시", "고양시", "부천시")]
    for proposal, points in zip(proposals, ([35, 35, 30], [30, 30, 30], [25, 25, 25]), strict=True):
        submit_sheet(make_assignment(proposal, kim, confirmed=True), points)
    submit_sheet(make_assignment(proposals[0], lee, confirmed=True), [35, 35, 30])
    submit_sheet(make_assignment(proposals[1], lee, confirmed=True), [30, 30, 30])
    draft = make_assignment(proposals[2], lee, confirmed=True)
    submit_sheet(draft, [20, None, None], draft_only=True)
    not_started = make_assignment(proposals[2], park, confirmed=True)
    publish(competition, official, override_reason="위원 연락 두절")
    return {"criteria": criteria, "proposals": proposals, "draft": draft, "not_started": not_started}


def sheet_url(assignment):
    return reverse("review:sheet", args=[assignment.stage.competition.slug, assignment.pk])


def sheet_post(criteria, points, *, version, action="draft", comment=""):
    data = {"version": version, "action": action, "comment": comment, "confirm_final": "on"}
    for criterion, value in zip(criteria, points, strict=True):
        data[f"points_{criterion.pk}"] = value
        data[f"comment_{criterion.pk}"] = f"{criterion.code} 의견"
    return data


def written():
    return (
        list(Scoresheet.objects.order_by("pk").values_list()),
        list(Score.objects.order_by("pk").values_list()),
        AuditEntry.objects.count(),
    )


def version_of(assignment):
    sheet = Scoresheet.objects.filter(assignment=assignment).first()
    return sheet.version if sheet else 1


@pytest.mark.parametrize("which", ["draft", "not_started"])
@pytest.mark.parametrize("action", ["draft", "submit"])
def test_a_reviewer_save_after_publication_is_refused_with_the_values_kept(client, world, which, action):
    assignment = world[which]
    client.force_login(assignment.reviewer.user)
    before = written()
    response = client.post(
        sheet_url(assignment),
        sheet_post(
            world["criteria"],
            ["31", "32.5", "33"],
            version=version_of(assignment),
            action=action,
            comment="늦은 의견",
        ),
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert escape(CLOSED) in page
    assert "아무것도 저장하지 않았습니다. 입력하신 값은 옮겨 적을 수 있도록 아래에 그대로 두었습니다." in page
    for typed in (">31<", ">32.5<", ">33<", "늦은 의견", "C2 의견"):
        assert typed in page
    assert SAVE_BUTTON not in page and SUBMIT_BUTTON not in page
    assert written() == before


def test_an_invalid_save_after_publication_gets_the_closed_message_too(client, world):
    assignment = world["draft"]
    client.force_login(assignment.reviewer.user)
    before = written()
    response = client.post(
        sheet_url(assignment), sheet_post(world["criteria"], ["많음", "", ""], version=version_of(assignment))
    )
    assert response.status_code == 409
    assert escape(CLOSED) in response.content.decode() and ">많음<" in response.content.decode()
    assert written() == before


def test_the_sheet_page_and_list_show_the_sheet_closed(client, world):
    assignment = world["draft"]
    client.force_login(assignment.reviewer.user)
    page = client.get(sheet_url(assignment)).content.decode()
    assert "마감된 평가표" in page
    assert (
        "이 공모의 결과가 공개되어 평가가 마감되었으므로 이 평가표는 더 이상 저장하거나 제출할 수 없습니다."
        in page
    )
    assert ">20<" in page  # the saved draft, read-only
    assert (
        SAVE_BUTTON not in page
        and SUBMIT_BUTTON not in page
        and "<form" not in page.split("<main")[1].split("</main>")[0]
    )
    listing = client.get(
        reverse("review:competition", args=[assignment.stage.competition.slug])
    ).content.decode()
    assert "마감(결과 공개)" in listing and "평가표 보기" in listing
    assert "이어서 평가하기" not in listing


def test_an_official_reopens_a_closed_draft_the_reviewer_submits_and_the_correction_lists_it(
    client, world, official, competition
):
    draft = world["draft"]
    slug, stage = competition.slug, draft.stage.code
    proposal_url = reverse("official:proposal", args=[slug, stage, draft.proposal_id])
    client.force_login(official)
    page = client.get(proposal_url).content.decode()
    assert "마감(결과 공개)" in page  # lee's draft and park's sheet not started
    assert f'<option value="{draft.pk}">' in page and f'<option value="{world["not_started"].pk}">' in page

    # Without a reason: refused, nothing written.
    before = written()
    response = client.post(
        reverse("official:reopen-sheet", args=[slug, stage, draft.proposal_id]),
        {"assignment": draft.pk, "reason": " ", "confirm": "on"},
    )
    assert "재개 사유를 적어 주세요." in response.content.decode()
    assert written() == before

    reason = "위원과 연락이 닿아 평가를 마무리하도록 재개"
    response = client.post(
        reverse("official:reopen-sheet", args=[slug, stage, draft.proposal_id]),
        {"assignment": draft.pk, "reason": reason, "confirm": "on"},
        follow=True,
    )
    page = response.content.decode()
    assert "위원 lee 평가위원의 평가표를 재개했습니다" in page
    trail = page[page.index('id="audit-heading"') :]
    assert (
        "평가표 재개" in trail
        and reason in trail
        and "김담당" in trail
        and "재개 당시 공개본: — → 제1차 공개" in trail
    )
    assert "위원 lee" not in trail  # the sheet is B's

    # The reviewer sees the notice and the official's reason, and can submit.
    client.force_login(draft.reviewer.user)
    page = client.get(sheet_url(draft)).content.decode()
    assert "담당 공무원이" in page and "이 평가표를 재개했습니다" in page and reason in page
    assert SUBMIT_BUTTON in page
    listing = client.get(reverse("review:competition", args=[slug])).content.decode()
    assert "재개됨(다시 제출 필요)" in listing
    response = client.post(
        sheet_url(draft),
        sheet_post(world["criteria"], ["40", "40", "40"], version=version_of(draft), action="submit"),
    )
    assert response.status_code == 302
    assert Scoresheet.objects.get(assignment=draft).total == 120
    # Submitted: closed again.
    response = client.post(
        sheet_url(draft), sheet_post(world["criteria"], ["1", "1", "1"], version=version_of(draft))
    )
    assert response.status_code in (403, 409)
    assert Scoresheet.objects.get(assignment=draft).total == 120

    # The correction: 부천 (75 → (75 + 120) / 2 = 97.5) overtakes 고양 (90).
    client.force_login(official)
    response = client.post(
        reverse("publication:publish", args=[slug]),
        {
            "confirm": "on",
            "override_reason": "위원 1명 연락 두절",
            "correction_reason": "평가표 재개 후 재제출",
        },
        follow=True,
    )
    second = Publication.objects.get(number=2)
    changes = second.snapshot["changes"]
    reference = draft.proposal.reference
    assert changes["sheets"] == [
        {
            "change": "added",
            "stage": stage,
            "proposal": reference,
            "reviewer": "B",
            "before": None,
            "after": "120.00",
        }
    ]
    page = response.content.decode()
    assert "정정 사항" in page and "제2차 공개: 제1차 공개 이후 바뀐 내용" in page
    assert f"평가표 추가 — 서면평가, {reference} 부천시, 평가위원 B: 총점 120.00" in page
    assert f"결과 변경 — 거점형, {reference} 부천시: 순위 3 → 2, 점수 75.00 → 97.50, 상태 예비 → 선정" in page

    public = client.get(reverse("public-results", args=[slug])).content.decode()
    assert "정정 사항" in public and "이 공개는 제1차 공개를 정정한 것입니다." in public
    assert "거점형: 새로 선정 — 부천시" in public
    assert "거점형: 선정 취소 — 고양시" in public
    assert "바뀐 평가 자료 — 평가표 1건." in public
    assert "97.50" not in public and "평가위원 B" not in public  # no score, no reviewer


def test_a_first_publication_shows_no_corrections(client, world, official, competition):
    client.force_login(official)
    assert (
        "정정 사항"
        not in client.get(reverse("publication:competition", args=[competition.slug])).content.decode()
    )
    assert "정정 사항" not in client.get(reverse("public-results", args=[competition.slug])).content.decode()


@pytest.mark.parametrize("which", ["draft", "not_started"])
def test_an_autosave_after_publication_is_refused_and_writes_nothing(client, world, which):
    """The sheet page's background save: the closed message in JSON, nothing written; the page
    keeps every value (review-sheet.js) and stops saving."""
    assignment = world[which]
    client.force_login(assignment.reviewer.user)
    before = written()
    response = client.post(
        reverse("review:autosave", args=[assignment.stage.competition.slug, assignment.pk]),
        sheet_post(world["criteria"], ["31", "", ""], version=version_of(assignment)),
    )
    assert response.status_code == 409
    assert response.json() == {
        "status": "closed",
        "message": f"자동 저장하지 못했습니다: {CLOSED} 입력한 값은 화면에 그대로 있습니다.",
        "errors": [],
    }
    assert written() == before
