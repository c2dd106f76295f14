"""Sign-in throttling: after too many failed sign-ins for one username, or from one client
address, within 15 minutes, further attempts are refused for 15 minutes.

The refusal is the same whether the account exists or not, and is decided before the password is
checked. A successful sign-in clears the counters of its username and address.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import LoginFailure

WINDOW = timedelta(minutes=15)  # failures counted within this window…
LOCKOUT = timedelta(minutes=15)  # …refuse further attempts for this long after the last one


def client_ip(request) -> str:
    if request is None:
        return ""
    if settings.LOGIN_TRUST_X_FORWARDED_FOR:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded and forwarded[-1]:
            return forwarded[-1][:100]  # the address the trusted proxy saw
    return request.META.get("REMOTE_ADDR", "")[:100]


def keys_for(username: str, request) -> dict[str, int]:
    """The counters a sign-in attempt belongs to, each with its limit."""
    keys = {f"user:{username.strip().casefold()[:150]}": settings.LOGIN_FAILURE_LIMIT}
    ip = client_ip(request)
    if ip:
        keys[f"ip:{ip}"] = settings.LOGIN_FAILURE_LIMIT_PER_IP
    return keys


def _locked(key: str, limit: int, now) -> bool:
    recent = list(
        LoginFailure.objects.filter(key=key, at__gte=now - WINDOW - LOCKOUT)
        .order_by("-at")
        .values_list("at", flat=True)[: max(limit, 1)]
    )
    if limit <= 0 or len(recent) < limit:
        return False
    latest, oldest = recent[0], recent[-1]
    return latest - oldest <= WINDOW and now - latest < LOCKOUT


def is_locked(keys: dict[str, int]) -> bool:
    now = timezone.now()
    return any(_locked(key, limit, now) for key, limit in keys.items())


def record_failure(keys: dict[str, int]) -> None:
    now = timezone.now()
    LoginFailure.objects.filter(key__in=keys, at__lt=now - WINDOW - LOCKOUT).delete()
    LoginFailure.objects.bulk_create([LoginFailure(key=key) for key in keys])


def clear(keys: dict[str, int]) -> None:
    LoginFailure.objects.filter(key__in=keys).delete()
