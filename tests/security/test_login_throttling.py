"""Sign-in throttling (accounts/throttle.py, README "로그인 제한"): failures of one account name from
one address bring doubling delays for that pair only; a high ceiling per address refuses a spray;
a ceiling per account slows every address but never refuses a fresh one; a refusal says how long
to wait and the same whether the account exists or not. Through the site's sign-in, the Django
admin's sign-in and the admin's list of limits. (The parallel race is in tests/concurrency.)"""

from datetime import timedelta

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts import throttle
from accounts.models import LoginThrottle
from accounts.roles import Role

pytestmark = pytest.mark.django_db

PASSWORD = "pw-test-1234"
X, Y, Z = "10.0.0.1", "10.0.0.2", "10.0.0.3"
LOGIN_URLS = ["login", "admin:login"]


def refused(minutes):
    return f"로그인 시도가 너무 많습니다. {minutes}분 뒤에 다시 시도해 주세요."


def sign_in(client, username, password, ip=X, url="login"):
    return client.post(reverse(url), {"username": username, "password": password}, REMOTE_ADDR=ip)


def signed_in(response):
    return response.status_code == 302


def refusal(response):
    """The refusal message on the page, or None (the password was checked)."""
    assert response.status_code == 200
    page = response.content.decode()
    messages = [refused(minutes) for minutes in range(1, 61) if refused(minutes) in page]
    return messages[0] if messages else None


def fail(client, username, times, ip=X, url="login"):
    for _ in range(times):
        response = sign_in(client, username, "wrong-password", ip, url)
        assert refusal(response) is None, "refused before the expected failure"


def elapse(delta):
    """Let time pass for the counters: every stored moment moves ``delta`` into the past."""
    LoginThrottle.objects.update(
        first_failure_at=F("first_failure_at") - delta,
        last_failure_at=F("last_failure_at") - delta,
        restricted_until=F("restricted_until") - delta,
        expires_at=F("expires_at") - delta,
    )


def counters():
    return {
        (row.scope, row.username, row.address): row.failures
        for row in LoginThrottle.objects.order_by("scope", "username", "address")
    }


@pytest.fixture
def kim(user_factory):
    user = user_factory(None, "kim")
    user.is_staff = True  # may use the admin's sign-in too
    user.save()
    return user


@pytest.fixture
def lee(user_factory):
    user = user_factory(None, "lee")
    user.is_staff = True
    user.save()
    return user


# --- The delay rule (pure) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "free", "minutes"),
    [
        (0, 5, 0),
        (4, 5, 0),
        (5, 5, 1),
        (6, 5, 2),
        (7, 5, 4),
        (10, 5, 32),
        (11, 5, 60),  # 64 minutes, capped at an hour
        (12, 5, 60),
        (10_000, 5, 60),
        (1, 1, 1),  # an account over its ceiling: the wait starts after the first failure
        (2, 1, 2),
        (1, 0, 1),  # at least one failure comes without a wait
        (0, 0, 0),
    ],
)
def test_the_delay_doubles_after_the_free_failures_up_to_an_hour(failures, free, minutes):
    assert throttle.delay_after(failures, free) == timedelta(minutes=minutes)


def test_the_delay_rule_takes_its_first_delay_and_its_cap():
    first, cap = timedelta(seconds=30), timedelta(minutes=5)
    assert [throttle.delay_after(n, 3, first, cap) for n in (2, 3, 4, 5, 6, 7)] == [
        timedelta(0),
        timedelta(seconds=30),
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=5),
    ]


@pytest.mark.parametrize(
    ("wait", "minutes"),
    [
        (timedelta(0), 1),
        (timedelta(seconds=1), 1),
        (timedelta(minutes=1), 1),
        (timedelta(seconds=61), 2),
        (timedelta(minutes=15), 15),
        (timedelta(hours=1), 60),
    ],
)
def test_the_wait_is_told_in_whole_minutes_rounded_up(wait, minutes):
    assert throttle.minutes_to_wait(wait) == minutes
    assert throttle.refusal_message(wait) == refused(minutes)


