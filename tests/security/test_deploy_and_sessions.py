"""Production settings (issue 5 §4): `check --deploy` is clean, sessions expire, pages send a
content security policy that the pages themselves satisfy."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

PRODUCTION_ENV = {"DEBUG": "0", "ALLOWED_HOSTS": "example.go.kr"}


def run_manage(tmp_path, *args, **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "DATABASE_", "SECRET_", "CSRF_", "LOGIN_"))
    }
    environment.update(
        PRODUCTION_ENV,
        SECRET_KEY=secrets.token_urlsafe(64),
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        DJANGO_SETTINGS_MODULE="config.settings",
        **env,
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=Path(settings.BASE_DIR),
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = run_manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout, result.stdout + result.stderr


def test_check_deploy_reports_a_weak_configuration(tmp_path):
    """The test above would notice a regression: HSTS off is reported."""
    result = run_manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_production_settings_are_secure(tmp_path):
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_HTTPONLY, s.X_FRAME_OPTIONS, "
        "s.SESSION_ENGINE, s.SECURE_CSP['default-src'])"
    )
    result = run_manage(tmp_path, "shell", "--no-imports", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "True True True 31536000 True DENY django.contrib.sessions.backends.db [\"'self'\"]"
    )
    behind_proxy = run_manage(tmp_path, "shell", "--no-imports", "-c", code, SECURE_SSL_REDIRECT="0")
    assert behind_proxy.stdout.startswith("False True True")


def test_sessions_expire_after_a_working_day_and_at_browser_close(client, user_factory):
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True
    user_factory(None, "someone")
    response = client.post(reverse("login"), {"username": "someone", "password": "pw-test-1234"})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]  # a browser-session cookie
    assert cookie["httponly"]
    assert client.session.get_expiry_age() <= 8 * 60 * 60
    assert client.session.get_expire_at_browser_close()


def test_an_expired_session_is_signed_out(client, user_factory):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    user_factory(None, "someone")
    client.post(reverse("login"), {"username": "someone", "password": "pw-test-1234"})
    assert client.get(reverse("public-landing")).wsgi_request.user.is_authenticated
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert not client.get(reverse("public-landing")).wsgi_request.user.is_authenticated


@pytest.mark.parametrize("name", ["login", "public-landing"])
def test_pages_send_security_headers(client, name):
    response = client.get(reverse(name))
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_templates_have_no_inline_scripts_styles_or_handlers():
    """The policy forbids inline code, so the templates must not contain any."""
    base = Path(settings.BASE_DIR)
    templates = [
        path
        for folder in ("templates", "accounts", "portal", "proposals", "evaluation")
        for path in (base / folder).rglob("*.html")
    ]
    assert templates
    for path in templates:
        text = path.read_text()
        for script in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in script, (path, script)
        assert "<style" not in text, path
        assert not re.search(r"\sstyle=", text), path
        assert not re.search(r"\son[a-z]+=", text), path
