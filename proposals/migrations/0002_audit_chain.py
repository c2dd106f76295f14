"""The audit trail becomes a hash chain (``proposals.models.audit``): every entry stores its
position, the SHA-256 of its canonical content and that of the entry before it. Entries made
before this migration are chained here in the order they were written (by id); from then on
the application only appends. Entries no longer cascade with a competition (the chain never
loses an entry) and their foreign keys are not checked by the database (no row lock at commit
after the chain's lock)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def chain_existing_entries(apps, schema_editor):
    from proposals.models.audit import GENESIS, entry_digest

    AuditEntry = apps.get_model("proposals", "AuditEntry")
    entries = AuditEntry.objects.using(schema_editor.connection.alias).order_by("id")
    previous, batch = GENESIS, []
    for sequence, entry in enumerate(entries.iterator(chunk_size=2000), start=1):
        entry.sequence = sequence
        entry.previous_digest = previous
        entry.digest = previous = entry_digest(entry)
        batch.append(entry)
        if len(batch) == 500:
            AuditEntry.objects.bulk_update(batch, ["sequence", "previous_digest", "digest"])
            batch = []
    if batch:
        AuditEntry.objects.bulk_update(batch, ["sequence", "previous_digest", "digest"])


class Migration(migrations.Migration):
    dependencies = [
        ("proposals", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="sequence",
            field=models.PositiveBigIntegerField(editable=False, null=True, verbose_name="position in the chain"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="previous_digest",
            field=models.CharField(
                default="", editable=False, max_length=64, verbose_name="SHA-256 of the previous entry"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="digest",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="SHA-256"),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="by",
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="competition",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="audit_entries",
                to="proposals.competition",
                verbose_name="competition",
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="created_at",
            field=models.DateTimeField(
                db_index=True, default=django.utils.timezone.now, editable=False, verbose_name="when"
            ),
        ),
        migrations.RunPython(chain_existing_entries, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditentry",
            name="sequence",
            field=models.PositiveBigIntegerField(editable=False, unique=True, verbose_name="position in the chain"),
        ),
    ]
