"""Bulk inserts and updates of audited rows for imports (``proposals.bulk``), each row recorded
in the audit chain as ``save()`` would record it."""

from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, models

from ..bulk import insert_rows, update_rows
from ..canonical import plain
from .audit import ChainRow, append
from .audited import current_actor_and_reason


def insert_audited_rows(
    model, field_names: list[str], rows: list[tuple], ids_of, using: str = DEFAULT_DB_ALIAS
) -> list:
    """``insert_rows`` for an audited model: the rows, then one "created" entry per row in the
    audit chain, as ``save()`` would record it (actor and reason of the ``audit_context``).

    ``ids_of(rows)`` returns the new rows' ids in row order, found by a key the importer knows
    is unique (one query for all of them, not one per row); they are returned. The entries are
    streamed to the chain in batches: 50,000 rows never become 50,000 objects at once."""
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


def update_audited_rows(
    model,
    field_names: list[str],
    rows: list[tuple],
    before: list[dict],
    using: str = DEFAULT_DB_ALIAS,
    *,
    audit_verb: str = "updated",
    audit_after=None,
    changed_only: bool = False,
) -> None:
    """``update_rows`` for an audited model: the rows (new values of ``field_names``, then the
    primary key), then one entry per row in the audit chain with ``before`` (the old values by
    field name, as the importer checked them) and the new values, as ``save()`` would record them
    (actor and reason of the ``audit_context``; fields the model does not audit, such as
    ``updated_at``, are left out of the entry). ``changed_only``: only the fields whose value
    changes, as ``save()`` records an update; ``audit_verb`` and ``audit_after(pk)`` (facts added
    to ``after``) as ``save()``'s arguments of the same names."""
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
            was = {field.attname: form(old[field.name]) for _i, field, form in recorded}
            now = {field.attname: form(row[index]) for index, field, form in recorded}
            if changed_only:
                changed = [key for key in now if was[key] != now[key]]
                was, now = {key: was[key] for key in changed}, {key: now[key] for key in changed}
            if audit_after is not None:
                now = {**now, **audit_after(pk)}
            yield ChainRow(
                action=f"{name}.{audit_verb}",
                object_type=name,
                object_id=str(pk),
                actor_id=getattr(actor, "pk", None),
                competition_id=competitions.get(pk),
                before=was,
                after=now,
                reason=reason,
            )

    append(entries(), using=using)
