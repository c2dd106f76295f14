"""Sign-in throttling (SPEC §7): slows password guessing without letting anyone lock someone
else out. Both sign-in forms (the site's and the Django admin's, ``accounts.forms``) use it.

Three counters, each a ``LoginThrottle`` row; an account name counts as typed (case-folded),
whether or not the account exists, so a refusal says nothing about which accounts exist.

- **Account from one address** (``pair``) — the limit that refuses. After
  ``LOGIN_FAILURE_LIMIT`` (5) failures in a row of one account name from one address, the next
  attempt from that address for that name waits ``FIRST_DELAY`` (1 minute); every further failure
  doubles the wait, up to ``MAX_DELAY`` (1 hour) — ``delay_after``. A successful sign-in clears
  this pair only; otherwise its failures are forgotten ``PAIR_MEMORY`` (24 hours) after the last
  one. Failures of kim from address X therefore never refuse lee, nor kim from address Y.
- **Address** (every account name) — a ceiling against password spraying (a few guesses at many
  accounts): ``LOGIN_FAILURE_LIMIT_PER_IP`` (100) failures within ``WINDOW`` (15 minutes) refuse
  every attempt from that address until the window ends. One person cannot reach it alone (a
  pair's delays hold it to 8 failures in 15 minutes), so only a spray — or a network that
  sends many people through one address: raise the limit there — refuses others behind it.
- **Account** (every address) — a ceiling that slows and never refuses. Guessing at one account
  from many addresses, each under its pair limit, makes ``LOGIN_FAILURE_LIMIT_PER_ACCOUNT`` (20)
  failures within 15 minutes; until that window ends, every pair of the account gets
  ``FREE_FAILURES_UNDER_ATTACK`` (1) failure before its delays start instead of 5. A refusal on
  the whole account (what django-axes does with ``AXES_LOCKOUT_PARAMETERS = ["username"]``) would
  let anyone lock the owner out by guessing; here an address with no failures of its own is never
  refused, so the owner can always sign in from their own address while someone else guesses,
  and a guesser pays a doubling delay per address after one failure.

Counting is atomic. An attempt reserves its slot — counts itself as a failure on all three
counters — in one short transaction that locks the three rows (``SELECT … FOR UPDATE`` on
PostgreSQL, in one order; SQLite's ``BEGIN IMMEDIATE`` serialises writers) *before* its password
is checked, and commits before the check. So 40 wrong passwords sent at once for one account check
at most the limit's number of passwords: the others find the slots taken and are refused. A
successful sign-in empties its pair and gives its reserved slot back to the account and address
counters. A refused attempt counts nothing, so it cannot lengthen anyone's wait. Expired rows of
every key are deleted as attempts come in.

Why our own code rather than django-axes (README "로그인 제한"): axes checks the lockout before
authentication and records the failure afterwards from the ``user_login_failed`` signal (the
increment itself is an ``F()`` update), so parallel attempts all pass the check before any is
recorded (its issue #592, closed as "known issue, won't fix"); its lockout is one cool-off period
that, by default, a failure during the lockout starts again, and a growing one has to be written
as an ``AXES_COOLOFF_TIME`` callable; and one ``AXES_FAILURE_LIMIT`` applies to every lockout
parameter, so a low limit per (user, address) and a high one per address cannot be combined.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import ngettext

from .models import LoginThrottle

Scope = LoginThrottle.Scope

FIRST_DELAY = timedelta(minutes=1)  # the wait after a pair's last free failure…
MAX_DELAY = timedelta(hours=1)  # …doubling with each further failure, at most this
PAIR_MEMORY = timedelta(hours=24)  # a pair's failures are forgotten this long after its last one
WINDOW = timedelta(minutes=15)  # the account and address ceilings count failures in this window
FREE_FAILURES_UNDER_ATTACK = 1  # a pair's free failures while its account is over its ceiling


def delay_after(failures: int, free: int, first: timedelta = FIRST_DELAY, longest: timedelta = MAX_DELAY):
    """How long a pair waits after its ``failures``-th failure in a row when ``free`` failures
    come without a wait (at least one does): none before the ``free``-th, ``first`` after it,
    doubling after each further failure, never more than ``longest``."""
    free = max(free, 1)
    if failures < free:
        return timedelta(0)
    delay = first
    for _ in range(failures - free):
        delay *= 2
        if delay >= longest:
            break
    return min(delay, longest)


def minutes_to_wait(wait: timedelta) -> int:
    """The wait as the user is told it: whole minutes, rounded up, at least 1."""
    return max(1, math.ceil(wait.total_seconds() / 60))


def refusal_message(wait: timedelta) -> str:
    minutes = minutes_to_wait(wait)
    return ngettext(
        "Too many sign-in attempts. Please try again in %(minutes)d minute.",
        "Too many sign-in attempts. Please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def client_ip(request) -> str:
    if request is None:
        return ""
    if settings.LOGIN_TRUST_X_FORWARDED_FOR:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded and forwarded[-1]:
            return forwarded[-1][:100]  # the address the trusted proxy saw
    return request.META.get("REMOTE_ADDR", "")[:100]


def account_name(username: str) -> str:
    """The account name as counted: as typed, without surrounding spaces, case-folded."""
    return username.strip().casefold()[:150]


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt that passed the throttle (its slot is reserved) or was refused."""

    username: str
    address: str
    at: datetime
    refused_until: datetime | None = None

    @property
    def refused(self) -> bool:
        return self.refused_until is not None

    @property
    def wait(self) -> timedelta:
        return self.refused_until - self.at if self.refused_until else timedelta(0)


