"""Fast bulk inserts for imports: one prepared INSERT run with ``executemany``.

``QuerySet.bulk_create`` compiles SQL for every batch of ~50 rows on SQLite (its parameter
limit), which dominated a 50,000-row import. Here the statement is built once from the model's
metadata, each value still goes through its field's ``get_db_prep_save`` (so JSON, decimals
and dates are stored exactly as the ORM stores them), and the driver runs the batch.
Values of text, integer and foreign-key fields pass as they are (their preparation is the
identity for clean values); JSON, decimal, date and datetime values are prepared by their field.
No signals, no ``save()``, no audit entry: use it only for plain rows an importer has fully
validated, and record them with ``audit_created_rows`` (the chain's entries go in the same way).
"""

from collections.abc import Iterable
from itertools import batched

from django.db import DEFAULT_DB_ALIAS, connections

_UNSET = object()
NEEDS_PREPARATION = {"JSONField", "DecimalField", "DateField", "DateTimeField"}


def insert_rows(
    model,
    field_names: list[str],
    rows: Iterable,
    batch_size: int = 2000,
    using: str = DEFAULT_DB_ALIAS,
    prepared: set[str] = frozenset(),
) -> int:
    """INSERT ``rows`` (tuples in ``field_names`` order); values of the fields in ``prepared``
    are passed as they are (already prepared for the database by the caller)."""
    connection = connections[using]
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    skip = {index for index, field in enumerate(fields) if field.name in prepared}
    return _execute_batches(connection, sql, fields, rows, batch_size, skip)


def _execute_batches(connection, sql: str, fields, rows: Iterable, batch_size: int, skip=frozenset()) -> int:
    """Run ``sql`` with ``executemany`` over ``rows`` in batches, each value of a field that
    needs it (JSON, decimal, date, datetime; not those at the ``skip`` positions) prepared by
    its field as the ORM would; a value shared by consecutive rows is prepared once."""
    to_prepare = [
        (index, field.get_db_prep_save)
        for index, field in enumerate(fields)
        if field.get_internal_type() in NEEDS_PREPARATION and index not in skip
    ]
    last_raw: dict[int, object] = dict.fromkeys(range(len(fields)), _UNSET)
    last_prepared: dict[int, object] = {}
    count = 0
    with connection.cursor() as cursor:
        for batch in batched(rows, batch_size):
            params = []
            for row in batch:
                row = list(row)
                for index, prepare in to_prepare:
                    raw = row[index]
                    if raw is not last_raw[index]:
                        last_raw[index], last_prepared[index] = raw, prepare(raw, connection)
                    row[index] = last_prepared[index]
                params.append(row)
            cursor.executemany(sql, params)
            count += len(batch)
    return count


def insert_audited_rows(
    model, field_names: list[str], rows: list[tuple], ids_of, using: str = DEFAULT_DB_ALIAS
) -> list:
    """``insert_rows`` for an audited model: the rows, then one "created" entry per row in the
    audit chain, as ``save()`` would record it (actor and reason of the ``audit_context``).

    ``ids_of(rows)`` returns the new rows' ids in row order, found by a key the importer knows
    is unique (one query for all of them, not one per row); they are returned. The entries are
    streamed to the chain in batches: 50,000 rows never become 50,000 objects at once."""
    from .models.audit import ChainRow, append
    from .models.audited import current_actor_and_reason

    insert_rows(model, field_names, rows, using=using)
    fields = [model._meta.get_field(name) for name in field_names]
    recorded = [
        (index, field.attname, _recorded_form(field))
        for index, field in enumerate(fields)
        if not field.primary_key and field.name not in model.audit_exclude
    ]
    direct = model.audit_competition_path
    ids = ids_of(rows)
    actor, reason = current_actor_and_reason()  # the entries are made when the chain takes them
    name = model._meta.model_name
    competitions = (
        {} if direct in {f.attname for f in fields} else model.audit_competition_ids(ids, using=using)
    )

    def entries():
        for pk, row in zip(ids, rows, strict=True):
            after = {attname: form(row[index]) for index, attname, form in recorded}
            competition_id = after.get(direct) if direct in after else competitions.get(pk)
            yield ChainRow(  # what ``model.audit_entry`` makes, without a model object
                action=f"{name}.created",
                object_type=name,
                object_id=str(pk),
                actor_id=getattr(actor, "pk", None),
                competition_id=competition_id,
                before=None,
                after=after,
                reason=reason,
            )

    append(entries(), using=using)
    return ids


