"""The reviewer pool (SPEC §5, ``import_reviewers``): one row per reviewer, keyed by e-mail.

Each new reviewer gets a login account (username = the e-mail, no usable password until an admin
sets one or the reviewer resets it) in the "reviewer" group. Same guarantees as every import:
all or nothing, dry run, idempotent, reviewers absent from the file reported, never deleted.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.roles import Role
from proposals import audit
from proposals.importing import cells
from proposals.importing.engine import Column, FieldChange, Importer, RowError, RowStatus
from proposals.models import audit_context

from ..models import Reviewer

FIELDS = ("name", "affiliation", "field", "external")


@dataclass(slots=True)
class PlannedReviewer:
    email: str
    values: dict  # name, affiliation, field, external (None: not given)
    existing: Reviewer | None = None
    user_id: int | None = None  # an existing reviewer-only account to attach


class ReviewerImporter(Importer):
    kind = "reviewers"
    columns = (
        Column("name", ("성명", "name"), cells.name(60), required=True),
        Column("affiliation", ("소속", "affiliation"), cells.name(200), required=True, help="예: 한국대학교"),
        Column("email", ("이메일", "email"), cells.email, required=True, help="로그인 아이디가 됩니다"),
        Column("field", ("분야", "field"), cells.name(100), help="예: 도시계획"),
        Column("external", ("외부위원", "external"), cells.yes_no, help="Y 또는 N (기본값 Y)"),
    )

    def __init__(self, competition=None, actor=None):
        """``competition``: the "not in the file" report names only the reviewers of that
        competition (its panels' members and assigned reviewers); the pool itself stays shared
        across competitions (issue 12 §8)."""
        super().__init__(actor=actor)
        self.competition = competition

    def lock(self) -> None:
        # One reviewer import at a time: row lock on PostgreSQL; SQLite's write lock.
        Group.objects.select_for_update().filter(name=Role.REVIEWER.value).exists()

    def prepare(self) -> None:
        self.matched: set[int] = set()
        self.by_email = {
            reviewer.email.lower(): reviewer for reviewer in Reviewer.objects.select_related("user")
        }
        self.by_username = {}
        User = get_user_model()
        for user in User.objects.filter(reviewer__isnull=True).prefetch_related("groups"):
            self.by_username[user.username.lower()] = user

    def build(self, values: dict, number: int) -> PlannedReviewer:
        email = values["email"]
        if len(email) > 150:
            raise RowError(
                "email",
                _("Longer than %(max)s characters (%(length)s).") % {"max": 150, "length": len(email)},
            )
        planned = PlannedReviewer(email, {key: values[key] for key in FIELDS}, self.by_email.get(email))
        if planned.existing is None:
            user = self.by_username.get(email)
            if user is not None:
                roles = {group.name for group in user.groups.all()} - {Role.REVIEWER.value}
                if roles or user.is_staff or user.is_superuser:
                    raise RowError(
                        "email",
                        _("A login account with this e-mail as its username already has another role."),
                    )
                planned.user_id = user.pk
        return planned

    def key_of(self, planned: PlannedReviewer):
        return ("email", planned.email), "email"

    def label_of(self, planned: PlannedReviewer) -> str:
        return f"{planned.values['name']} <{planned.email}>"

    def _changes(self, planned: PlannedReviewer) -> dict:
        existing = planned.existing
        changed = {}
        for key in FIELDS:
            if key not in self.present:
                continue
            value = planned.values[key]
            if key == "external" and value is None:
                continue  # an empty cell keeps the current setting
            if getattr(existing, key) != value:
                changed[key] = value
        return changed

    def compare(self, planned: PlannedReviewer):
        if planned.existing is None:
            return RowStatus.NEW, []
        self.matched.add(planned.existing.pk)
        changed = self._changes(planned)
        if not changed:
            return RowStatus.UNCHANGED, []
        labels = {column.key: column.label for column in self.columns}
        return RowStatus.UPDATED, [
            FieldChange.of(labels[key], getattr(planned.existing, key), value)
            for key, value in changed.items()
        ]

    def claim(self, values: dict, planned: PlannedReviewer | None) -> None:
        """The reviewer a row with an error names: the one with its e-mail."""
        email = planned.email if planned is not None else values.get("email")
        reviewer = self.by_email.get(email) if email else None
        if reviewer is not None:
            self.matched.add(reviewer.pk)

    def missing_labels(self) -> list[str]:
        of_competition = None
        if self.competition is not None:
            of_competition = set(
                Reviewer.objects.filter(
                    Q(panels__stage__competition=self.competition)
                    | Q(assignments__stage__competition=self.competition)
                ).values_list("pk", flat=True)
            )
        return [
            f"{reviewer.name} <{reviewer.email}>"
            for email, reviewer in sorted(self.by_email.items())
            if reviewer.pk not in self.matched and (of_competition is None or reviewer.pk in of_competition)
        ]

    def write(self, plans: list, report) -> None:
        """Reviewers are audited models: each creation and change records itself with the
        importing user and the file's name (one entry per reviewer), then "import.applied"."""
        User = get_user_model()
        group = Group.objects.get(name=Role.REVIEWER.value)
        with audit_context(self.actor, report.filename):
            for status, planned in plans:
                values = planned.values
                if status == RowStatus.NEW:
                    if planned.user_id is None:
                        user = User.objects.create_user(
                            username=planned.email,
                            email=planned.email,
                            password=None,
                            first_name=values["name"][:150],
                        )
                    else:
                        user = User.objects.get(pk=planned.user_id)
                    user.groups.add(group)
                    Reviewer.objects.create(
                        user=user,
                        email=planned.email,
                        name=values["name"],
                        affiliation=values["affiliation"],
                        field=values["field"],
                        external=True if values["external"] is None else values["external"],
                    )
                elif status == RowStatus.UPDATED:
                    reviewer = planned.existing
                    changed = self._changes(planned)
                    for key, value in changed.items():
                        setattr(reviewer, key, value)
                    reviewer.save(update_fields=list(changed))
                    if "name" in changed:
                        User.objects.filter(pk=reviewer.user_id).update(first_name=changed["name"][:150])
        audit.record_many([self.applied_entry(report, "reviewer", "")])