def reserve(username: str, address: str) -> Attempt:
    """Count this attempt as a failure on its three counters before its password is checked,
    or refuse it (counting nothing) while its pair or its address is restricted."""
    username, address = account_name(username), address[:100]
    keys = _keys(username, address)
    prune()
    for _ in range(3):  # found, or created and then found (a reset may remove it in between)
        with transaction.atomic():
            rows = _locked(keys)
            if len(rows) == len(keys):
                return _count_or_refuse(rows, username, address)
        # Missing counters are created in their own statement, outside the locking transaction.
        LoginThrottle.objects.bulk_create(
            [
                LoginThrottle(scope=scope, username=name, address=where, expires_at=timezone.now() + WINDOW)
                for scope, name, where in keys
                if scope not in rows
            ],
            ignore_conflicts=True,
        )
    raise RuntimeError("the sign-in counters could not be created")  # pragma: no cover


def signed_in(attempt: Attempt) -> None:
    """A successful sign-in clears its own pair and gives its reserved slot back to the account
    and address counters (if they still count the window the slot was reserved in)."""
    keys = _keys(attempt.username, attempt.address)
    limits = _ceilings()
    with transaction.atomic():
        rows = _locked(keys)  # the same order as ``reserve``: no deadlock between the two
        now = timezone.now()
        for scope, row in rows.items():
            if scope == Scope.PAIR:
                # Emptied, not deleted: parallel attempts of the pair keep finding their row
                # (a deleted one would be created again, and could vanish again before it is read).
                row.forget(now)
                row.expires_at = now + WINDOW
            elif row.failures and row.first_failure_at and row.first_failure_at <= attempt.at:
                row.failures -= 1
                if row.failures < limits[scope]:
                    row.restricted_until = None
        LoginThrottle.objects.bulk_update(rows.values(), _FIELDS)


def prune() -> int:
    """Delete expired counters of every key (none of them restricts anyone any more). Rows that
    an attempt holds locked are left for a later prune, so a prune never waits for an attempt."""
    now = timezone.now()
    if not LoginThrottle.objects.expired(now).exists():  # the usual case: a read, no write lock
        return 0
    with transaction.atomic():
        expired = list(
            LoginThrottle.objects.expired(now)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:1000]
        )
        deleted, _ = LoginThrottle.objects.filter(pk__in=expired).delete()
    return deleted


_FIELDS = ["failures", "first_failure_at", "last_failure_at", "restricted_until", "expires_at"]


def _keys(username: str, address: str) -> list[tuple[str, str, str]]:
    """(scope, account name, address) of the three counters, in the order rows are locked."""
    return sorted(
        [(Scope.PAIR, username, address), (Scope.ACCOUNT, username, ""), (Scope.ADDRESS, "", address)]
    )


def _locked(keys) -> dict[str, LoginThrottle]:
    matching = Q()
    for scope, name, where in keys:
        matching |= Q(scope=scope, username=name, address=where)
    rows = LoginThrottle.objects.select_for_update().filter(matching).order_by("scope", "username", "address")
    return {row.scope: row for row in rows}


def _ceilings() -> dict[str, int]:
    return {
        Scope.ACCOUNT: settings.LOGIN_FAILURE_LIMIT_PER_ACCOUNT,
        Scope.ADDRESS: settings.LOGIN_FAILURE_LIMIT_PER_IP,
    }


def _count_or_refuse(rows: dict[str, LoginThrottle], username: str, address: str) -> Attempt:
    now = timezone.now()  # after the locks: a wait for another attempt does not date this one
    for row in rows.values():
        if row.expires_at <= now:
            row.forget(now)
    pair, account, per_address = rows[Scope.PAIR], rows[Scope.ACCOUNT], rows[Scope.ADDRESS]
    refusing = [row.restricted_until for row in (pair, per_address) if row.is_restricting(now)]
    if refusing:
        return Attempt(username, address, now, refused_until=max(refusing))

    free = FREE_FAILURES_UNDER_ATTACK if account.is_restricting(now) else settings.LOGIN_FAILURE_LIMIT
    _count(pair, now)
    delay = delay_after(pair.failures, free)
    pair.restricted_until = now + delay if delay else None
    pair.expires_at = now + PAIR_MEMORY
    for scope, limit in _ceilings().items():
        ceiling = rows[scope]
        _count(ceiling, now)
        ceiling.expires_at = ceiling.first_failure_at + WINDOW
        ceiling.restricted_until = ceiling.expires_at if ceiling.failures >= limit else None
    LoginThrottle.objects.bulk_update(rows.values(), _FIELDS)
    return Attempt(username, address, now)


def _count(row: LoginThrottle, now) -> None:
    row.failures += 1
    row.first_failure_at = row.first_failure_at or now
    row.last_failure_at = now
