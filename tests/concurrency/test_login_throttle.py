"""Sign-in throttling raced (``accounts.throttle``): wrong passwords sent at once check at most
the limit's number of passwords, for one account and for one address, and the owner still signs
in from elsewhere meanwhile.

Each attempt reserves its slot in the database before its password is checked. A race stops the
first attempt inside the password check (``ModelBackend.authenticate``), after it passed the
throttle, and lets every other attempt run to its end: with the reservation only ``limit - 1`` of
them get to check a password (they overtake the stopped one) and the rest are refused; a throttle
that counts a failure only after the check lets at least ``limit`` of the others through, because
the stopped attempt has not been counted yet. Before this reservation, 40 attempts checked 40 and
34 passwords here.
"""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.test import RequestFactory

from accounts.forms import AdminLoginForm, LoginForm
from accounts.models import LoginThrottle

pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS = 40
PASSWORD = "pw-test-1234"
REFUSED = "로그인 시도가 너무 많습니다. 1분 뒤에 다시 시도해 주세요."


@pytest.fixture
def kim(user_factory):
    user = user_factory(None, "kim")
    user.is_staff = True  # may use the admin's sign-in too
    user.save()
    return user


def attempt(form_class, username, password, address):
    """One sign-in through the form as the login views run it: ``("signed in", "")``,
    ``("checked", "")`` (the password was checked and was wrong) or ``("refused", message)``."""
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR=address)
    form = form_class(request, data={"username": username, "password": password})
    if form.is_valid():
        return "signed in", ""
    [error] = form.errors.as_data()["__all__"]
    if error.code == "throttled":
        return "refused", error.messages[0]
    assert error.code == "invalid_login", error.code
    return "checked", ""


def race(gate, workers, targets):
    """Start all targets together; the first to check a password stops there until every other
    attempt has finished. Returns {thread name: outcome} and the gate."""
    stop = gate(ModelBackend, "authenticate")
    threads = workers(*targets)
    stop.wait_entered()
    others = {thread.name: thread.outcome() for thread in threads if thread.name != stop.first_thread}
    stop.release()
    first = next(thread for thread in threads if thread.name == stop.first_thread)
    return {stop.first_thread: first.outcome(), **others}, stop


def kinds(outcomes):
    return [kind for kind, _message in outcomes]


@pytest.mark.parametrize("form_class", [LoginForm, AdminLoginForm])
def test_forty_parallel_wrong_passwords_for_one_account_check_at_most_the_limit(
    form_class, kim, gate, workers, settings
):
    settings.LOGIN_FAILURE_LIMIT = 5
    targets = [
        (f"guess-{n}", lambda: attempt(form_class, "kim", "wrong-password", "10.0.0.1"))
        for n in range(ATTEMPTS)
    ]
    outcomes, stop = race(gate, workers, targets)

    checked = kinds(outcomes.values()).count("checked")
    assert checked <= 5, f"{checked} passwords were checked"
    assert checked == 5 and stop.overtaken == 4  # the other four checked while the first was stopped
    assert [message for kind, message in outcomes.values() if kind == "refused"] == [REFUSED] * (ATTEMPTS - 5)
    pair = LoginThrottle.objects.get(scope="pair", username="kim", address="10.0.0.1")
    assert pair.failures == 5 and pair.restricted_until is not None


def test_forty_parallel_wrong_passwords_from_one_address_check_at_most_its_ceiling(gate, workers, settings):
    """Spraying: one guess at each of 40 account names from one address (ceiling lowered to 5)."""
    settings.LOGIN_FAILURE_LIMIT_PER_IP = 5
    targets = [
        (f"spray-{n}", lambda n=n: attempt(LoginForm, f"name-{n}", "wrong-password", "10.0.0.9"))
        for n in range(ATTEMPTS)
    ]
    outcomes, stop = race(gate, workers, targets)

    checked = kinds(outcomes.values()).count("checked")
    assert checked <= 5, f"{checked} passwords were checked"
    assert checked == 5 and stop.overtaken == 4
    assert LoginThrottle.objects.get(scope="address", address="10.0.0.9").failures == 5


def test_the_owner_and_a_neighbour_sign_in_while_forty_guesses_run(
    kim, user_factory, gate, workers, settings
):
    """40 wrong passwords for kim from X, at the same moment as kim's right password from Y and
    lee's from X: both sign in, whatever the order; only kim-from-X is delayed."""
    settings.LOGIN_FAILURE_LIMIT = 5
    user_factory(None, "lee")
    targets = [
        (f"guess-{n}", lambda: attempt(LoginForm, "kim", "wrong-password", "10.0.0.1"))
        for n in range(ATTEMPTS)
    ]
    targets += [
        ("kim-elsewhere", lambda: attempt(LoginForm, "kim", PASSWORD, "10.0.0.2")),
        ("lee-same-address", lambda: attempt(LoginForm, "lee", PASSWORD, "10.0.0.1")),
    ]
    outcomes, _stop = race(gate, workers, targets)

    assert outcomes["kim-elsewhere"] == ("signed in", "")
    assert outcomes["lee-same-address"] == ("signed in", "")
    guesses = [outcome for name, outcome in outcomes.items() if name.startswith("guess-")]
    assert kinds(guesses).count("checked") == 5
    cleared = LoginThrottle.objects.filter(scope="pair", failures=0, restricted_until=None)
    assert cleared.filter(username="kim", address="10.0.0.2").exists()
    assert cleared.filter(username="lee", address="10.0.0.1").exists()


def test_right_and_wrong_passwords_of_one_pair_at_once_never_deadlock(kim, workers, settings):
    """Reserving (locks the three counters) and signing in (clears the pair, gives the slot back)
    take the rows in one order: 30 attempts of one pair at once, a third of them with the right
    password, all end in an answer — none in a database error (a deadlock)."""
    settings.LOGIN_FAILURE_LIMIT = 5
    threads = workers(
        *[
            (
                f"try-{n}",
                lambda n=n: attempt(LoginForm, "kim", PASSWORD if n % 3 == 0 else "wrong", "10.0.0.1"),
            )
            for n in range(30)
        ]
    )
    outcomes = [thread.outcome() for thread in threads]  # re-raises a thread's database error
    assert set(kinds(outcomes)) <= {"signed in", "checked", "refused"}
