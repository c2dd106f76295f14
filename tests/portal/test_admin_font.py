"""The Django admin loads the site's web font (templates/admin/base_site.html): on a machine without a
Korean system font every Korean word would otherwise be empty boxes. Stylesheets from this origin
only, under the site's content security policy (the browser journey tests/browser/test_admin_import.py
shows the pages; this checks every kind of admin page carries them)."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.roles import Role

pytestmark = pytest.mark.django_db

FONT = '<link rel="stylesheet" href="/static/portal/fonts.css">'
ADMIN_CSS = '<link rel="stylesheet" href="/static/portal/admin.css">'


@pytest.fixture
def staff_admin(client, user_factory):
    admin = user_factory(Role.ADMIN, "admin-font")
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    return client


def test_every_kind_of_admin_page_loads_the_web_font_after_the_admin_styles(staff_admin, competition, client):
    track = competition.categories.get(code="hub").tracks.get()
    pages = [
        reverse("admin:index"),
        reverse("admin:proposals_proposal_changelist"),
        reverse("admin:proposals_track_change", args=[track.pk]),
        reverse("admin:proposals_track_delete", args=[track.pk]),
        reverse("admin:password_change"),
    ]
    for url in pages:
        response = staff_admin.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert page.index("/static/admin/css/base.css") < page.index(FONT) < page.index(ADMIN_CSS), url
        policy = response["Content-Security-Policy"]
        assert "style-src 'self'" in policy and "unsafe-inline" not in policy
    client.logout()
    login = client.get(reverse("admin:login")).content.decode()
    assert FONT in login and ADMIN_CSS in login


def test_the_admin_font_stylesheet_names_the_web_font_for_the_admin():
    from django.contrib.staticfiles import finders

    css = Path(finders.find("portal/admin.css")).read_text(encoding="utf-8")
    assert re.search(r'--font-family-primary:\s*"Pretendard GOV"', css)
    assert re.search(r'--font-family-monospace:[^;]*"Pretendard GOV";', css)


def test_the_sidebar_has_a_header_for_each_column_it_shows(staff_admin):
    page = staff_admin.get(reverse("admin:proposals_proposal_changelist")).content.decode()
    sidebar = page[page.index('id="nav-sidebar"') :]
    table = sidebar[: sidebar.index("</table>")]
    assert table.count('<th scope="col">') == 2  # model, add link: the sidebar shows no change link
    assert "여기서 추가할 수 없음" in page  # a read-only model's add cell says so to a screen reader
