"""Sign-in throttling (issue 5 §4): five failures within 15 minutes, for one username or from one
address, refuse further attempts for 15 minutes, without telling whether the account exists."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import LoginFailure

pytestmark = pytest.mark.django_db

THROTTLED = "로그인 시도가 너무 많습니다. 15분 뒤에 다시 시도해 주세요."
PASSWORD = "pw-test-1234"


def sign_in(client, username, password, ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail(client, username, times, ip="10.0.0.1"):
    for _ in range(times):
        response = sign_in(client, username, "wrong-password", ip)
        assert response.status_code == 200 and THROTTLED not in response.content.decode()


@pytest.fixture
def kim(user_factory):
    return user_factory(None, "kim")


def test_five_failures_lock_the_username_even_with_the_right_password(client, kim):
    fail(client, "kim", 5)
    response = sign_in(client, "kim", PASSWORD, ip="10.0.0.2")  # another address: still refused
    assert response.status_code == 200
    assert THROTTLED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_four_failures_then_success_clears_the_counter(client, kim):
    fail(client, "kim", 4)
    assert sign_in(client, "kim", PASSWORD).status_code == 302
    assert not LoginFailure.objects.exists()
    client.logout()
    fail(client, "kim", 4)
    assert sign_in(client, "kim", PASSWORD).status_code == 302


def test_an_unknown_username_is_refused_the_same_way(client, kim):
    fail(client, "nobody", 5)
    fail(client, "kim", 5, ip="10.0.0.9")
    unknown = sign_in(client, "nobody", "wrong-password", ip="10.0.0.3").content.decode()
    known = sign_in(client, "kim", "wrong-password", ip="10.0.0.4").content.decode()
    assert THROTTLED in unknown and THROTTLED in known
    # The refusal is decided before the password is checked: nothing more is recorded.
    assert LoginFailure.objects.filter(key="user:nobody").count() == 5


def test_five_failures_from_one_address_lock_that_address(client, kim, user_factory):
    user_factory(None, "lee")
    for username in ("a", "b", "c", "d", "e"):
        fail(client, username, 1, ip="10.0.0.7")
    assert THROTTLED in sign_in(client, "lee", PASSWORD, ip="10.0.0.7").content.decode()
    assert sign_in(client, "lee", PASSWORD, ip="10.0.0.8").status_code == 302


def test_the_lock_ends_after_15_minutes(client, kim):
    fail(client, "kim", 5)
    LoginFailure.objects.update(at=timezone.now() - timedelta(minutes=15, seconds=1))
    assert sign_in(client, "kim", PASSWORD).status_code == 302


def test_failures_spread_over_more_than_15_minutes_do_not_lock(client, kim):
    fail(client, "kim", 4)
    LoginFailure.objects.update(at=timezone.now() - timedelta(minutes=16))
    fail(client, "kim", 1)
    assert sign_in(client, "kim", PASSWORD).status_code == 302


def test_usernames_are_counted_without_regard_to_case(client, kim):
    fail(client, "KIM", 3)
    fail(client, "Kim", 2)
    assert THROTTLED in sign_in(client, "kim", PASSWORD, ip="10.0.0.5").content.decode()


def test_the_admin_sign_in_is_throttled_too(client, kim):
    kim.is_staff = True
    kim.save()
    fail(client, "kim", 5)
    response = client.post(
        reverse("admin:login"), {"username": "kim", "password": PASSWORD}, REMOTE_ADDR="10.0.0.6"
    )
    assert response.status_code == 200
    assert THROTTLED in response.content.decode()
