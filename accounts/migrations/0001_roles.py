"""Create the admin, official and reviewer groups with their permissions (SPEC §2)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen here (not imported from accounts.roles) so that this migration never changes meaning.
PROPOSAL_MODELS = ("competition", "category", "track", "applicant", "proposal", "importupload")
ROLE_PERMISSIONS = {
    "admin": [f"proposals.{action}_{model}" for model in PROPOSAL_MODELS
              for action in ("add", "change", "delete", "view")]
    + ["proposals.view_auditentry", "proposals.import_proposals"],
    "official": [f"proposals.view_{model}" for model in
                 ("competition", "category", "track", "applicant", "proposal", "auditentry")],
    "reviewer": [],
}


def create_role_groups(apps, schema_editor):
    # Permissions are normally created after migrate; create them now so groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)


def remove_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLE_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("proposals", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
