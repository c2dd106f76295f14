"""The frame of every page (issue 10 item 15, KRDS): the official-site masthead, the organization's
identity (a setting or the competition's, never written into a template), the main menu of each
role, the footer with contact and the privacy policy; Korean dates; the sign-in label."""

import datetime
import re
import urllib.parse
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from accounts.roles import Role
from proposals.domain.competition_file import load_competition_file
from proposals.models import AuditEntry, Competition

pytestmark = pytest.mark.django_db

MASTHEAD = "이 누리집은 대한민국 공식 전자정부 누리집입니다."


def menu(html: str) -> list[tuple[str, bool]]:
    """The main menu's links: (label, current)."""
    nav = html[html.index('id="krds-main-menu"') : html.index("</nav>", html.index('id="krds-main-menu"'))]
    return [
        (label, "aria-current" in attributes)
        for attributes, label in re.findall(
            r'<a href="[^"]*" class="gnb-main-trigger[^"]*"([^>]*)>([^<]+)</a>', nav
        )
    ]


@pytest.mark.parametrize(
    ("role", "page", "expected"),
    [
        (None, "public-landing", [("공개 결과", True)]),
        (Role.REVIEWER, "review:index", [("내 평가", True), ("공개 결과", False)]),
        (Role.OFFICIAL, "official:index", [("공모 목록", True), ("공개 결과", False)]),
        (Role.OFFICIAL, "publication:index", [("공모 목록", True), ("공개 결과", False)]),
        (Role.ADMIN, "manage:index", [("관리", True), ("공모 목록", False), ("공개 결과", False)]),
        (Role.ADMIN, "public-landing", [("관리", False), ("공모 목록", False), ("공개 결과", True)]),
    ],
)
def test_each_role_sees_its_main_menu_under_the_masthead(client, user_factory, role, page, expected):
    if role:
        client.force_login(user_factory(role, f"user-{role}"))
    html = client.get(reverse(page)).content.decode()
    assert html.index('id="krds-skip-link"') < html.index(MASTHEAD) < html.index('id="krds-header"')
    assert menu(html) == expected


def test_the_footer_names_the_organization_its_contact_and_the_privacy_policy(client):
    html = client.get(reverse("public-landing")).content.decode()
    footer = html[html.index('id="krds-footer"') :]
    assert "국토교통부</strong> 공모평가 시스템" in footer
    assert f'href="{reverse("privacy")}"' in footer and "개인정보처리방침" in footer
    assert "이 누리집은 국토교통부에서 운영합니다." in footer
    assert "전화" not in footer  # no contact set: none shown
    with override_settings(
        CONTACT_DEPARTMENT="도시경제과", CONTACT_PHONE="044-201-0000", CONTACT_EMAIL="smartcity@example.go.kr"
    ):
        footer = client.get(reverse("public-landing")).content.decode().split('id="krds-footer"')[1]
    assert "담당 부서 <span>도시경제과</span>" in footer
    assert '<a href="tel:044-201-0000">044-201-0000</a>' in footer
    assert '<a href="mailto:smartcity@example.go.kr">smartcity@example.go.kr</a>' in footer


