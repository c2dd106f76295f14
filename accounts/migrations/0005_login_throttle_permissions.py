"""Admins see the sign-in limits in the Django admin and reset them (SPEC §2: admins run the
Django admin). Frozen here, not imported from accounts.roles."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {"admin": ["accounts.view_loginthrottle", "accounts.delete_loginthrottle"]}


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
    dependencies = [("accounts", "0004_login_throttle")]
    operations = [migrations.RunPython(grant, revoke)]
