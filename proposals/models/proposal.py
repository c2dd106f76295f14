"""Applicants (지자체) and the proposals they submit to a track."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .audited import AuditedModel
from .competition import Competition, Track


class Applicant(AuditedModel):
    """A local government (지자체). Names repeat across provinces (고성군), so both form the key."""

    province = models.CharField(_("province"), max_length=40)
    name = models.CharField(_("local government"), max_length=60)

    class Meta:
        verbose_name = _("applicant")
        verbose_name_plural = _("applicants")
        ordering = ["province", "name"]
        constraints = [
            models.UniqueConstraint(fields=["province", "name"], name="applicant_unique"),
        ]

    def __str__(self):
        return self.name


class Proposal(AuditedModel):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        INELIGIBLE = "ineligible", _("Ineligible")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    competition = models.ForeignKey(
        Competition,
        on_delete=models.CASCADE,
        related_name="proposals",
        verbose_name=_("competition"),
    )
    track = models.ForeignKey(
        Track, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("track")
    )
    applicant = models.ForeignKey(
        Applicant,
        on_delete=models.PROTECT,
        related_name="proposals",
        verbose_name=_("applicant"),
    )
    reference = models.CharField(_("reference number"), max_length=40, blank=True)
    title = models.CharField(_("project title"), max_length=300)
    summary = models.TextField(_("main contents"), blank=True)
    solutions = models.JSONField(_("representative solutions"), default=list, blank=True)
    partners = models.JSONField(_("partner organisations"), default=list, blank=True)
    national_subsidy = models.DecimalField(
        _("national subsidy requested (100M KRW)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    local_matching = models.DecimalField(
        _("local matching (100M KRW)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    submitted_on = models.DateField(_("date received"), null=True, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audit_competition_path = "competition_id"
    # Contacts are personal data (SPEC §7) and no input to the ranking: they stay out of the
    # trail, which is never erased.
    audit_exclude = ("updated_at", "contact_name", "contact_phone", "contact_email")

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["competition", "track__category__order", "track__order", "reference", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "reference"],
                condition=~models.Q(reference=""),
                name="proposal_reference_unique",
            ),
            # Without a 접수번호, (track, local government) is the key; with one, a local
            # government may hold several proposals in a track (SPEC §8.1).
            models.UniqueConstraint(
                fields=["track", "applicant"],
                condition=models.Q(reference=""),
                name="proposal_unnumbered_one_per_applicant_and_track",
            ),
        ]
        permissions = [("import_proposals", _("Can import applicants from a spreadsheet"))]

    def __str__(self):
        return f"{self.applicant} — {self.title}"

    @staticmethod
    def status_counts_as_applicant(status: str) -> bool:
        """Applicants for the competition ratio: every proposal not withdrawn (SPEC §4.7)."""
        return status != Proposal.Status.WITHDRAWN

    @staticmethod
    def applicants_q(prefix: str = "") -> models.Q:
        """``status_counts_as_applicant`` as a filter (``prefix``: the path to the proposal)."""
        return ~models.Q(**{f"{prefix}status": Proposal.Status.WITHDRAWN})

    @property
    def counts_as_applicant(self) -> bool:
        return self.status_counts_as_applicant(self.status)
