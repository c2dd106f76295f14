"""The import preview's rows (the managers' upload → preview → confirm pages)."""

import django_tables2 as tables
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _


class ImportRowTable(tables.Table):
    """One row of an import preview: what the row will do, or why it cannot."""

    # data-label: each cell's column name, shown beside it where narrow screens stack the rows
    # (portal/static/portal/imports.css).
    number = tables.Column(verbose_name=_("Row"), attrs={"td": {"class": "num", "data-label": _("Row")}})
    status = tables.Column(verbose_name=_("Result"), attrs={"td": {"data-label": _("Result")}})
    label = tables.Column(verbose_name=_("Item"), attrs={"td": {"data-label": _("Item")}})
    details = tables.Column(
        verbose_name=_("Details"),
        empty_values=(),
        orderable=False,
        attrs={"td": {"data-label": _("Details")}},
    )

    class Meta:
        orderable = False
        attrs = {"class": "import-rows"}
        row_attrs = {"class": lambda record: "row-error" if record["status"] == "error" else ""}

    def render_status(self, record):
        return format_html(
            '<span class="import-status {}">{}</span>',
            record["status"],
            record["status_label"],
        )

    def render_details(self, record):
        if record["messages"]:
            return format_html(
                '<ul class="import-messages">{}</ul>',
                format_html_join("", "<li>{}</li>", ((m,) for m in record["messages"])),
            )
        if record["changes"]:
            return format_html(
                '<ul class="import-changes">{}</ul>',
                format_html_join(
                    "", "<li>{}</li>", ((self._change(change),) for change in record["changes"])
                ),
            )
        return ""

    @staticmethod
    def _change(change):
        """One changed field: its name, the old value and the new one (a screen reader hears
        "이전 값 … 새 값 …" instead of the arrow)."""
        if isinstance(change, str):  # a preview stored before values were shown: the field only
            return change
        return format_html(
            '<span class="change-field">{}</span> '
            '<span class="change-old"><span class="sr-only">{} </span>{}</span> '
            '<span aria-hidden="true">→</span> '
            '<span class="change-new"><span class="sr-only">{} </span>{}</span>',
            change["field"],
            _("old value"),
            change["old"],
            _("new value"),
            change["new"],
        )