def test_the_privacy_policy_page_says_what_is_kept_and_who_sees_it(client):
    response = client.get(reverse("privacy"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="heading-title">개인정보처리방침</h1>' in html
    assert "국토교통부는 공모평가 시스템에서 평가 운영에 필요한 만큼만 개인정보를 처리하며" in html
    assert "연락처와 평가위원의 이름은 시스템 관리자만 볼 수 있습니다." in html


def test_the_site_organization_is_a_setting(client):
    with override_settings(ORGANIZATION_NAME="해양수산부"):
        html = client.get(reverse("public-landing")).content.decode()
    assert '<span class="organization-name">해양수산부</span>' in html
    assert "해양수산부 공모사업의 평가 결과를 이곳에 공개합니다." in html
    assert "국토교통부" not in html


def test_no_template_or_translation_names_a_ministry():
    """The organization comes from the competition or the setting (SPEC §8.5), never a template."""
    base = Path(settings.BASE_DIR)
    templates = [p for folder in ("templates", "portal", "accounts") for p in (base / folder).rglob("*.html")]
    assert templates
    for path in templates:
        assert "국토교통부" not in path.read_text(encoding="utf-8"), path
    catalogue = (base / "locale/ko/LC_MESSAGES/django.po").read_text(encoding="utf-8")
    assert "국토교통부" not in catalogue and "Ministry of Land" not in catalogue


def test_a_competition_page_shows_the_competition_s_organization(client, user_factory, competition):
    Competition.objects.filter(pk=competition.pk).update(organization="해양수산부")
    client.force_login(user_factory(Role.OFFICIAL, "han"))
    html = client.get(reverse("official:ranking", args=[competition.slug])).content.decode()
    assert '<span class="organization-name">해양수산부</span>' in html


COMPETITION = """\
slug = "fishing-2025"
name = "2025년 어촌신활력 증진사업"
year = 2025
{organization}
[[categories]]
code = "a"
name = "가형"

[[categories.tracks]]
code = "a"
name = "가형"
slots = 1
subsidy = 100
"""


def test_the_competition_file_names_the_organization_or_leaves_it_to_the_setting(tmp_path):
    path = tmp_path / "competition.toml"
    path.write_text(COMPETITION.format(organization='organization = "해양수산부"'), encoding="utf-8")
    competition = load_competition_file(path).competition
    assert competition.organization == "해양수산부" and competition.organization_name == "해양수산부"

    path.write_text(COMPETITION.format(organization=""), encoding="utf-8")
    result = load_competition_file(path)
    competition.refresh_from_db()
    assert competition.organization == ""
    assert competition.organization_name == settings.ORGANIZATION_NAME
    assert any("organization" in change for change in result.changes)
    assert AuditEntry.objects.filter(action="competition.loaded", object_id=competition.pk).count() == 2


def test_dates_are_korean_everywhere():
    moment = timezone.make_aware(datetime.datetime(2026, 12, 1, 14, 5, 9))
    template = Template(
        '{% load korean %}{{ moment|date:"DATE_FORMAT" }}|{{ moment|date:"DATETIME_FORMAT" }}|'
        "{{ moment|datetime_seconds }}"
    )
    with translation.override("ko"):
        assert (
            template.render(Context({"moment": moment}))
            == "2026. 12. 1.|2026. 12. 1. 14:05|2026. 12. 1. 14:05:09"
        )


def test_the_sign_in_form_asks_for_an_e_mail_or_username(client, user_factory):
    html = client.get(reverse("login")).content.decode()
    assert '<label for="id_username">이메일 또는 아이디</label>' in html
    user_factory(Role.OFFICIAL, "han")
    html = client.post(reverse("login"), {"username": "han", "password": "wrong"}).content.decode()
    assert "이메일(아이디) 또는 비밀번호가 올바르지 않습니다." in html
    assert "(과)" not in html


def test_a_password_like_the_username_is_refused_in_plain_korean(user_factory):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    user = user_factory(None, "kimseoyeon")
    with translation.override("ko"), pytest.raises(ValidationError) as refused:
        validate_password("kimseoyeon1", user)
    assert "비밀번호가 다른 개인 정보(사용자 이름)와 너무 비슷합니다." in refused.value.messages


def test_the_blank_template_is_named_as_the_page_names_the_list(admin_client):
    """One word for the applicant list (신청 목록): the page, its heading and the file it gives."""
    response = admin_client.get(reverse("manage:proposals-template"))
    disposition = response["Content-Disposition"]
    assert (
        disposition
        == "attachment; filename*=UTF-8''%EC%8B%A0%EC%B2%AD%20%EB%AA%A9%EB%A1%9D%20%EC%96%91%EC%8B%9D.xlsx"
    )
    assert urllib.parse.unquote(disposition.split("''")[1]) == "신청 목록 양식.xlsx"
