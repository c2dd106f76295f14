"""Seal the sheets submitted before the audit chain existed (``evaluation.integrity``).

From ``proposals.0002_audit_chain`` on, every submission records its content's digest in its
"scoresheet.submitted" entry, and ``verify_integrity``/``publish`` refuse a submitted sheet
without one. Sheets submitted earlier get that entry here, with the digest of their content as
it is at this migration: changes made in the database before it cannot be told apart (nothing
recorded them), changes after it can."""

from django.conf import settings
from django.db import migrations
from django.utils import timezone, translation
from django.utils.translation import gettext


def seal(apps, schema_editor):
    from evaluation.integrity import sheet_content
    from proposals.canonical import digest, plain
    from proposals.models.audit import GENESIS, entry_digest

    using = schema_editor.connection.alias
    AuditEntry = apps.get_model("proposals", "AuditEntry")
    Scoresheet = apps.get_model("evaluation", "Scoresheet")
    Score = apps.get_model("evaluation", "Score")
    recorded = set(
        AuditEntry.objects.using(using).filter(action="scoresheet.submitted").values_list("object_id", flat=True)
    )
    sheets = [
        sheet
        for sheet in Scoresheet.objects.using(using)
        .filter(status="submitted")
        .select_related("assignment__stage")
        .order_by("pk")
        if str(sheet.pk) not in recorded
    ]
    if not sheets:
        return
    scores = {}
    for sheet_id, criterion_id, points, comment in (
        Score.objects.using(using)
        .filter(sheet__status="submitted")
        .values_list("sheet_id", "criterion_id", "points", "comment")
    ):
        scores.setdefault(sheet_id, []).append((criterion_id, points, comment))
    head = AuditEntry.objects.using(using).order_by("-sequence").values_list("sequence", "digest").first()
    sequence, previous = head or (0, GENESIS)
    with translation.override(settings.LANGUAGE_CODE):
        reason = gettext("sealed when the audit chain was introduced (submitted before it)")
    now = timezone.now()
    entries = []
    for sheet in sheets:
        assignment = sheet.assignment
        content = sheet_content(
            sheet_id=sheet.pk,
            assignment_id=assignment.pk,
            proposal_id=assignment.proposal_id,
            stage_id=assignment.stage_id,
            reviewer_id=assignment.reviewer_id,
            scores=scores.get(sheet.pk, []),
            comment=sheet.comment,
            total=sheet.total,
            version=sheet.version,
        )
        sequence += 1
        entry = AuditEntry(
            action="scoresheet.submitted",
            object_type="scoresheet",
            object_id=str(sheet.pk),
            actor_id=None,
            competition_id=assignment.stage.competition_id,
            before=None,
            after=plain({"status": "submitted", "digest": digest(content)}),
            reason=reason,
            created_at=now,
            sequence=sequence,
            previous_digest=previous,
        )
        entry.digest = previous = entry_digest(entry)
        entries.append(entry)
    AuditEntry.objects.using(using).bulk_create(entries, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0003_scoresheet_reopened"),
        ("proposals", "0002_audit_chain"),
    ]

    operations = [migrations.RunPython(seal, migrations.RunPython.noop)]
