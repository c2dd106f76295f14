import hashlib

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from evaluation.assignments import draw_assignments

from ._lookup import stage_of


def default_seed(competition_slug: str, stage_code: str) -> int:
    """A fixed seed derived from the competition and stage, so a rerun draws the same reviewers."""
    digest = hashlib.sha256(f"{competition_slug}/{stage_code}".encode()).hexdigest()
    return int(digest[:8], 16)


class Command(BaseCommand):
    help = (
        "Draw R reviewers per proposal of a stage from the reviewer pool: balanced loads, never a "
        "conflicted pair, deterministic for the seed (SPEC §3). Existing assignments with a conflict of "
        "interest do not count towards R and are listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--competition", required=True, help="competition slug")
        parser.add_argument("--stage", required=True, help="stage code, e.g. document")
        parser.add_argument("--per-proposal", type=int, required=True, help="reviewers per proposal")
        parser.add_argument("--seed", type=int, help="random seed (default: derived from slug and stage)")

    def handle(self, *args, competition, stage, per_proposal, seed, **options):
        if per_proposal < 1:
            raise CommandError(_("--per-proposal must be at least 1."))
        target = stage_of(competition, stage)
        if seed is None:
            seed = default_seed(competition, stage)
        report = draw_assignments(target, per_proposal, seed)
        self.stdout.write(
            _(
                "Stage %(stage)s: %(created)s assignments created, %(kept)s kept. Seed: %(seed)s (record it to redo this draw)."
            )
            % {"stage": target.name, "created": report.created, "kept": report.kept, "seed": seed}
        )
        for conflicted in report.conflicted:  # never silent: a sheet that stops counting is named
            self.stdout.write(conflicted.message())
        if report.unfilled:
            self.stdout.write(
                _("Proposals that could not get %(count)s reviewers:") % {"count": per_proposal}
            )
            for proposal, missing in report.unfilled:
                self.stdout.write(
                    _("  - %(reference)s %(applicant)s: %(missing)s reviewer(s) missing")
                    % {
                        "reference": proposal.reference,
                        "applicant": proposal.applicant.name,
                        "missing": missing,
                    }
                )
        else:
            self.stdout.write(_("Every proposal has %(count)s reviewers.") % {"count": per_proposal})
