"""Models whose every change leaves an audit record (SPEC §3), whichever code path makes it.

``AuditedModel.save()``/``delete()`` and the queryset's ``update()``, ``bulk_update()``,
``bulk_create()`` and ``delete()`` all write ``AuditEntry`` rows in the same transaction, with
the actor and reason of the surrounding ``audit_context`` (``None``/empty when a system step).
"""

import contextvars
import datetime
from contextlib import contextmanager
from decimal import Decimal

from django.db import models, transaction

from .audit import AuditEntry

_context: contextvars.ContextVar[tuple] = contextvars.ContextVar("audit_context", default=(None, ""))


@contextmanager
def audit_context(actor=None, reason: str = ""):
    """Changes made inside are attributed to ``actor`` with ``reason``."""
    token = _context.set((actor, reason))
    try:
        yield
    finally:
        _context.reset(token)


def current_actor_and_reason() -> tuple:
    return _context.get()


def jsonable(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, models.Model):
        return value.pk
    return value


class AuditedQuerySet(models.QuerySet):
    def update(self, **kwargs):
        model = self.model
        fields = [model._meta.get_field(name).attname for name in kwargs]
        with transaction.atomic(using=self.db):
            before = {row["pk"]: row for row in self.values("pk", *fields)}
            count = super().update(**kwargs)
            if before:
                competitions = model.audit_competition_ids(before)
                after = {
                    row["pk"]: row
                    for row in model._base_manager.using(self.db)
                    .filter(pk__in=list(before))
                    .values("pk", *fields)
                }
                entries = [
                    model.audit_entry(
                        "updated",
                        pk,
                        {k: v for k, v in before[pk].items() if k != "pk"},
                        {k: v for k, v in after.get(pk, {}).items() if k != "pk"},
                        competition_id=competitions.get(pk),
                    )
                    for pk in before
                ]
                AuditEntry.objects.bulk_create(entries)
        return count

    def bulk_update(self, objs, fields, batch_size=None):
        objs = list(objs)
        with transaction.atomic(using=self.db):
            attnames = [self.model._meta.get_field(name).attname for name in fields]
            before = {
                row["pk"]: row
                for row in self.model._base_manager.using(self.db)
                .filter(pk__in=[obj.pk for obj in objs])
                .values("pk", *attnames)
            }
            count = super().bulk_update(objs, fields, batch_size=batch_size)
            competitions = self.model.audit_competition_ids(before)
            AuditEntry.objects.bulk_create(
                [
                    self.model.audit_entry(
                        "updated",
                        obj.pk,
                        {k: v for k, v in before.get(obj.pk, {}).items() if k != "pk"},
                        {name: getattr(obj, name) for name in attnames},
                        competition_id=competitions.get(obj.pk),
                    )
                    for obj in objs
                ]
            )
        return count

    def bulk_create(self, objs, *args, **kwargs):
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            AuditEntry.objects.bulk_create(
                [
                    self.model.audit_entry("created", obj.pk, None, obj.audit_values())
                    for obj in created
                    if obj.pk
                ]
            )
        return created

    def upsert(self, objs, *, unique_fields, update_fields):
        """Create or update ``objs`` in one statement (``INSERT … ON CONFLICT DO UPDATE``) and
        record what changed as ``save()`` would: "created" for new objects, "updated" with the
        changed fields for objects loaded from the database; unchanged objects are left out.
        For a hot path (a reviewer saving a sheet: one statement instead of one per row)."""
        changes = []
        for obj in objs:
            loaded = getattr(obj, "_loaded_values", None)
            current = obj.audit_values()
            if obj._state.adding or loaded is None:
                changes.append((obj, "created", None, current))
                continue
            changed = [k for k, v in current.items() if k in loaded and loaded[k] != v]
            if changed:
                changes.append(
                    (obj, "updated", {k: loaded[k] for k in changed}, {k: current[k] for k in changed})
                )
        if not changes:
            return []
        with transaction.atomic(using=self.db, savepoint=False):
            written = super().bulk_create(
                [obj for obj, *_rest in changes],
                update_conflicts=True,
                unique_fields=unique_fields,
                update_fields=update_fields,
            )
            AuditEntry.objects.bulk_create(
                [
                    self.model.audit_entry(verb, obj.pk, before, after, obj)
                    for obj, verb, before, after in changes
                ]
            )
        for obj, _verb, _before, after in changes:
            obj._state.adding = False
            obj._loaded_values = {**getattr(obj, "_loaded_values", {}), **after}
        return written

    def delete(self):
        with transaction.atomic(using=self.db):
            rows = list(self)
            competitions = self.model.audit_competition_ids([obj.pk for obj in rows])
            entries = [
                self.model.audit_entry(
                    "deleted", obj.pk, obj.audit_values(), None, competition_id=competitions.get(obj.pk)
                )
                for obj in rows
            ]
            result = super().delete()
            AuditEntry.objects.bulk_create(entries)
        return result


class AuditedModel(models.Model):
    """Base for audited models: remembers loaded values so ``save()`` can record the change."""

    objects = AuditedQuerySet.as_manager()
    audit_exclude: tuple[str, ...] = ("updated_at",)
    audit_competition_path: str = ""  # lookup from the model to its competition id

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._loaded_values = dict(zip(field_names, values, strict=True))
        return instance

    def save(self, *args, **kwargs):  # noqa: DJ012 (from_db must precede: it feeds save)
        loaded = getattr(self, "_loaded_values", None)
        creating = self._state.adding or loaded is None
        # No savepoint: like Django's own save(), a failure dooms the surrounding transaction
        # (two round trips fewer per audited save; a reviewer's save makes several).
        with transaction.atomic(savepoint=False):
            super().save(*args, **kwargs)
            current = self.audit_values()
            if creating:
                before, after = None, current
            else:
                changed = [k for k, v in current.items() if k in loaded and loaded[k] != v]
                if not changed:
                    return
                before = {k: loaded[k] for k in changed}
                after = {k: current[k] for k in changed}
            verb = "created" if creating else "updated"
            self.audit_entry(verb, self.pk, before, after, self).save()
            self._loaded_values = {**(loaded or {}), **current}

    def delete(self, *args, **kwargs):
        with transaction.atomic(savepoint=False):
            entry = self.audit_entry("deleted", self.pk, self.audit_values(), None, self)
            result = super().delete(*args, **kwargs)
            entry.save()
        return result

    def audit_values(self) -> dict:
        return {
            field.attname: getattr(self, field.attname)
            for field in self._meta.concrete_fields
            if not field.primary_key and field.name not in self.audit_exclude
        }

    def audit_competition_id(self):
        """The competition this record belongs to, for filtering the trail."""
        return None

    @classmethod
    def audit_competition_ids(cls, pks) -> dict:
        """Competition id per pk, for entries written by queryset operations (one query)."""
        path = cls.audit_competition_path
        if not path:
            return {}
        return dict(cls._base_manager.filter(pk__in=list(pks)).values_list("pk", path))

    @classmethod
    def audit_entry(cls, verb: str, pk, before, after, instance=None, competition_id=None) -> AuditEntry:
        actor, reason = current_actor_and_reason()
        if instance is not None:
            competition_id = instance.audit_competition_id()
        return AuditEntry(
            action=f"{cls._meta.model_name}.{verb}",
            object_type=cls._meta.model_name,
            object_id=str(pk),
            actor=actor if getattr(actor, "pk", None) else None,
            competition_id=competition_id,
            before=jsonable(before),
            after=jsonable(after),
            reason=reason,
        )
