"""Result letters (평가결과 통보서) and appeals (이의신청) after a publication (issue 13).

- ``ResultLetter``: one proposal's letter of one publication, its content frozen when issued, and
  the applicant's link to it: only the SHA-256 of the link's token is kept (the token itself goes
  out once, in the e-mail), and the link expires and can be revoked. Every opening is a
  ``LetterOpening``.
- ``Appeal``: filed through a letter's link within ``Competition.appeal_days`` of the publication,
  on an allowed ground; decided by a review committee (``AppealCommitteeMember``) that no reviewer
  of the proposal sits on, with written reasons; an accepted appeal stays open until the correction
  that cites it is published (``evaluation.appeals``).

The guarantees hold on every path that writes: the model's ``save()``, the querysets'
``bulk_create()`` and ``update()``, and the Django admin (which shows these records read-only).
"""

import uuid
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from proposals.models import AuditedModel, AuditedQuerySet
from proposals.models.documents import document_storage


def appeal_attachment_path(instance, filename: str) -> str:
    """Where an appeal's attachment is stored: under a random name (the applicant's file name is
    kept in ``attachment_name``)."""
    extension = filename.rpartition(".")[2].lower() if "." in filename else "bin"
    return f"appeals/{instance.proposal_id}/{uuid.uuid4().hex}.{extension[:10]}"


def appeal_deadline(published_at, appeal_days: int):
    """When the appeal window of a publication closes: the end (24:00, Asia/Seoul) of the
    ``appeal_days``-th day after the day of publication — published on 10 March with 7 days,
    appeals are received until 17 March 24:00 (the day of publication is not counted)."""
    local = timezone.localtime(published_at)
    last_day = local.date() + timedelta(days=appeal_days)
    return timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))


def deadline_text(deadline) -> str:
    """'2023-03-17 24:00': the last day of an appeal window as a Korean notice writes it."""
    last_day = timezone.localtime(deadline) - timedelta(seconds=1)
    return f"{last_day:%Y-%m-%d} 24:00"


