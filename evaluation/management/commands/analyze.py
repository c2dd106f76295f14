"""``analyze --competition SLUG [--json] [--rounds N] [--seed S]``: reviewer leniency, agreement,
outlier sheets and decision stability (issue 13), advisory beside the legal scores."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from evaluation import analysis
from evaluation.analysis_service import analyze_competition

from ._lookup import competition_or_error


class Command(BaseCommand):
    help = "Analyse reviewer leniency, agreement and decision stability (issue 13; advisory only)."

    def add_arguments(self, parser):
        parser.add_argument("--competition", required=True, help="competition slug")
        parser.add_argument("--json", action="store_true", help="print the JSON document alone")
        parser.add_argument(
            "--rounds",
            type=int,
            default=None,
            help="bootstrap rounds (default: the competition's analysis_rounds)",
        )
        parser.add_argument(
            "--seed", type=int, default=None, help="bootstrap seed (default: the competition's analysis_seed)"
        )

    def handle(self, *args, competition, rounds, seed, **options):
        if rounds is not None and rounds < 1:
            raise CommandError(_("--rounds must be at least 1."))
        found = competition_or_error(competition)
        # Issue 13: the competition's settings, unless an option overrides them.
        run = analyze_competition(found, rounds, seed)
        if options["json"]:
            self.stdout.write(json.dumps(analysis.document(run.result), ensure_ascii=False))
            return
        self.write_text(
            found, run.result, run.rounds, run.seed, {stage.code: stage.name for stage in run.stages}
        )

    def write_text(self, competition, result, rounds, seed, stage_names):
        out = self.stdout.write
        out(f"{competition.name} ({competition.slug})")
        out(_("Advisory analysis: the published scores are unchanged."))
        for stage in result["stages"]:
            out("")
            out(
                _("Stage %(name)s (%(code)s)")
                % {"name": stage_names.get(stage["code"], ""), "code": stage["code"]}
            )
            agreement = stage["agreement"]
            out(
                "  "
                + _("Agreement (ICC(1)): %(value)s over %(sheets)s sheets")
                % {"value": agreement["value"] or "—", "sheets": agreement["sheets"]}
            )
            if stage["panels"] > 1:
                out(
                    "  "
                    + _(
                        "The reviewers form %(panels)s panels that share no proposal: biases compare within a panel only."
                    )
                    % {"panels": stage["panels"]}
                )
                for panel in stage["panel_agreement"]:
                    out(
                        "    "
                        + _(
                            "Panel of %(tracks)s (%(reviewers)s reviewers): ICC(1) %(value)s over %(sheets)s sheets"
                        )
                        % {
                            "tracks": ", ".join(panel["tracks"]) or "—",
                            "reviewers": panel["reviewers"],
                            "value": panel["value"] or "—",
                            "sheets": panel["sheets"],
                        }
                    )
            out("  " + _("Reviewer, sheets, mean deviation from the others, estimated bias"))
            for reviewer in stage["reviewers"]:
                flag = "  " + _("flagged") if reviewer["flagged"] else ""
                out(
                    f"    {reviewer['email']:<32} {reviewer['sheets']:>5} "
                    f"{reviewer['mean_deviation'] or '—':>8} {reviewer['bias']:>8}{flag}"
                )
            if stage["outlier_sheets"]:
                out("  " + _("Outlier sheets (total, mean of the other sheets)"))
                for sheet in stage["outlier_sheets"]:
                    out(
                        f"    {sheet['reference']} {sheet['reviewer_code']:>3} {sheet['total']:>8} {sheet['others_mean']:>8}"
                    )
        out("")
        out(
            _("Decision stability: %(rounds)s bootstrap rounds, seed %(seed)s")
            % {"rounds": rounds, "seed": seed}
        )
        for row in result["stability"]:
            loo = "  " + _("one reviewer's absence changes it") if row["loo_changes_selection"] else ""
            out(f"    {row['reference']:<16} {row['selected_share']}{loo}")
        out(_("Margins (last selected − first not selected)"))
        for margin in result["margins"]:
            out(f"    {margin['group']:<24} {margin['points'] or '—'}")
