"""Failed sign-ins, kept in the database so that every app server sees them (SPEC §7)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LoginFailure(models.Model):
    """One failed sign-in, recorded under a key: ``user:<username>`` or ``ip:<address>``."""

    key = models.CharField(_("key"), max_length=200)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")
        indexes = [models.Index(fields=["key", "at"])]

    def __str__(self):
        return f"{self.key} {self.at:%Y-%m-%d %H:%M}"
