from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from evaluation.assignments import CANDIDATE_MULTIPLE, default_seed, draw_assignments

from ._lookup import stage_of

__all__ = ["Command", "default_seed"]


class Command(BaseCommand):
    help = (
        "Draw R reviewers per proposal of a stage from the members of the stage's panel(s) covering the "
        "proposal's track — never from the whole reviewer pool. For each proposal the eligible members "
        "(not conflicted, not already assigned) are ordered by load (fewest assignments first), then by "
        f"a random order drawn with the seed; the first {CANDIDATE_MULTIPLE} × the seats are the "
        "candidates and the first of them fill the seats. Each draw is recorded (seed, candidates, "
        "members left out and why, chosen). Deterministic for the seed (SPEC §3). Existing assignments "
        "with a conflict of interest do not count towards R and are listed. Proposals of a track no "
        "panel of the stage covers are not assigned and are listed; the command then exits with code 1 "
        "(the draws of the other tracks are kept)."
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
        if report.draws:
            self.stdout.write(
                _(
                    "%(count)s draws recorded (candidates: %(multiple)s × the seats; see Reviewer draws in the "
                    "Django admin)."
                )
                % {"count": len(report.draws), "multiple": CANDIDATE_MULTIPLE}
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
        elif not report.uncovered:
            self.stdout.write(_("Every proposal has %(count)s reviewers.") % {"count": per_proposal})
        if report.uncovered:
            for uncovered in report.uncovered:
                self.stderr.write(uncovered.message())
            raise CommandError(
                _("%(count)s proposal(s) were not assigned: their track has no panel in this stage.")
                % {"count": sum(len(u.proposals) for u in report.uncovered)}
            )
