"""Finding the competition and stage a command names (a clear message, exit code 1), and the base
of the commands whose help is a written text with subcommands (``SubcommandsCommand``)."""

from argparse import RawDescriptionHelpFormatter

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from evaluation.models import Stage
from proposals.models import Competition, Proposal


class SubcommandsCommand(BaseCommand):
    """A command with subcommands whose ``help`` is laid out by hand (kept as written)."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser


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


def user_or_error(username: str):
    """The account a command acts as (``--by``)."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(_("No user with username '%(username)s'.") % {"username": username})
    return user


def proposal_ids_or_error(competition: Competition, references) -> list[int]:
    """The proposals of ``competition`` with these reference numbers, all of them or an error."""
    references = [reference.strip() for reference in references]
    found = dict(
        Proposal.objects.filter(competition=competition, reference__in=references).values_list(
            "reference", "pk"
        )
    )
    missing = [reference for reference in references if reference not in found]
    if missing:
        raise CommandError(
            _("Competition %(slug)s has no proposal %(references)s.")
            % {"slug": competition.slug, "references": ", ".join(missing)}
        )
    return [found[reference] for reference in references]
