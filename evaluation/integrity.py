"""Tamper evidence (SPEC §3: every change leaves a record): the audit chain, the digest of each
submitted scoresheet and the digest of each publication, checked against one another.

- The audit chain (``proposals.models.audit``): each entry holds the SHA-256 of its canonical
  content and of the entry before it. ``check_chain`` recomputes them in chain order: an entry
  changed, removed or inserted afterwards is named by its id.
- A submitted sheet: ``evaluation.sheets.submit`` records the digest of its content
  (``sheet_content``: proposal, stage, reviewer, every criterion's points and comment, the
  overall comment, the total, the version) in its "scoresheet.submitted" entry. A score changed
  in the database afterwards no longer hashes to it: ``check_sheets`` names the sheet by its
  proposal's reference, the stage's code and the reviewer's letter.
- A publication: its snapshot's digest is stored in its row and recorded in the chain by its
  "publication.created" entry; a correction's snapshot names the digest it supersedes.
  ``check_publications`` recomputes the snapshot's digest and compares all three.

``check_integrity`` runs the three (``verify_integrity``, ``publish``); ``verify_publication``
checks one publication and the chain up to its entry. The chain head printed with each
publication (``publication_chain_entries``) is the digest of its "publication.created" entry: a
copy kept outside the database shows whether the history up to it was rewritten, chain and all.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import CharField, OuterRef, Subquery
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from proposals.canonical import digest
from proposals.models import AuditEntry
from proposals.models.audit import GENESIS, chain_head, entry_digest, stored_entries

from .models import Assignment, Publication, Score, Scoresheet

MAX_PROBLEMS = 20
CENT = Decimal("0.01")


@dataclass
class Problem:
    """A record that does not verify; ``kind`` is "entry", "sheet" or "publication"."""

    kind: str
    message: str
    record_id: int | None = None


@dataclass
class IntegrityReport:
    entries: int = 0
    sheets: int = 0
    publications: int = 0
    head: tuple[int, str] = (0, GENESIS)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return _(
            "Integrity verified: %(entries)s audit entries, %(sheets)s submitted scoresheets and "
            "%(publications)s publications checked. Chain head: entry no. %(sequence)s, SHA-256 %(digest)s."
        ) % {
            "entries": self.entries,
            "sheets": self.sheets,
            "publications": self.publications,
            "sequence": self.head[0],
            "digest": self.head[1],
        }


# --- The audit chain -------------------------------------------------------------------------


def check_chain(upto: int | None = None) -> tuple[int, tuple[int, str], list[Problem]]:
    """Walk the chain in order (up to the entry numbered ``upto``): (entries checked, the head
    reached, problems). Every entry's digest is recomputed from its stored content and the
    digest before it; a gap in the numbering means entries were removed."""
    previous, expected, count = GENESIS, 1, 0
    head = (0, GENESIS)
    problems: list[Problem] = []

    def found(message, entry_id):
        if len(problems) < MAX_PROBLEMS:
            problems.append(Problem("entry", message, entry_id))

    for row in stored_entries(upto=upto):
        count += 1
        values = {"id": row.id, "sequence": row.sequence}
        if row.sequence != expected:
            found(
                _(
                    "Audit entry #%(id)s (no. %(sequence)s): the entries numbered %(first)s to %(last)s "
                    "before it are missing — they were deleted."
                )
                % {**values, "first": expected, "last": row.sequence - 1},
                row.id,
            )
        elif row.previous_digest != previous:
            found(
                _(
                    "Audit entry #%(id)s (no. %(sequence)s) does not follow the entry before it: that "
                    "entry was changed or replaced after it was recorded."
                )
                % values,
                row.id,
            )
        if entry_digest(row) != row.digest:
            found(
                _(
                    "Audit entry #%(id)s (no. %(sequence)s) was changed after it was recorded: its "
                    "content does not hash to its SHA-256."
                )
                % values,
                row.id,
            )
        previous, expected = row.digest, row.sequence + 1
        head = (row.sequence, row.digest)
    return count, head, problems


# --- Submitted scoresheets -------------------------------------------------------------------


def _cents(value) -> str | None:
    return None if value is None else format(Decimal(value).quantize(CENT), "f")


def sheet_content(
    *, sheet_id, assignment_id, proposal_id, stage_id, reviewer_id, scores, comment, total, version
) -> dict:
    """What a submitted sheet's digest covers. ``scores``: (criterion id, points, comment)."""
    return {
        "sheet": sheet_id,
        "assignment": assignment_id,
        "proposal": proposal_id,
        "stage": stage_id,
        "reviewer": reviewer_id,
        "scores": [
            {"criterion": criterion_id, "points": _cents(points), "comment": text}
            for criterion_id, points, text in sorted(scores, key=lambda score: score[0])
        ],
        "comment": comment,
        "total": _cents(total),
        "version": version,
    }


