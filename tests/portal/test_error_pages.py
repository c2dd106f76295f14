"""Error pages (issue 10 item 13): 400, 403, 404, the CSRF failure and 500 are Korean pages in the
site's layout with a way back, with DEBUG off as in production — never Django's English pages.
The 500 page renders without the database and without the request's context processors."""

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from accounts.roles import Role
from portal.views import errors

MASTHEAD = "이 누리집은 대한민국 공식 전자정부 누리집입니다."
FIRST_PAGE = "첫 화면으로 가기"


def page_of(response) -> str:
    return response.content.decode()


def assert_site_layout(html: str):
    assert '<html lang="ko' in html
    assert MASTHEAD in html
    assert 'id="krds-footer"' in html and "개인정보처리방침" in html
    assert f'href="{reverse("home")}"' in html and FIRST_PAGE in html
    for english in ("Not Found", "Forbidden", "Server Error", "Bad Request", "CSRF verification failed"):
        assert english not in html


def test_the_tests_run_as_production_does():
    assert settings.DEBUG is False
    assert settings.CSRF_FAILURE_VIEW == "portal.views.errors.csrf_failure"


@pytest.mark.django_db
def test_a_missing_page_is_a_korean_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = page_of(response)
    assert "<title>페이지를 찾을 수 없습니다 | 공모평가</title>" in html
    assert "주소가 잘못 입력되었거나, 페이지가 옮겨졌거나 삭제되었을 수 있습니다." in html
    assert "공개 결과 보기" in html
    assert_site_layout(html)


@pytest.mark.django_db
def test_the_404_page_follows_the_chosen_language(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = page_of(client.get("/no-such-page/"))
    assert "<title>Page not found | Competition evaluation</title>" in html
    assert "This is an official website of the Government of the Republic of Korea." in html


@pytest.mark.django_db
def test_a_page_of_another_role_is_a_korean_403_that_names_the_role(client, user_factory):
    client.force_login(user_factory(Role.REVIEWER, "kim"))
    response = client.get(reverse("official:index"))
    assert response.status_code == 403
    html = page_of(response)
    assert "이 화면에 접근할 권한이 없습니다" in html
    assert "지금 평가위원으로 로그인되어 있으며, 이 화면은 다른 역할의 사용자를 위한 화면입니다." in html
    assert "업무에 필요하다면 시스템 관리자에게 권한을 요청해 주세요." in html
    assert_site_layout(html)


@pytest.mark.django_db
def test_a_user_without_a_role_is_told_so(client, user_factory):
    client.force_login(user_factory(None, "nobody"))
    html = page_of(client.get(reverse("manage:index")))
    assert "이 계정에는 아직 역할이 없어 이 화면을 볼 수 없습니다." in html


@pytest.mark.django_db
def test_a_bad_request_is_a_korean_400(client):
    response = client.get("/", HTTP_HOST="not-this-site.example")  # DisallowedHost
    assert response.status_code == 400
    html = page_of(response)
    assert "잘못된 요청입니다" in html
    assert_site_layout(html)


@pytest.mark.django_db
def test_a_form_without_its_security_token_is_a_korean_403(user_factory):
    user_factory(Role.OFFICIAL, "han")
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "han", "password": "pw-test-1234"})
    assert response.status_code == 403
    html = page_of(response)
    assert "보안 확인에 실패해 양식을 보내지 못했습니다" in html
    assert "아무것도 저장되지 않았습니다." in html
    assert "이전 화면으로 돌아가 새로 고친 뒤 다시 보내 주세요." in html
    assert_site_layout(html)
    assert not client.session.get("_auth_user_id")  # nothing happened


@pytest.mark.django_db
def test_the_django_admin_404_is_the_site_s_korean_page(client, user_factory):
    admin = user_factory(Role.ADMIN, "jung")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    response = client.get("/admin/no-such-app/")
    assert response.status_code == 404
    html = page_of(response)
    assert "페이지를 찾을 수 없습니다" in html
    assert_site_layout(html)


def failing_context_processor(request):
    raise RuntimeError("a context processor that fails")


BROKEN_CONTEXT = [
    {
        **settings.TEMPLATES[0],
        "OPTIONS": {
            **settings.TEMPLATES[0]["OPTIONS"],
            "context_processors": [
                *settings.TEMPLATES[0]["OPTIONS"]["context_processors"],
                "tests.portal.test_error_pages.failing_context_processor",
            ],
        },
    }
]


# No database access is allowed in this test (no django_db mark): the 500 page needs none.
@pytest.mark.urls("tests.portal.error_urls")
@override_settings(TEMPLATES=BROKEN_CONTEXT)
def test_an_exception_is_a_korean_500_without_database_or_context_processors():
    client = Client(raise_request_exception=False)
    response = client.get("/broken/")
    assert response.status_code == 500
    html = page_of(response)
    assert "일시적인 오류가 발생했습니다" in html
    assert "시스템 오류로 요청을 처리하지 못했습니다. 보낸 내용은 저장되지 않았습니다." in html
    assert MASTHEAD in html and "개인정보처리방침" in html and FIRST_PAGE in html
    assert settings.ORGANIZATION_NAME in html
    assert "Server Error" not in html and "Traceback" not in html


@pytest.mark.urls("tests.portal.error_urls")
def test_when_even_the_500_template_fails_a_plain_korean_page_is_sent(monkeypatch):
    def broken_template(name):
        raise RuntimeError("the template engine is broken too")

    monkeypatch.setattr(errors.loader, "get_template", broken_template)
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    html = page_of(response)
    assert "<h1>일시적인 오류가 발생했습니다</h1>" in html
    assert '<a href="/">첫 화면으로 가기</a>' in html