class ResultLetterQuerySet(AuditedQuerySet):
    def active(self, now=None):
        """Letters whose link opens: not revoked, not expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())


class ResultLetter(AuditedModel):
    """A proposal's 평가결과 통보서 for one publication, as issued (``evaluation.letters``)."""

    class Delivery(models.TextChoices):
        NOT_SENT = "not_sent", _("Not sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Not delivered")

    publication = models.ForeignKey(
        "evaluation.Publication",
        on_delete=models.PROTECT,
        related_name="letters",
        verbose_name=_("publication"),
    )
    proposal = models.ForeignKey(
        "proposals.Proposal", on_delete=models.PROTECT, related_name="letters", verbose_name=_("proposal")
    )
    content = models.JSONField(_("content"))
    token_sha256 = models.CharField(_("SHA-256 of the link's token"), max_length=64, unique=True)
    recipient = models.EmailField(_("recipient"), blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    expires_at = models.DateTimeField(_("link expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoke_reason = models.TextField(_("reason for revoking"), blank=True)
    delivery = models.CharField(
        _("delivery"), max_length=10, choices=Delivery.choices, default=Delivery.NOT_SENT
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivery_error = models.TextField(_("delivery error"), blank=True)

    objects = ResultLetterQuerySet.as_manager()
    audit_competition_path = "publication__competition_id"
    audit_exclude = ("recipient",)  # a contact is personal data (SPEC §7)

    class Meta:
        verbose_name = _("result letter")
        verbose_name_plural = _("result letters")
        ordering = ["publication", "proposal", "-issued_at"]
        constraints = [
            # One link in force per proposal and publication: issuing again revokes the old one.
            models.UniqueConstraint(
                fields=["publication", "proposal"],
                condition=models.Q(revoked_at__isnull=True),
                name="result_letter_one_in_force",
            ),
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True) | ~models.Q(revoke_reason=""),
                name="result_letter_revoked_with_reason",
            ),
        ]

    def __str__(self):
        return f"{self.proposal} #{self.publication.number}"

    def audit_competition_id(self):
        return self.publication.competition_id

    def is_open(self, now=None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now())


class LetterOpening(AuditedModel):
    """A result letter's link opened: when, and from which address (kept here, out of the audit
    trail, which is never erased)."""

    letter = models.ForeignKey(
        ResultLetter, on_delete=models.PROTECT, related_name="openings", verbose_name=_("result letter")
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)

    audit_competition_path = "letter__publication__competition_id"
    audit_exclude = ("address",)

    class Meta:
        verbose_name = _("opening of a result letter")
        verbose_name_plural = _("openings of result letters")
        ordering = ["-opened_at", "-pk"]

    def __str__(self):
        return f"{self.letter} {self.opened_at:%Y-%m-%d %H:%M:%S}"

    def audit_competition_id(self):
        return self.letter.publication.competition_id


class Appeal(AuditedModel):
    """An applicant's 이의신청 against a publication, filed through the proposal's letter."""

    class Ground(models.TextChoices):
        # The allowed grounds; the choice of evaluators and the evaluation method are not among them.
        EVALUATOR_ERROR = "evaluator_error", _("An evaluator's obvious error (평가위원의 명백한 착오)")
        FACTUAL_ERROR = "factual_error", _("A misunderstanding of the facts (사실관계 오인)")
        ADMINISTRATIVE_ERROR = "administrative_error", _("An administrative error (행정 착오)")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received, under review")
        ACCEPTED = "accepted", _("Accepted (인용)")
        REJECTED = "rejected", _("Rejected (기각)")

    letter = models.ForeignKey(
        ResultLetter, on_delete=models.PROTECT, related_name="appeals", verbose_name=_("result letter")
    )
    publication = models.ForeignKey(
        "evaluation.Publication",
        on_delete=models.PROTECT,
        related_name="appeals",
        verbose_name=_("publication"),
    )
    proposal = models.ForeignKey(
        "proposals.Proposal", on_delete=models.PROTECT, related_name="appeals", verbose_name=_("proposal")
    )
    ground = models.CharField(_("ground"), max_length=24, choices=Ground.choices)
    text = models.TextField(_("what is appealed, and why"))
    filed_by = models.CharField(_("filed by"), max_length=60)
    attachment = models.FileField(
        _("attachment"),
        storage=document_storage,
        upload_to=appeal_attachment_path,
        max_length=255,
        blank=True,
    )
    attachment_name = models.CharField(_("attachment's name"), max_length=200, blank=True)
    attachment_sha256 = models.CharField(_("attachment's SHA-256"), max_length=64, blank=True)
    filed_at = models.DateTimeField(_("filed"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    decision_reason = models.TextField(_("reasons for the decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    corrected_by = models.ForeignKey(
        "evaluation.Publication",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cited_appeals",
        verbose_name=_("correction citing it"),
    )

    audit_competition_path = "publication__competition_id"

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["publication", "filed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="received")
                | (~models.Q(decision_reason="") & models.Q(decided_at__isnull=False)),
                name="appeal_decided_with_reasons",
            ),
            models.CheckConstraint(
                condition=models.Q(corrected_by__isnull=True) | models.Q(status="accepted"),
                name="appeal_corrected_only_if_accepted",
            ),
        ]

    def __str__(self):
        return f"{self.proposal} ({self.get_status_display()})"

    def audit_competition_id(self):
        return self.publication.competition_id

    def audit_values(self) -> dict:
        """The stored name of the attachment, not the file object (its SHA-256 is beside it)."""
        values = super().audit_values()
        values["attachment"] = self.attachment.name or ""
        return values

    @property
    def is_open(self) -> bool:
        """Open: not yet decided, or accepted and its correction not yet published."""
        return self.status == self.Status.RECEIVED or (
            self.status == self.Status.ACCEPTED and self.corrected_by_id is None
        )

    @staticmethod
    def open_q(prefix: str = "") -> models.Q:
        """``is_open`` as a filter (``prefix``: the path to the appeal)."""
        return models.Q(**{f"{prefix}status": Appeal.Status.RECEIVED}) | models.Q(
            **{f"{prefix}status": Appeal.Status.ACCEPTED, f"{prefix}corrected_by__isnull": True}
        )


def committee_refusal(appeal_id: int, reviewer_id: int) -> str | None:
    """Why this reviewer cannot sit on the appeal's committee, or None: the appeal is decided
    (its committee is closed), or the reviewer is assigned to the proposal in any stage, or has a
    conflict recorded on it."""
    appeal = Appeal.objects.select_related("proposal").get(pk=appeal_id)
    if appeal.status != Appeal.Status.RECEIVED:
        return _("This appeal has been decided; its committee is closed.")
    if appeal.proposal.assignments.filter(reviewer_id=reviewer_id).exists():
        return _("A reviewer of this proposal cannot sit on the committee that reviews its appeal.")
    if appeal.proposal.conflicts.filter(reviewer_id=reviewer_id).exists():
        return _(
            "A reviewer with a conflict of interest on this proposal cannot sit on its appeal committee."
        )
    return None


def _pk(value):
    return getattr(value, "pk", value)


def refuse_committee_members(pairs) -> None:
    """The rule from the other side: a member of the committee of an appeal still under review
    does not become a reviewer of the proposal appealed (``Assignment``'s guard calls this on
    every path that creates an assignment or changes its pair). ``pairs``: (proposal, reviewer),
    instances or ids."""
    wanted = {(_pk(proposal), _pk(reviewer)) for proposal, reviewer in pairs}
    if not wanted:
        return
    for proposal_id, reviewer_id, name in AppealCommitteeMember.objects.filter(
        appeal__status=Appeal.Status.RECEIVED,
        appeal__proposal_id__in={proposal for proposal, _reviewer in wanted},
        reviewer_id__in={reviewer for _proposal, reviewer in wanted},
    ).values_list("appeal__proposal_id", "reviewer_id", "reviewer__name"):
        if (proposal_id, reviewer_id) in wanted:
            raise ValidationError(
                _(
                    "%(name)s sits on the committee reviewing an appeal of this proposal and cannot be "
                    "assigned to it while the appeal is under review."
                )
                % {"name": name},
                code="appeal_committee",
            )


class CommitteeMemberQuerySet(AuditedQuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.check_eligible()
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs):
        if not {"appeal", "appeal_id", "reviewer", "reviewer_id"} & kwargs.keys():
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            pks = list(self.values_list("pk", flat=True))
            count = super().update(**kwargs)
            for member in self.model._base_manager.using(self.db).filter(pk__in=pks):
                member.check_eligible()  # refused: the update above is rolled back
        return count

    def bulk_update(self, objs, fields, batch_size=None):
        objs = list(objs)
        for obj in objs:
            obj.check_eligible()
        return super().bulk_update(objs, fields, batch_size=batch_size)


class AppealCommitteeMember(AuditedModel):
    """A member of the committee reviewing an appeal: from the reviewer pool, never one of the
    proposal's own reviewers (``committee_refusal``)."""

    appeal = models.ForeignKey(
        Appeal, on_delete=models.PROTECT, related_name="committee", verbose_name=_("appeal")
    )
    reviewer = models.ForeignKey(
        "evaluation.Reviewer", on_delete=models.PROTECT, related_name="+", verbose_name=_("member")
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    added_at = models.DateTimeField(_("recorded"), default=timezone.now)

    objects = CommitteeMemberQuerySet.as_manager()
    audit_competition_path = "appeal__publication__competition_id"

    class Meta:
        verbose_name = _("appeal committee member")
        verbose_name_plural = _("appeal committee members")
        ordering = ["appeal", "added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["appeal", "reviewer"], name="appeal_committee_member_once"),
        ]

    def __str__(self):
        return str(self.reviewer)

    def audit_competition_id(self):
        return self.appeal.publication.competition_id

    def check_eligible(self) -> None:
        if self.appeal_id is None or self.reviewer_id is None:
            return
        refusal = committee_refusal(self.appeal_id, self.reviewer_id)
        if refusal:
            raise ValidationError({"reviewer": refusal}, code="committee_reviewer")

    def clean(self):
        super().clean()
        self.check_eligible()

    def save(self, *args, **kwargs):
        self.check_eligible()
        super().save(*args, **kwargs)
