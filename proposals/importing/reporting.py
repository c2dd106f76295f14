"""How an import report reads on a terminal (the web page renders the same report)."""

from django.utils.translation import gettext as _

from .engine import ImportReport, RowStatus

MAX_LISTED_MISSING = 20


def write_report(out, report: ImportReport) -> None:
    if report.file_error:
        out.write(report.file_error)
        return
    if report.ok:
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
    for line in report.summary_lines():
        out.write(line)
    updated = [row for row in report.rows if row.status == RowStatus.UPDATED]
    for row in updated[:MAX_LISTED_MISSING]:
        out.write(
            _("  updated row %(row)s %(label)s: %(fields)s")
            % {"row": row.number, "label": row.label, "fields": ", ".join(row.changes)}
        )
    if report.missing:
        out.write(_("Not in the file (kept, not deleted):"))
        for label in report.missing[:MAX_LISTED_MISSING]:
            out.write(f"  - {label}")
        if len(report.missing) > MAX_LISTED_MISSING:
            out.write(_("  … and %(count)s more") % {"count": len(report.missing) - MAX_LISTED_MISSING})
