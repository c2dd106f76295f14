"""Reviewers (평가위원): each a login account with a current and past affiliations."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from proposals.models import AuditedModel


class Reviewer(AuditedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviewer", verbose_name=_("account")
    )
    name = models.CharField(_("name"), max_length=60)
    affiliation = models.CharField(_("affiliation"), max_length=200)
    email = models.EmailField(_("e-mail"), unique=True)
    field = models.CharField(_("field of expertise"), max_length=100, blank=True)
    external = models.BooleanField(_("external member"), default=True)

    class Meta:
        verbose_name = _("reviewer")
        verbose_name_plural = _("reviewers")
        ordering = ["name", "email"]

    def __str__(self):
        return f"{self.name} ({self.affiliation})"


class PastAffiliation(AuditedModel):
    """An affiliation the reviewer held until ``until``: it conflicts within the look-back period."""

    reviewer = models.ForeignKey(
        Reviewer, on_delete=models.CASCADE, related_name="past_affiliations", verbose_name=_("reviewer")
    )
    organisation = models.CharField(_("organisation"), max_length=200)
    until = models.DateField(_("held until"))

    class Meta:
        verbose_name = _("past affiliation")
        verbose_name_plural = _("past affiliations")
        ordering = ["reviewer", "-until"]

    def __str__(self):
        return f"{self.organisation} (~{self.until})"