# --- One account from one address --------------------------------------------------------------


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_five_failures_delay_that_account_from_that_address_even_with_the_right_password(client, kim, url):
    fail(client, "kim", 5, url=url)
    before = counters()
    response = sign_in(client, "kim", PASSWORD, url=url)
    assert refusal(response) == refused(1)
    assert "_auth_user_id" not in client.session
    assert counters() == before  # a refused attempt counts nothing and checks nothing


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_another_account_from_the_same_address_is_not_refused(client, kim, lee, url):
    fail(client, "kim", 5, url=url)
    assert refusal(sign_in(client, "kim", PASSWORD, url=url)) == refused(1)
    assert signed_in(sign_in(client, "lee", PASSWORD, url=url))


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_the_same_account_from_another_address_is_not_refused(client, kim, url):
    fail(client, "kim", 5, url=url)
    assert refusal(sign_in(client, "kim", PASSWORD, ip=X, url=url)) == refused(1)
    assert signed_in(sign_in(client, "kim", PASSWORD, ip=Y, url=url))


def test_the_delay_doubles_with_each_further_failure(client, kim):
    fail(client, "kim", 5)
    for minutes in (1, 2, 4, 8, 16, 32, 60, 60):
        assert refusal(sign_in(client, "kim", PASSWORD)) == refused(minutes)
        elapse(timedelta(minutes=minutes))
        fail(client, "kim", 1)  # the wait is over: one more guess is checked (and is wrong)
    assert LoginThrottle.objects.get(scope="pair", username="kim", address=X).failures == 13
    elapse(timedelta(minutes=60))
    assert signed_in(sign_in(client, "kim", PASSWORD))


def test_the_message_counts_down_the_minutes_left(client, kim):
    fail(client, "kim", 5)
    for minutes in (1, 2, 4, 8):
        elapse(timedelta(minutes=minutes))
        fail(client, "kim", 1)
    # The 9th failure brought a wait of 16 minutes; after 10½ of them, 5½ are left: "6분".
    elapse(timedelta(minutes=10, seconds=30))
    assert refusal(sign_in(client, "kim", PASSWORD)) == refused(6)


def test_a_successful_sign_in_clears_only_its_own_pair(client, kim, lee):
    fail(client, "kim", 4, ip=X)
    fail(client, "kim", 3, ip=Y)
    fail(client, "lee", 2, ip=X)
    assert signed_in(sign_in(client, "kim", PASSWORD, ip=X))
    client.logout()
    assert counters() == {
        ("account", "kim", ""): 7,  # its own slot given back, the failures kept
        ("account", "lee", ""): 2,
        ("address", "", X): 6,
        ("address", "", Y): 3,
        ("pair", "kim", X): 0,  # cleared
        ("pair", "kim", Y): 3,
        ("pair", "lee", X): 2,
    }
    fail(client, "kim", 2, ip=Y)  # kim from Y still has its own count: 5 now
    assert refusal(sign_in(client, "kim", PASSWORD, ip=Y)) == refused(1)
    fail(client, "kim", 4, ip=X)  # kim from X starts again from nothing
    assert signed_in(sign_in(client, "kim", PASSWORD, ip=X))


def test_a_pairs_failures_are_forgotten_a_day_after_the_last_one(client, kim):
    fail(client, "kim", 4)
    elapse(timedelta(hours=23, minutes=59))
    fail(client, "kim", 1)
    assert refusal(sign_in(client, "kim", PASSWORD)) == refused(1)
    elapse(timedelta(hours=24))
    fail(client, "kim", 4)
    assert signed_in(sign_in(client, "kim", PASSWORD))


def test_account_names_are_counted_without_regard_to_case_or_spaces(client, kim):
    fail(client, "KIM", 3)
    fail(client, " Kim ", 2)
    assert refusal(sign_in(client, "kim", PASSWORD)) == refused(1)


