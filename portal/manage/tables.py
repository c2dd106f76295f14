"""The managers' tables: an import preview's rows, the accounts of officials and reviewers."""

import django_tables2 as tables
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.roles import role_of


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


class AccountTable(tables.Table):
    """Officials' and reviewers' accounts (``portal.manage.accounts.managed_accounts``), a page at a
    time, each with the button that e-mails the link to set the password."""

    username = tables.Column(
        verbose_name=_("Username"), attrs={"td": {"data-label": _("Username"), "class": "break-all"}}
    )
    name = tables.Column(verbose_name=_("Name"), empty_values=(), attrs={"td": {"data-label": _("Name")}})
    role = tables.Column(verbose_name=_("Role"), empty_values=(), attrs={"td": {"data-label": _("Role")}})
    email = tables.Column(
        verbose_name=_("E-mail"), attrs={"td": {"data-label": _("E-mail"), "class": "break-all"}}
    )
    password = tables.Column(
        verbose_name=_("Password"), empty_values=(), attrs={"td": {"data-label": _("Password")}}
    )
    link = tables.Column(verbose_name=_("Link"), empty_values=(), attrs={"td": {"data-label": _("Link")}})

    class Meta:
        orderable = False
        attrs = {"class": "stacked accounts"}
        empty_text = _("No official or reviewer account yet.")

    def __init__(self, data, *, caption, **kwargs):
        super().__init__(data, **kwargs)
        self.caption = caption

    def render_name(self, record):
        reviewer = getattr(record, "reviewer", None)
        if reviewer is not None:
            return f"{reviewer.name} ({reviewer.affiliation})"
        return record.first_name or "—"

    def render_role(self, record):
        role = role_of(record)
        return role.label if role else "—"

    def render_password(self, record):
        return _("Set") if record.has_usable_password() else _("Not set yet")

    def render_link(self, record):
        if not record.email:
            return "—"
        return format_html(
            '<form method="post" action="{}"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<button type="submit" class="krds-btn secondary small">{}<span class="sr-only"> — {}</span>'
            "</button></form>",
            reverse("manage:account-send-link", args=[record.pk]),
            get_token(self.request),
            _("Send the set-password link"),
            record.get_username(),
        )
