"""Finding the competition and stage a command names (a clear message, exit code 1)."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from evaluation.models import Stage
from proposals.models import Competition


def competition_or_error(slug: str) -> Competition:
    try:
        return Competition.objects.get(slug=slug)
    except Competition.DoesNotExist:
        raise CommandError(_("No competition with identifier '%(slug)s'.") % {"slug": slug}) from None


def stage_of(slug: str, code: str) -> Stage:
    competition = competition_or_error(slug)
    stage = Stage.objects.filter(competition=competition, code=code).select_related("competition").first()
    if stage is None:
        codes = ", ".join(competition.stages.order_by("order").values_list("code", flat=True)) or "—"
        raise CommandError(
            _("Competition %(slug)s has no stage '%(code)s' (stages: %(codes)s).")
            % {"slug": slug, "code": code, "codes": codes}
        )
    return stage