def sheet_digest(sheet: Scoresheet, scores=None) -> str:
    """The digest of ``sheet`` as it is being submitted: its values in memory, its scores as
    stored (``evaluation.sheets.submit`` writes them first) or as given, (criterion id, points,
    comment) each, by a caller that has just written them."""
    assignment = sheet.assignment
    if scores is None:
        scores = Score.objects.filter(sheet=sheet).order_by().values_list("criterion_id", "points", "comment")
    return digest(
        sheet_content(
            sheet_id=sheet.pk,
            assignment_id=assignment.pk,
            proposal_id=assignment.proposal_id,
            stage_id=assignment.stage_id,
            reviewer_id=assignment.reviewer_id,
            scores=list(scores),
            comment=sheet.comment,
            total=sheet.total,
            version=sheet.version,
        )
    )


def check_sheets(competition=None) -> tuple[int, list[Problem]]:
    """Recompute every submitted sheet's digest (of ``competition``, or all) from the stored
    rows and compare it with its latest "scoresheet.submitted" entry; in stage, proposal and
    assignment order. A constant number of queries."""
    sheets = Scoresheet.objects.filter(status=Scoresheet.Status.SUBMITTED)
    recorded = AuditEntry.objects.filter(action="scoresheet.submitted", object_type="scoresheet")
    if competition is not None:
        sheets = sheets.filter(assignment__stage__competition=competition)
        recorded = recorded.filter(competition_id=competition.pk)
    rows = list(
        sheets.order_by(
            "assignment__stage__competition_id",
            "assignment__stage__order",
            "assignment__proposal__reference",
            "assignment__proposal_id",
            "assignment_id",
        ).values_list(
            "pk",
            "assignment_id",
            "assignment__proposal_id",
            "assignment__stage_id",
            "assignment__reviewer_id",
            "comment",
            "total",
            "version",
        )
    )
    scores: dict[int, list] = {}
    for sheet_id, criterion_id, points, text in (
        Score.objects.filter(sheet__in=sheets)
        .order_by()
        .values_list("sheet_id", "criterion_id", "points", "comment")
    ):
        scores.setdefault(sheet_id, []).append((criterion_id, points, text))
    digests = dict(recorded.order_by("sequence").values_list("object_id", "after__digest"))
    problems = []
    for sheet_id, assignment_id, proposal_id, stage_id, reviewer_id, comment, total, version in rows:
        expected = digests.get(str(sheet_id))
        actual = digest(
            sheet_content(
                sheet_id=sheet_id,
                assignment_id=assignment_id,
                proposal_id=proposal_id,
                stage_id=stage_id,
                reviewer_id=reviewer_id,
                scores=scores.get(sheet_id, []),
                comment=comment,
                total=total,
                version=version,
            )
        )
        if actual == expected:
            continue
        label = sheet_label(assignment_id)
        if expected is None:
            message = _(
                "Scoresheet %(sheet)s is submitted, but no submission of it is recorded in the audit "
                "chain: it was submitted around the application."
            ) % {"sheet": label}
        else:
            message = _(
                "Scoresheet %(sheet)s differs from what was submitted: its points, comments, total or "
                "version were changed in the database after submission."
            ) % {"sheet": label}
        problems.append(Problem("sheet", message, sheet_id))
        if len(problems) >= MAX_PROBLEMS:
            break
    return len(rows), problems


def sheet_label(assignment_id) -> str:
    """A sheet as officials name it: proposal reference · stage code · reviewer code
    (``evaluation.reviewer_codes``, the letters of the score page and the snapshot)."""
    from .reviewer_codes import reviewer_codes

    assignment = Assignment.objects.select_related("proposal", "stage").get(pk=assignment_id)
    proposal = assignment.proposal
    return _("%(reference)s · %(stage)s · reviewer %(code)s") % {
        "reference": proposal.reference or f"#{proposal.pk}",
        "stage": assignment.stage.code,
        "code": reviewer_codes(assignment.stage, proposal)[assignment.reviewer_id],
    }


# --- Publications ----------------------------------------------------------------------------


def with_chain_head(publications):
    """``publications`` (a queryset) annotated with ``chain_head``: the digest of each one's
    "publication.created" entry, in the same query (pages that list publications print it)."""
    entry = AuditEntry.objects.filter(
        action="publication.created",
        object_type="publication",
        object_id=Cast(OuterRef("pk"), output_field=CharField()),
    ).order_by("sequence")
    return publications.annotate(chain_head=Subquery(entry.values("digest")[:1]))


