"""The log of notices sent to reviewers by e-mail (evaluation.notices); admins and officials may
read it (the officials' progress page, Django admin)."""

import django.db.models.deletion
from django.contrib.auth.management import create_permissions
from django.conf import settings
from django.db import migrations, models


GRANTS = {"admin": ["view_notice"], "official": ["view_notice"]}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("evaluation")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in GRANTS.items():
        group = Group.objects.filter(name=role).first()
        if group is not None:
            group.permissions.add(*Permission.objects.filter(content_type__app_label="evaluation", codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in GRANTS.items():
        group = Group.objects.filter(name=role).first()
        if group is not None:
            group.permissions.remove(*Permission.objects.filter(content_type__app_label="evaluation", codename__in=codenames))


class Migration(migrations.Migration):

    dependencies = [
        ('evaluation', '0004_audit_chain_seal_submitted_sheets'),
        ('proposals', '0002_audit_chain'),
        ('accounts', '0005_login_throttle_permissions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Notice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('assignment', 'Assignment notice'), ('reminder', 'Reminder of sheets owed'), ('reopened', 'Sheet reopened')], max_length=12, verbose_name='kind')),
                ('recipient', models.EmailField(max_length=254, verbose_name='recipient')),
                ('subject', models.CharField(max_length=200, verbose_name='subject')),
                ('body', models.TextField(verbose_name='text')),
                ('key', models.CharField(db_index=True, max_length=200, verbose_name='idempotency key')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='queued')),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('sent', 'Sent'), ('failed', 'Not delivered')], default='queued', max_length=10, verbose_name='status')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent')),
                ('error', models.TextField(blank=True, verbose_name='delivery error')),
                ('assignments', models.ManyToManyField(blank=True, related_name='notices', to='evaluation.assignment', verbose_name='assignments')),
                ('competition', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notices', to='proposals.competition', verbose_name='competition')),
                ('reviewer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='notices', to='evaluation.reviewer', verbose_name='reviewer')),
                ('sent_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='sent by')),
                ('stage', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notices', to='evaluation.stage', verbose_name='stage')),
            ],
            options={
                'verbose_name': 'notice',
                'verbose_name_plural': 'notices',
                'ordering': ['-created_at', '-pk'],
                'indexes': [models.Index(fields=['competition', 'stage', '-created_at'], name='notice_stage_recent')],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