def test_an_unknown_account_name_is_refused_the_same_way(client, kim):
    fail(client, "nobody", 5)
    fail(client, "kim", 5)
    unknown = sign_in(client, "nobody", "wrong-password")
    known = sign_in(client, "kim", "wrong-password")
    assert refusal(unknown) == refusal(known) == refused(1)
    form_errors = [response.context["form"].errors.as_data()["__all__"] for response in (unknown, known)]
    assert [[(e.code, e.messages) for e in errors] for errors in form_errors] == [
        [("throttled", [refused(1)])]
    ] * 2


# --- The ceilings --------------------------------------------------------------------------


def test_a_spray_from_one_address_reaches_its_ceiling_and_then_refuses_everyone_there(
    client, kim, lee, settings
):
    settings.LOGIN_FAILURE_LIMIT_PER_IP = 12
    for number in range(11):
        fail(client, f"name-{number}", 1, ip=Z)
    assert signed_in(sign_in(client, "lee", PASSWORD, ip=Z))  # another account's success…
    client.logout()
    assert counters()[("address", "", Z)] == 11  # …does not reset the address for the sprayer
    fail(client, "name-11", 1, ip=Z)
    assert refusal(sign_in(client, "kim", PASSWORD, ip=Z)) == refused(15)
    assert signed_in(sign_in(client, "kim", PASSWORD, ip=X))  # elsewhere: no effect
    client.logout()
    elapse(timedelta(minutes=15))
    assert signed_in(sign_in(client, "kim", PASSWORD, ip=Z))


def test_one_account_alone_cannot_reach_the_address_ceiling(client, kim, lee):
    """The default ceiling (100 in 15 minutes) is far above what one pair's delays allow: 8
    failures in 15 minutes (the 9th comes 15 minutes after the first)."""
    fail(client, "kim", 5)
    for minutes in (1, 2, 4):
        elapse(timedelta(minutes=minutes))
        fail(client, "kim", 1)
    assert counters()[("address", "", X)] == 8
    assert refusal(sign_in(client, "kim", PASSWORD)) == refused(8)
    assert signed_in(sign_in(client, "lee", PASSWORD, ip=X))


def test_the_account_ceiling_slows_every_address_but_never_refuses_a_fresh_one(client, kim, settings):
    assert settings.LOGIN_FAILURE_LIMIT_PER_ACCOUNT == 20
    for host in range(4):  # 4 addresses × 5 failures: the account's ceiling
        fail(client, "kim", 5, ip=f"10.9.0.{host}")
    account = LoginThrottle.objects.get(scope="account", username="kim")
    assert account.failures == 20 and account.restricted_until == account.first_failure_at + timedelta(
        minutes=15
    )
    fail(client, "kim", 1, ip="10.9.1.1")  # a fifth address: one guess, then a wait
    assert refusal(sign_in(client, "kim", PASSWORD, ip="10.9.1.1")) == refused(1)
    assert signed_in(sign_in(client, "kim", PASSWORD, ip="10.9.1.2"))  # the owner, elsewhere
    client.logout()
    elapse(timedelta(minutes=15))  # the window is over: five free failures again
    fail(client, "kim", 4, ip="10.9.1.3")
    assert signed_in(sign_in(client, "kim", PASSWORD, ip="10.9.1.3"))


# --- Pruning -------------------------------------------------------------------------------


def test_expired_counters_of_every_key_are_pruned(client, kim):
    for number in range(5):
        fail(client, f"one-off-{number}", 1, ip=f"10.8.0.{number}")
    assert LoginThrottle.objects.count() == 15
    elapse(timedelta(hours=24))
    fail(client, "kim", 1, ip=X)
    assert counters() == {("account", "kim", ""): 1, ("address", "", X): 1, ("pair", "kim", X): 1}


# --- The Django admin: who is delayed until when, and a reset --------------------------------


