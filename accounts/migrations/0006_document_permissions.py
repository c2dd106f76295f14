"""Proposal documents (사업계획서, attachments): admins upload, replace and remove them (the
Django admin's inline on a proposal included); officials read them. Frozen here, not imported
from accounts.roles."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "admin": [f"proposals.{action}_proposaldocument" for action in ("add", "change", "delete", "view")],
    "official": ["proposals.view_proposaldocument"],
}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in GRANTS.items():
        group = Group.objects.get(name=role)
        for dotted in perms:
            app_label, codename = dotted.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in GRANTS.items():
        group = Group.objects.get(name=role)
        for dotted in perms:
            app_label, codename = dotted.split(".")
            group.permissions.remove(*Permission.objects.filter(content_type__app_label=app_label, codename=codename))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_login_throttle_permissions"), ("proposals", "0003_proposal_documents")]
    operations = [migrations.RunPython(grant, revoke)]
