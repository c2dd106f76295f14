"""Evaluation permissions for the role groups (issue 3). Admins set up stages, rubrics,
reviewers and panels but never enter scores; officials read everything of the evaluation."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SETUP_MODELS = ("stage", "rubric", "criterion", "reviewer", "pastaffiliation", "panel", "assignment", "conflict")
READ_MODELS = (*SETUP_MODELS, "scoresheet", "score", "securitypledge")
GRANTS = {
    "admin": [f"evaluation.{action}_{model}" for model in SETUP_MODELS for action in ("add", "change", "delete", "view")]
    + ["evaluation.view_scoresheet", "evaluation.view_securitypledge"],
    "official": [f"evaluation.view_{model}" for model in READ_MODELS],
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
    dependencies = [("accounts", "0001_roles"), ("evaluation", "0001_initial")]
    operations = [migrations.RunPython(grant, revoke)]
