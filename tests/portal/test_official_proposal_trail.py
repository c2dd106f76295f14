"""The officials' proposal page (issue 10 §7): the audit trail paged and filterable (kind of
record, reviewer code, dates), times to the second; reopening and 기피 ask for a ticked
confirmation (no script needed) and write nothing without it."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts.roles import Role
from evaluation.models import Conflict, Scoresheet
from evaluation.reviewer_codes import reviewer_codes
from proposals.models import AuditEntry

from .test_official_proposal import page_url, stored

pytestmark = pytest.mark.django_db

CONFIRM_REOPEN = "재개를 확인하는 확인란을 선택해 주세요. 아무것도 바꾸지 않았습니다."
CONFIRM_CHALLENGE = "기피를 확인하는 확인란을 선택해 주세요. 아무것도 기록하지 않았습니다."


@pytest.fixture
def official(user_factory):
    user = user_factory(Role.OFFICIAL, "official-kim")
    user.first_name = "김담당"
    user.save()
    return user


@pytest.fixture
def official_client(client, official):
    client.force_login(official)
    return client


@pytest.fixture
def world(stage, make_criteria, make_proposal, make_reviewer, make_assignment, submit_sheet):
    """Five criteria; kim submitted (after two drafts), lee saved a draft, park has not started:
    more than one page of trail."""
    make_criteria(5)
    proposal = make_proposal(applicant="울산광역시", title="울산 스마트시티 챌린지")
    kim, lee, park = (make_reviewer(name) for name in ("kim", "lee", "park"))
    assignments = [make_assignment(proposal, reviewer) for reviewer in (kim, lee, park)]
    submit_sheet(assignments[0], [10, 11, 12, 13, 14], draft_only=True)
    submit_sheet(assignments[0], [15, 16, 17, 18, 19], draft_only=True)
    sheet = submit_sheet(assignments[0], [15, 16, 17, 18, 19.5])
    submit_sheet(assignments[1], [5, None, None, None, None], draft_only=True)
    return {"proposal": proposal, "assignments": assignments, "sheet": sheet, "kim": kim, "lee": lee}


def trail_rows(response):
    html = response.content.decode()
    section = html[html.index('id="audit-heading"') :]
    body = section[section.index("<tbody") : section.index("</tbody>")]
    return re.findall(r"<tr\b.*?</tr>", body, flags=re.S)


def test_the_trail_is_paged_twenty_at_a_time_with_times_to_the_second(official_client, stage, world):
    total = AuditEntry.objects.filter(competition_id=stage.competition_id).count()
    url = page_url(stage, world["proposal"])
    response = official_client.get(url)
    rows = trail_rows(response)
    count = response.context["audit_table"].paginator.count
    assert 20 < count <= total and len(rows) == 20
    html = response.content.decode()
    assert f"{count}건" in html and "2쪽 중 1쪽" in html
    assert "trail-page=2" in html  # the pagination links
    assert re.search(r"\d{4}\. \d{1,2}\. \d{1,2}\. \d\d:\d\d:\d\d", rows[0])  # Korean date, to the second
    second = official_client.get(url + "?trail-page=2")
    assert len(trail_rows(second)) == count - 20


def test_the_trail_filters_by_kind(official_client, stage, world):
    response = official_client.get(page_url(stage, world["proposal"]), {"kind": "scoresheet"})
    entries = list(response.context["audit_table"].data)
    assert entries and {entry.object_type for entry in entries} == {"scoresheet"}
    assert "(골라 봄)" in response.content.decode()


def test_the_trail_filters_by_reviewer_code_and_names_no_one(official_client, stage, world):
    codes = reviewer_codes(stage, world["proposal"])
    kim_code, lee_code = codes[world["kim"].pk], codes[world["lee"].pk]
    response = official_client.get(page_url(stage, world["proposal"]), {"reviewer": lee_code})
    entries = list(response.context["audit_table"].data)
    lee_sheet = Scoresheet.objects.get(assignment=world["assignments"][1])
    assert entries
    for entry in entries:
        assert (entry.object_type, entry.object_id) in {
            ("assignment", str(world["assignments"][1].pk)),
            ("scoresheet", str(lee_sheet.pk)),
        } or (entry.object_type == "score" and entry.after.get("sheet_id") == lee_sheet.pk)
    html = response.content.decode()
    # The choices are codes (never a reviewer's id or name for officials).
    assert f'<option value="{lee_code}" selected>평가위원 {lee_code}</option>' in html
    assert f'<option value="{kim_code}">평가위원 {kim_code}</option>' in html
    select = html[
        html.index('id="trail-reviewer"') : html.index("</select>", html.index('id="trail-reviewer"'))
    ]
    assert "위원 kim" not in select and f'value="{world["kim"].pk}"' not in select


def test_the_trail_filters_by_date(official_client, stage, world):
    today = timezone.localdate()
    url = page_url(stage, world["proposal"])
    kept = official_client.get(url, {"since": today.isoformat(), "until": today.isoformat()})
    assert kept.context["audit_table"].paginator.count > 20
    tomorrow = (today + timedelta(days=1)).isoformat()
    none = official_client.get(url, {"since": tomorrow})
    assert none.context["audit_table"].paginator.count == 0
    assert "이 사업 제안에 기록된 내역이 아직 없습니다." in none.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"since": "어제"}, "2026-12-01과 같은 형식으로 날짜를 적어 주세요."),
        ({"since": "2026-12-02", "until": "2026-12-01"}, "종료일이 시작일보다 앞섭니다."),
    ],
)
def test_a_wrong_date_says_so_and_shows_the_whole_trail(official_client, stage, world, query, message):
    response = official_client.get(page_url(stage, world["proposal"]), query)
    assert message in response.content.decode()
    assert response.context["audit_table"].paginator.count > 20


def test_the_officials_pages_keep_anchors_clear_of_the_sticky_header(official_client, stage, world):
    html = official_client.get(page_url(stage, world["proposal"])).content.decode()
    assert "/static/portal/official.css" in html and "/static/portal/official.js" in html
    css = (settings.BASE_DIR / "portal" / "static" / "portal" / "official.css").read_text()
    assert "#content [id] { scroll-margin-top: calc(var(--sticky-header-height, 16rem)" in css
    for anchor in ("#assignments-heading", "#reopen", "#conflicts-heading", "#audit-heading"):
        assert f'href="{anchor}"' in html


def test_reopening_without_the_confirmation_changes_nothing(official_client, stage, world):
    sheet = world["sheet"]
    before, entries = stored(sheet), AuditEntry.objects.count()
    response = official_client.post(
        page_url(stage, world["proposal"], "official:reopen-sheet"),
        {"assignment": sheet.assignment_id, "reason": "C2 입력 오류"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and CONFIRM_REOPEN in html
    assert 'id="reopen-confirm" value="on" required aria-required="true"' in html
    assert stored(sheet) == before and AuditEntry.objects.count() == entries and not mail.outbox


def test_reopening_with_the_confirmation_reopens_and_tells_the_reviewer(
    official_client, stage, world, django_capture_on_commit_callbacks
):
    sheet = world["sheet"]
    with django_capture_on_commit_callbacks(execute=True):
        response = official_client.post(
            page_url(stage, world["proposal"], "official:reopen-sheet"),
            {"assignment": sheet.assignment_id, "reason": "C2 입력 오류", "confirm": "on"},
        )
    assert response.status_code == 302
    assert Scoresheet.objects.get(pk=sheet.pk).status == Scoresheet.Status.DRAFT
    (message,) = mail.outbox
    assert message.to == ["kim@example.kr"] and "- 사유: C2 입력 오류" in message.body


def test_a_challenge_without_the_confirmation_records_nothing(official_client, stage, world):
    entries = AuditEntry.objects.count()
    response = official_client.post(
        page_url(stage, world["proposal"], "official:record-challenge"),
        {"reviewer": world["kim"].pk, "reason": "신청 지자체 자문위원"},
    )
    assert CONFIRM_CHALLENGE in response.content.decode()
    assert not Conflict.objects.exists() and AuditEntry.objects.count() == entries


def test_a_challenge_with_the_confirmation_is_recorded(official_client, stage, world):
    official_client.post(
        page_url(stage, world["proposal"], "official:record-challenge"),
        {"reviewer": world["kim"].pk, "reason": "신청 지자체 자문위원", "confirm": "on"},
    )
    assert Conflict.objects.get().kind == Conflict.Kind.CHALLENGED
