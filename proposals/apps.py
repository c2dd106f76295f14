from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProposalsConfig(AppConfig):
    name = "proposals"
    verbose_name = _("Competitions and proposals")

    def ready(self):
        from .models.audited import connect_audit_signals

        # Deletions (cascades included) and many-to-many changes of every audited model, in
        # every app: the models are all loaded when any app is ready.
        connect_audit_signals()
