from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = _("Evaluation")

    def ready(self):
        from .upload_kinds import register

        register()  # reviewer and score spreadsheets on the web (proposals.importing.uploads)