def _recorded_form(field):
    """How a value of ``field`` reads in an audit entry, as ``AuditedModel.save`` records it:
    JSON-plain, decimals at the field's places, dates and times in ISO 8601."""
    from decimal import Decimal

    from django.db import models

    from .canonical import plain

    if isinstance(field, models.DecimalField):
        places = Decimal(1).scaleb(-field.decimal_places)
        return lambda value: None if value is None else format(Decimal(value).quantize(places), "f")
    if isinstance(field, models.DateField | models.DateTimeField):
        cache = {}

        def iso(value):  # a whole import shares one timestamp: format it once
            if value is None:
                return None
            if value not in cache:
                cache[value] = value.isoformat()
            return cache[value]

        return iso
    if isinstance(field, models.JSONField):
        # An importer's lists of names (solutions, partners) are JSON-plain as they are.
        return lambda value: (
            list(value) if type(value) is list and all(type(item) is str for item in value) else plain(value)
        )
    return lambda value: value


def update_rows(
    model,
    field_names: list[str],
    rows: Iterable[tuple],
    batch_size: int = 2000,
    using: str = DEFAULT_DB_ALIAS,
) -> int:
    """``UPDATE … SET field = %s, … WHERE pk = %s`` run with ``executemany``: each row is the
    new values of ``field_names`` followed by the primary key. For an import that has checked
    every row and records the audit entries itself (before and after); ``bulk_update`` builds a
    ``CASE WHEN`` per field and batch, which took 60 s of CPU for 90,000 proposals."""
    connection = connections[using]
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(meta.db_table),
        ", ".join(f"{quote(field.column)} = %s" for field in fields),
        quote(meta.pk.column),
    )
    # The primary key, last in each row, needs no preparation (fields name the SET columns only).
    return _execute_batches(connection, sql, fields, rows, batch_size)


def update_audited_rows(
    model, field_names: list[str], rows: list[tuple], before: list[dict], using: str = DEFAULT_DB_ALIAS
) -> None:
    """``update_rows`` for an audited model: the rows (new values of ``field_names``, then the
    primary key), then one "updated" entry per row in the audit chain with ``before`` (the old
    values by field name, as the importer checked them) and the new values, as ``save()`` would
    record them (actor and reason of the ``audit_context``; fields the model does not audit,
    such as ``updated_at``, are left out of the entry)."""
    from .models.audit import ChainRow, append
    from .models.audited import current_actor_and_reason

    update_rows(model, field_names, rows, using=using)
    fields = [model._meta.get_field(name) for name in field_names]
    recorded = [
        (index, field, _recorded_form(field))
        for index, field in enumerate(fields)
        if field.name not in model.audit_exclude
    ]
    actor, reason = current_actor_and_reason()
    name = model._meta.model_name
    ids = [row[-1] for row in rows]
    competitions = model.audit_competition_ids(ids, using=using)

    def entries():
        for pk, row, old in zip(ids, rows, before, strict=True):
            yield ChainRow(
                action=f"{name}.updated",
                object_type=name,
                object_id=str(pk),
                actor_id=getattr(actor, "pk", None),
                competition_id=competitions.get(pk),
                before={field.attname: form(old[field.name]) for _i, field, form in recorded},
                after={field.attname: form(row[index]) for index, field, form in recorded},
                reason=reason,
            )

    append(entries(), using=using)