def publication_chain_entries(publications) -> dict[int, AuditEntry]:
    """The "publication.created" entry of each publication, by publication id (one query)."""
    ids = [str(publication.pk) for publication in publications]
    entries = AuditEntry.objects.filter(
        action="publication.created", object_type="publication", object_id__in=ids
    ).order_by("sequence")
    return {int(entry.object_id): entry for entry in entries}


def publication_problems(publication: Publication, entry: AuditEntry | None, previous=None) -> list[Problem]:
    """What does not verify about one publication: its snapshot against its stored digest, its
    stored digest against the chain, and the digest its snapshot says it supersedes."""
    names = {"number": publication.number, "id": publication.pk}
    problems = []
    if digest(publication.snapshot) != publication.digest:
        problems.append(
            _(
                "Publication no. %(number)s (id %(id)s): its snapshot does not hash to its stored SHA-256 "
                "— the snapshot was changed after publication."
            )
            % names
        )
    if entry is None:
        problems.append(_("Publication no. %(number)s (id %(id)s) has no record in the audit chain.") % names)
    elif (entry.after or {}).get("digest") != publication.digest:
        problems.append(
            _(
                "Publication no. %(number)s (id %(id)s): its SHA-256 is not the one recorded in the audit "
                "chain when it was published (entry #%(entry)s) — the publication was rewritten."
            )
            % {**names, "entry": entry.pk}
        )
    superseded = (
        (publication.snapshot or {}).get("supersedes") if isinstance(publication.snapshot, dict) else None
    )
    if previous is not None and (superseded or {}).get("digest") != previous.digest:
        problems.append(
            _(
                "Publication no. %(number)s (id %(id)s) names another SHA-256 for publication no. "
                "%(previous)s, which it supersedes, than the one stored."
            )
            % {**names, "previous": previous.number}
        )
    return [Problem("publication", message, publication.pk) for message in problems]


def check_publications(competition=None) -> tuple[int, list[Problem]]:
    publications = Publication.objects.order_by("competition_id", "number")
    if competition is not None:
        publications = publications.filter(competition=competition)
    publications = list(publications)
    entries = publication_chain_entries(publications)
    by_id = {publication.pk: publication for publication in publications}
    problems = []
    for publication in publications:
        previous = by_id.get(publication.supersedes_id) if publication.supersedes_id else None
        if publication.supersedes_id and previous is None:
            previous = Publication.objects.get(pk=publication.supersedes_id)
        problems += publication_problems(publication, entries.get(publication.pk), previous)
    return len(publications), problems[:MAX_PROBLEMS]


# --- Everything at once ----------------------------------------------------------------------


def check_integrity(competition=None) -> IntegrityReport:
    """The chain (always all of it: it links every competition's entries), then the submitted
    sheets and the publications (of ``competition``, or all)."""
    report = IntegrityReport()
    report.entries, report.head, chain_problems = check_chain()
    report.sheets, sheet_problems = check_sheets(competition)
    report.publications, publication_problems_found = check_publications(competition)
    report.problems = chain_problems + sheet_problems + publication_problems_found
    return report


def verify_publication_chain(publication: Publication) -> tuple[bool, list[str]]:
    """``verify_publication``'s chain check: the publication's digest is in its chain entry and
    the chain is intact from the first entry up to that one. The last message gives the digest
    of that entry — the chain head printed with the publication — to compare with a copy."""
    entry = publication_chain_entries([publication]).get(publication.pk)
    previous = Publication.objects.filter(pk=publication.supersedes_id).first()
    problems = [p.message for p in publication_problems(publication, entry, previous)]
    if entry is not None:
        _count, _head, chain_problems = check_chain(upto=entry.sequence)
        problems += [p.message for p in chain_problems]
    if problems:
        return False, [_("Audit chain: MISMATCH — %(problem)s") % {"problem": problems[0]}, *problems[1:]]
    return True, [
        _(
            "Audit chain: match — the SHA-256 is recorded in audit entry #%(entry)s (no. %(sequence)s), "
            "and the chain is intact from its first entry up to it."
        )
        % {"entry": entry.pk, "sequence": entry.sequence},
        _("Chain head at publication: %(digest)s") % {"digest": entry.digest},
    ]


__all__ = [
    "IntegrityReport",
    "Problem",
    "chain_head",
    "check_chain",
    "check_integrity",
    "check_publications",
    "check_sheets",
    "publication_chain_entries",
    "sheet_content",
    "sheet_digest",
    "verify_publication_chain",
    "with_chain_head",
]
