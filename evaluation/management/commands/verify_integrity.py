from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from evaluation.integrity import check_integrity

from ._lookup import competition_or_error


class Command(BaseCommand):
    help = (
        "Walk the audit chain and recompute every submitted scoresheet's and every publication's "
        "SHA-256; exit 1 naming the first record that does not verify."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--competition",
            help="competition slug: check its sheets and publications (the chain is always checked whole)",
        )

    def handle(self, *args, competition=None, **options):
        competition = competition_or_error(competition) if competition else None
        report = check_integrity(competition)
        if not report.ok:
            lines = [_("Integrity check failed: %(problem)s") % {"problem": report.problems[0].message}]
            lines += [f"- {problem.message}" for problem in report.problems[1:]]
            raise CommandError("\n".join(lines))
        self.stdout.write(report.summary())
