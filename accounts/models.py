"""Sign-in throttling counters, kept in the database so that every app server sees them (SPEC §7).
The rules that fill them are in ``accounts/throttle.py``."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class LoginThrottleQuerySet(models.QuerySet):
    def of(self, scope, username: str, address: str):
        return self.filter(scope=scope, username=username, address=address)

    def restricted(self, now):
        """Counters that refuse (pair, address) or slow (account) attempts at ``now``."""
        return self.filter(restricted_until__gt=now)

    def expired(self, now):
        return self.filter(expires_at__lte=now)


class LoginThrottle(models.Model):
    """Failed sign-ins counted under one key: an account name as typed from one client address
    (``pair``), an account name from every address (``account``), or one address for every
    account name (``address``). Unused fields of a key are empty."""

    class Scope(models.TextChoices):
        PAIR = "pair", _("account from one address")
        ACCOUNT = "account", _("account, every address")
        ADDRESS = "address", _("address, every account")

    scope = models.CharField(_("counted per"), max_length=10, choices=Scope)
    username = models.CharField(_("account name as typed"), max_length=150, blank=True)
    address = models.CharField(_("client address"), max_length=100, blank=True)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    first_failure_at = models.DateTimeField(_("first failure"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last failure"), null=True, blank=True)
    restricted_until = models.DateTimeField(_("restricted until"), null=True, blank=True)
    expires_at = models.DateTimeField(_("forgotten at"))

    objects = LoginThrottleQuerySet.as_manager()

    class Meta:
        verbose_name = _("sign-in limit")
        verbose_name_plural = _("sign-in limits")
        constraints = [
            models.UniqueConstraint(fields=["scope", "username", "address"], name="login_throttle_key"),
            models.CheckConstraint(
                condition=Q(restricted_until__isnull=True) | Q(expires_at__gte=F("restricted_until")),
                name="login_throttle_restriction_expires_after_it_ends",
            ),
        ]
        indexes = [
            models.Index(fields=["expires_at"], name="login_throttle_expires"),
            models.Index(fields=["restricted_until"], name="login_throttle_restricted"),
        ]

    def __str__(self):
        return " · ".join(part for part in (self.get_scope_display(), self.username, self.address) if part)

    def is_restricting(self, now) -> bool:
        return self.restricted_until is not None and self.restricted_until > now

    def forget(self, now) -> None:
        """Start counting afresh (the counter expired)."""
        self.failures = 0
        self.first_failure_at = self.last_failure_at = self.restricted_until = None
        self.expires_at = now
