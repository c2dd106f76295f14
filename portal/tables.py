from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django_tables2.utils import AttributeDict, computed_values, signature


class PlainRows:
    """A table whose rows the page template renders in one plain loop (``plain_rows``), not
    through django-tables2's per-cell machinery, which looks each cell up through the template
    language and inspects its render method's signature again for every cell: 3.5 ms a row, seconds
    for a page of 2,000. Each column's cell attributes, header and render call are worked out once;
    sorting, pagination, headers and footers stay django-tables2's.

    For tables whose cells come from their accessor and render methods only: a column of a model
    field with choices (django-tables2 would show its label), a link or a localised column needs
    the table's own rows instead."""

    plain = True  # portal/tables/krds_table.html renders ``rows_html``
    cell_labels = False  # True: each cell carries its column's name (data-label), for cards

    def rows_html(self) -> SafeString:
        """This page's rows as HTML, built in one pass in Python: what a template loop over
        ``plain_rows`` writes (each value localised and escaped as ``{{ cell }}`` would), a
        hundred times fewer template lookups. ``row_after(record)`` adds a row after a row."""
        parts = []
        for attrs, record, cells in self.plain_rows():
            parts.append(f"<tr {attrs}>")
            for cell_attrs, header, cell in cells:
                label = format_html(' data-label="{}"', header) if self.cell_labels else ""
                parts.append(f"<td {cell_attrs}{label}>{_shown(cell)}</td>")
            parts.append("</tr>")
            parts.append(self.row_after(record))
        if not parts and self.empty_text:
            parts.append(format_html('<tr><td colspan="{}">{}</td></tr>', len(self.columns), self.empty_text))
        return mark_safe("".join(parts))  # every part escaped above

    def row_after(self, record) -> str:
        return ""

    def plain_rows(self) -> list:
        """This page's rows as (row attributes, record, [(cell attributes, header, cell)])."""
        columns = [self._plain_column(column) for column in self.columns]
        rows = self.page.object_list if getattr(self, "page", None) else self.rows
        found = []
        for counter, row in enumerate(rows):
            record = row.record
            attrs = computed_values(self.row_attrs, kwargs={"table": self, "record": record})
            parity = "odd" if counter % 2 else "even"
            attrs["class"] = f"{attrs['class']} {parity}" if attrs.get("class") else parity
            found.append((AttributeDict(attrs).as_html(), record, [cell(record) for cell in columns]))
        return found

    def _plain_column(self, bound):
        column, accessor, render = bound.column, bound.accessor, bound.render
        wanted, any_keyword = signature(render)
        attrs, header, default = bound.attrs["td"].as_html(), bound.header, bound.default
        fixed = {"column": column, "bound_column": bound, "table": self}

        def cell(record):
            value = accessor.resolve(record, quiet=True)
            if value in column.empty_values:
                return attrs, header, default
            given = {"value": value, "record": record, **fixed}
            return attrs, header, render(**(given if any_keyword else {name: given[name] for name in wanted}))

        return cell


def _shown(value) -> str:
    """A value as ``{{ value }}`` shows it in a template: local time, localised, escaped."""
    return conditional_escape(localize(template_localtime(value)))
