"""How an import report reads on a terminal (the web page renders the same report)."""

from django.utils.translation import gettext as _

from .engine import ImportReport, RowStatus

MAX_LISTED_MISSING = 20
MAX_LISTED_UPDATED = 20
CONFIRM_FLAG = "--confirm-after-publication"


def write_report(out, report: ImportReport) -> None:
    if report.file_error:
        out.write(report.file_error)
        return
    if report.unconfirmed:
        out.write(
            _(
                "To import into a competition whose result is published, run the command again "
                "with %(flag)s, which confirms that the result will need a correction after the "
                "import. Nothing was written."
            )
            % {"flag": CONFIRM_FLAG}
        )
    elif report.ok:
        if report.dry_run:
            out.write(_("Dry run: the file is valid; nothing was written."))
        elif report.applied:
            out.write(_("Imported %(file)s.") % {"file": report.filename})
        else:
            out.write(_("Every row is already up to date; nothing changed."))
    else:
        out.write(_("The file has errors; nothing was written:"))
        for message in report.errors:
            out.write(f"  {message}")
    if report.applied and report.publication is not None:
        out.write(report.correction_reminder())
    elif report.needs_confirmation:
        out.write(report.publication_warning())
    for line in report.summary_lines():
        out.write(line)
    write_changes(out, report)
    if report.missing:
        out.write(_("Not in the file (kept, not deleted):"))
        for label in report.missing[:MAX_LISTED_MISSING]:
            out.write(f"  - {label}")
        if len(report.missing) > MAX_LISTED_MISSING:
            out.write(_("  … and %(count)s more") % {"count": len(report.missing) - MAX_LISTED_MISSING})


def write_changes(out, report: ImportReport) -> None:
    """Each updated row (the first MAX_LISTED_UPDATED) with every changed field, old → new."""
    updated = [row for row in report.rows if row.status == RowStatus.UPDATED]
    for row in updated[:MAX_LISTED_UPDATED]:
        out.write(_("  row %(row)s %(label)s changes:") % {"row": row.number, "label": row.label})
        for change in row.changes:
            out.write(
                _("    %(field)s: %(old)s → %(new)s")
                % {"field": change.field, "old": change.old, "new": change.new}
            )
    if len(updated) > MAX_LISTED_UPDATED:
        out.write(_("  … and %(count)s more changed rows") % {"count": len(updated) - MAX_LISTED_UPDATED})
