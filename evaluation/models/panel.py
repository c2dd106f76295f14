"""Panels, assignments of reviewers to proposals, conflicts of interest and security pledges."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from proposals.models import AuditedModel


class Panel(AuditedModel):
    stage = models.ForeignKey(
        "evaluation.Stage", on_delete=models.CASCADE, related_name="panels", verbose_name=_("stage")
    )
    name = models.CharField(_("name"), max_length=100)
    tracks = models.ManyToManyField("proposals.Track", related_name="panels", verbose_name=_("tracks"))
    members = models.ManyToManyField(
        "evaluation.Reviewer", related_name="panels", verbose_name=_("members"), blank=True
    )

    audit_competition_path = "stage__competition_id"

    class Meta:
        verbose_name = _("panel")
        verbose_name_plural = _("panels")
        ordering = ["stage", "name"]

    def __str__(self):
        return self.name

    def audit_competition_id(self):
        return self.stage.competition_id


class Assignment(AuditedModel):
    class Source(models.TextChoices):
        PANEL = "panel", _("Panel")
        DRAW = "draw", _("Drawn by the assign command")
        IMPORT = "import", _("Score import")

    stage = models.ForeignKey(
        "evaluation.Stage", on_delete=models.CASCADE, related_name="assignments", verbose_name=_("stage")
    )
    proposal = models.ForeignKey(
        "proposals.Proposal", on_delete=models.CASCADE, related_name="assignments", verbose_name=_("proposal")
    )
    reviewer = models.ForeignKey(
        "evaluation.Reviewer",
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("reviewer"),
    )
    panel = models.ForeignKey(
        Panel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("panel"),
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.PANEL)
    no_conflict_confirmed_at = models.DateTimeField(_("no conflict confirmed"), null=True, blank=True)
    created_at = models.DateTimeField(_("assigned"), auto_now_add=True)

    audit_competition_path = "stage__competition_id"

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["stage", "proposal", "reviewer"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "proposal", "reviewer"], name="assignment_unique"),
        ]

    def __str__(self):
        return f"{self.reviewer} → {self.proposal}"

    def audit_competition_id(self):
        return self.stage.competition_id


class Conflict(AuditedModel):
    """A conflict of interest: a conflicted pair never scores, and its sheet never counts."""

    class Kind(models.TextChoices):
        AUTOMATIC = "automatic", _("Disqualified (automatic, 제척)")
        DECLARED = "declared", _("Declared by the reviewer (회피)")
        CHALLENGED = "challenged", _("Challenged (기피)")

    proposal = models.ForeignKey(
        "proposals.Proposal", on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("proposal")
    )
    reviewer = models.ForeignKey(
        "evaluation.Reviewer", on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("reviewer")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    reason = models.TextField(_("reason"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    audit_competition_path = "proposal__competition_id"

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        ordering = ["proposal", "reviewer", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "reviewer", "kind"], name="conflict_unique")
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.reviewer} / {self.proposal}"

    def audit_competition_id(self):
        return self.proposal.competition_id


class SecurityPledge(AuditedModel):
    """보안서약: accepted by a reviewer once per competition before any proposal is shown."""

    reviewer = models.ForeignKey(
        "evaluation.Reviewer", on_delete=models.CASCADE, related_name="pledges", verbose_name=_("reviewer")
    )
    competition = models.ForeignKey(
        "proposals.Competition",
        on_delete=models.CASCADE,
        related_name="pledges",
        verbose_name=_("competition"),
    )
    accepted_at = models.DateTimeField(_("accepted"), auto_now_add=True)
    text_version = models.CharField(_("pledge text version"), max_length=20, default="2023-1")

    audit_competition_path = "competition_id"

    class Meta:
        verbose_name = _("security pledge")
        verbose_name_plural = _("security pledges")
        constraints = [models.UniqueConstraint(fields=["reviewer", "competition"], name="pledge_unique")]

    def __str__(self):
        return f"{self.reviewer} / {self.competition}"
