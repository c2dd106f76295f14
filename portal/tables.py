from collections.abc import Callable

from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django_tables2 import RequestConfig
from django_tables2.data import TableListData
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


class RowsOnDemand(TableListData):
    """A table's rows known by their ids (in display order), each page's rows loaded when the
    table asks for it: ``load(ids)`` returns those records, in any order. The table counts and
    pages the ids; only the page shown becomes model objects. ``loaded``: records already loaded
    (pk → record; several tables can share one load, see ``page_ids``).

    A ``TableData`` itself, so that django-tables2 takes it as it is (other data it copies into a
    list, which would load every row)."""

    BATCH = 500  # ids a load asks for at once when every row is iterated

    def __init__(self, ids: list, load: Callable, loaded: dict | None = None):
        super().__init__(ids)
        self.ids = ids
        self.load = load
        self._loaded = {} if loaded is None else loaded  # pk → record

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index):
        ids = self.ids[index] if isinstance(index, slice) else [self.ids[index]]
        missing = [pk for pk in ids if pk not in self._loaded]
        if missing:
            self._loaded.update((record.pk, record) for record in self.load(missing))
        records = [self._loaded[pk] for pk in ids if pk in self._loaded]
        return records if isinstance(index, slice) else records[0]

    def __iter__(self):
        for start in range(0, len(self.ids), self.BATCH):
            yield from self[start : start + self.BATCH]

    def order_by(self, aliases):
        """Rows on demand keep the order of their ids: the table is not orderable, so a sort asked
        for in the address reaches here with no column to sort by."""
        if aliases:
            raise NotImplementedError(
                "rows on demand keep the order of their ids: make the table not orderable"
            )


def page_number(requested, count: int, per_page: int) -> int:
    """The page shown for ``requested`` (the page's query value) of ``count`` rows: page 1 when it
    is not a number, the last page when it is not a page (below 1 or past the end) — what
    django-tables2's RequestConfig shows, the one rule of ``PageConfig`` and ``page_ids``."""
    pages = max(-(-count // per_page), 1)
    try:
        number = int(requested)
    except (TypeError, ValueError):
        return 1
    return number if 1 <= number <= pages else pages


def page_ids(ids: list, requested, per_page: int) -> list:
    """The ids of the page ``PageConfig`` shows for ``requested``."""
    number = page_number(requested, len(ids), per_page)
    return ids[(number - 1) * per_page : number * per_page]


class PageConfig(RequestConfig):
    """``RequestConfig`` with the page's own page size: the sort and the page number come from the
    address, a page size does not (django-tables2 reads ``…per_page=`` too, and ``-5`` was a
    server error). The page shown: ``page_number``."""

    def __init__(self, request, per_page: int):
        super().__init__(request, paginate={"per_page": per_page})
        self.per_page = per_page

    def configure(self, table):
        table.request = self.request
        order_by = self.request.GET.getlist(table.prefixed_order_by_field)
        if order_by:
            table.order_by = order_by
        requested = self.request.GET.get(table.prefixed_page_field)
        # The paginator first: with it, django-tables2 counts a queryset (COUNT) — asked for the
        # length before, it loaded every row (2,000 assignments to show 50).
        table.paginate(per_page=self.per_page)
        table.page = table.paginator.page(page_number(requested, table.paginator.count, self.per_page))
        return table
