import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import ROLE_PERMISSIONS, Role

pytestmark = pytest.mark.django_db


def test_role_groups_exist_with_their_permissions():
    for role, permissions in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role.value)
        held = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert held == set(permissions)


@pytest.mark.parametrize(
    ("role", "start"),
    [
        (Role.ADMIN, "manage:index"),
        (Role.OFFICIAL, "official:index"),
        (Role.REVIEWER, "review:index"),
    ],
)
def test_home_sends_each_role_to_its_start_page(client, user_factory, role, start):
    client.force_login(user_factory(role))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse(start)
    assert client.get(response.url).status_code == 200


def test_anonymous_visitor_sees_only_the_public_landing_page(client):
    response = client.get(reverse("home"))
    assert response.url == reverse("public-landing")
    assert client.get(response.url).status_code == 200
    for name in ("manage:index", "official:index", "review:index"):
        assert client.get(reverse(name)).status_code == 302


def test_start_pages_of_other_roles_are_forbidden(client, user_factory):
    client.force_login(user_factory(Role.REVIEWER))
    assert client.get(reverse("official:index")).status_code == 403
    assert client.get(reverse("manage:index")).status_code == 403


def test_login_page_is_korean_and_signs_in(client, user_factory):
    user_factory(Role.OFFICIAL, "kim")
    page = client.get(reverse("login"))
    assert page.status_code == 200 and 'lang="ko' in page.content.decode()
    response = client.post(reverse("login"), {"username": "kim", "password": "pw-test-1234"})
    assert response.status_code == 302
    assert client.get(reverse("home")).url == reverse("official:index")


def test_logout_is_a_post(client, user_factory):
    client.force_login(user_factory(Role.OFFICIAL))
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).url == reverse("public-landing")


def test_public_landing_hides_competitions_still_in_preparation(client, competition):
    assert competition.status == competition.Status.DRAFT
    page = client.get(reverse("public-landing")).content.decode()
    assert competition.name not in page
    competition.status = competition.Status.OPEN
    competition.save()
    assert competition.name in client.get(reverse("public-landing")).content.decode()
