"""Who may open each reviewer page: every URL of portal/urls_review.py × every kind of visitor.

The matrix is checked against the URL configuration, so a new reviewer page cannot skip it.
"""

import pytest
from django.urls import reverse

from accounts.roles import Role
from evaluation.models import Conflict
from portal import urls_review

pytestmark = pytest.mark.django_db

VISITORS = ("anonymous", "assigned", "not_assigned", "conflicted", "official", "admin")
LOGIN = "login"

# name → expected status per visitor, in the order of VISITORS.
MATRIX = {
    "index": (LOGIN, 200, 200, 200, 403, 403),
    "competition": (LOGIN, 200, 200, 200, 403, 403),
    "pledge": (LOGIN, 200, 200, 200, 403, 403),
    "sheet": (LOGIN, 200, 404, 404, 403, 403),
    "conflict": (LOGIN, 200, 404, 404, 403, 403),
}


def url_for(name, world):
    slug = world["competition"].slug
    assignment = world["assignment"]
    args = {
        "index": [],
        "competition": [slug],
        "pledge": [slug],
        "sheet": [slug, assignment.pk],
        "conflict": [slug, assignment.pk],
    }[name]
    return reverse(f"review:{name}", args=args)


@pytest.fixture
def world(competition, make_criteria, make_reviewer, make_proposal, make_assignment, pledged, user_factory):
    make_criteria(2)
    proposal = make_proposal(applicant="울산광역시")
    assigned, not_assigned, conflicted = (make_reviewer(name) for name in ("kim", "lee", "park"))
    for reviewer in (assigned, not_assigned, conflicted):
        pledged(reviewer)
    assignment = make_assignment(proposal, assigned, confirmed=True)
    make_assignment(make_proposal(), not_assigned, confirmed=True)
    make_assignment(proposal, conflicted, confirmed=True)
    Conflict.objects.create(
        proposal=proposal, reviewer=conflicted, kind=Conflict.Kind.AUTOMATIC, reason="소속 기관"
    )
    return {
        "competition": competition,
        "assignment": assignment,
        "users": {
            "anonymous": None,
            "assigned": assigned.user,
            "not_assigned": not_assigned.user,
            "conflicted": conflicted.user,
            "official": user_factory(Role.OFFICIAL, "official-1"),
            "admin": user_factory(Role.ADMIN, "admin-1"),
        },
    }


def test_every_reviewer_url_is_in_the_matrix():
    names = {pattern.name for pattern in urls_review.urlpatterns}
    assert names == set(MATRIX)


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(client, world, name, visitor):
    user = world["users"][visitor]
    if user is not None:
        client.force_login(user)
    url = url_for(name, world)
    expected = MATRIX[name][VISITORS.index(visitor)]
    response = client.get(url)
    if expected == LOGIN:
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    else:
        assert response.status_code == expected, (name, visitor)