@pytest.fixture
def delayed(client, kim, lee):
    """kim delayed from X, lee counted (not delayed) from Y."""
    fail(client, "kim", 5, ip=X)
    fail(client, "lee", 1, ip=Y)
    return LoginThrottle.objects.get(scope="pair", username="kim", address=X)


@pytest.mark.parametrize("role", [Role.ADMIN, "superuser"])
def test_the_admin_lists_who_is_delayed_until_when(client, user_factory, delayed, role):
    admin = user_factory(Role.ADMIN if role == Role.ADMIN else None, "operator")
    admin.is_staff = True
    admin.is_superuser = role == "superuser"
    admin.save()
    client.force_login(admin)
    url = reverse("admin:accounts_loginthrottle_changelist")
    response = client.get(url, {"restricted": "now"})
    assert list(response.context["cl"].result_list) == [delayed]  # lee is counted, not restricted
    until = date_format(timezone.localtime(delayed.restricted_until), "DATETIME_FORMAT")
    page = response.content.decode()
    assert f"{until}까지 로그인 거부" in page and "아이디·주소 조합" in page and X in page
    assert len(client.get(url).context["cl"].result_list) == 6  # every counter without the filter


def test_the_admin_shows_an_account_over_its_ceiling_as_slowed_not_refused(admin_client, kim):
    client = admin_client.__class__()
    for host in range(4):
        fail(client, "kim", 5, ip=f"10.9.0.{host}")
    account = LoginThrottle.objects.get(scope="account", username="kim")
    until = date_format(timezone.localtime(account.restricted_until), "DATETIME_FORMAT")
    page = admin_client.get(reverse("admin:accounts_loginthrottle_changelist"), {"scope": "account"})
    assert list(page.context["cl"].result_list) == [account]
    assert f"{until}까지 로그인 지연" in page.content.decode()


def test_the_admin_resets_the_selected_limits_only(client, user_factory, delayed, kim):
    admin = user_factory(Role.ADMIN, "operator")
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    lees = list(LoginThrottle.objects.filter(username="lee").values_list("pk", flat=True))
    response = client.post(
        reverse("admin:accounts_loginthrottle_changelist"),
        {"action": "reset_limits", "_selected_action": [delayed.pk]},
        follow=True,
    )
    assert "로그인 제한 1건을 해제했습니다." in response.content.decode()
    assert not LoginThrottle.objects.filter(pk=delayed.pk).exists()
    assert set(LoginThrottle.objects.filter(username="lee").values_list("pk", flat=True)) == set(lees)
    entry = LogEntry.objects.get(action_flag=DELETION)
    assert entry.user == admin and entry.object_id == str(delayed.pk)
    client.logout()
    assert signed_in(sign_in(client, "kim", PASSWORD, ip=X))


def test_the_admin_offers_no_delete_and_no_edit_beside_the_reset(admin_client, delayed):
    changelist = admin_client.get(reverse("admin:accounts_loginthrottle_changelist"))
    actions = [value for value, _label in changelist.context["action_form"].fields["action"].choices]
    assert actions == ["", "reset_limits"]
    response = admin_client.post(
        reverse("admin:accounts_loginthrottle_change", args=[delayed.pk]), {"failures": 0}
    )
    assert response.status_code == 403
    assert LoginThrottle.objects.get(pk=delayed.pk).failures == 5


@pytest.mark.parametrize("role", [Role.OFFICIAL, Role.REVIEWER])
def test_officials_and_reviewers_cannot_see_or_reset_the_limits(client, user_factory, delayed, role):
    user = user_factory(role, f"user-{role}")
    user.is_staff = True  # even with staff status: no permission on the limits
    user.save()
    client.force_login(user)
    url = reverse("admin:accounts_loginthrottle_changelist")
    assert client.get(url).status_code == 403
    client.post(url, {"action": "reset_limits", "_selected_action": [delayed.pk]})
    assert LoginThrottle.objects.filter(pk=delayed.pk).exists()
