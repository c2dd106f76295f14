"""Models whose every change leaves an audit record (SPEC §3), whichever code path makes it.

``AuditedModel.save()`` and the queryset's ``update()``, ``bulk_update()``, ``bulk_create()`` and
``upsert()`` record what changed; deletions — ``Model.delete()``, ``QuerySet.delete()`` and the
cascades Django's Collector runs for them, which bypass both — are recorded by the
``pre_delete``/``post_delete`` signals the Collector sends for every object; changes of a
many-to-many field, from either side, by ``m2m_changed`` (``connect_audit_signals``). Each entry
carries the actor and reason of the surrounding ``audit_context`` (``None``/empty for a system
step), the values before and after, and the competition the record belongs to, so the
proposal's and the competition's trails list it. Entries go through the one chaining function,
``proposals.models.audit.append``.
"""

import contextvars
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.db import connections, models
from django.db.models.signals import m2m_changed, post_delete, pre_delete

from ..canonical import jsonable
from .audit import AuditEntry, append, audit_transaction, deferred_memo

_context: contextvars.ContextVar[tuple] = contextvars.ContextVar("audit_context", default=(None, ""))
# Set while Django's bulk_update() runs its own update() calls: bulk_update records them itself.
_recorded_by_caller: contextvars.ContextVar[bool] = contextvars.ContextVar("audit_recorded", default=False)
IN_BATCH = 900  # ids per ``pk__in`` lookup (SQLite's limit on query parameters)


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


def _batches(items: list, size: int = IN_BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _as_stored(field, value):
    if isinstance(field, models.DecimalField) and isinstance(value, Decimal) and value.is_finite():
        try:
            return value.quantize(Decimal(1).scaleb(-field.decimal_places))
        except InvalidOperation:
            return value
    return value


def _changes(before: dict, after: dict) -> tuple[dict, dict] | None:
    """The fields whose value differs, as (before, after); None when nothing changed."""
    changed = [key for key in after if key in before and before[key] != after[key]]
    if not changed:
        return None
    return {key: before[key] for key in changed}, {key: after[key] for key in changed}


class AuditedQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if _recorded_by_caller.get():
            return super().update(**kwargs)
        model = self.model
        fields = model.audited_attnames(kwargs)
        with audit_transaction(using=self.db, savepoint=False):
            locked = self
            if connections[self.db].features.has_select_for_update_of:
                locked = self.select_for_update(of=("self",))  # the values before are the ones replaced
            before = {row.pop("pk"): row for row in locked.values("pk", *fields)}
            count = super().update(**kwargs)
            if before:
                after = {}
                for pks in _batches(list(before)):
                    after.update(
                        (row.pop("pk"), row)
                        for row in model._base_manager.using(self.db).filter(pk__in=pks).values("pk", *fields)
                    )
                competitions = model.audit_competition_ids(list(before), using=self.db)
                entries = []
                for pk, old in before.items():
                    changed = _changes(old, after.get(pk, {}))
                    if changed:
                        entries.append(
                            model.audit_entry("updated", pk, *changed, competition_id=competitions.get(pk))
                        )
                append(entries, using=self.db)
        return count

    def bulk_update(self, objs, fields, batch_size=None):
        objs = list(objs)
        model = self.model
        with audit_transaction(using=self.db, savepoint=False):
            attnames = model.audited_attnames(fields)
            before = {}
            for pks in _batches([obj.pk for obj in objs]):
                before.update(
                    (row.pop("pk"), row)
                    for row in model._base_manager.using(self.db).filter(pk__in=pks).values("pk", *attnames)
                )
            token = _recorded_by_caller.set(True)
            try:
                count = super().bulk_update(objs, fields, batch_size=batch_size)
            finally:
                _recorded_by_caller.reset(token)
            after = {}  # as stored (a Decimal("250") is stored and read back as 250.00)
            for pks in _batches(list(before)):
                after.update(
                    (row.pop("pk"), row)
                    for row in model._base_manager.using(self.db).filter(pk__in=pks).values("pk", *attnames)
                )
            competitions = model.audit_competition_ids(list(before), using=self.db)
            entries = []
            for obj in objs:
                current = after.get(obj.pk, {})
                changed = _changes(before.get(obj.pk, {}), current)
                if changed:
                    entries.append(
                        model.audit_entry(
                            "updated", obj.pk, *changed, competition_id=competitions.get(obj.pk)
                        )
                    )
                obj._loaded_values = {**(getattr(obj, "_loaded_values", None) or {}), **current}
            append(entries, using=self.db)
        return count

    def bulk_create(self, objs, *args, **kwargs):
        if kwargs.get("ignore_conflicts") or kwargs.get("update_conflicts"):
            # Which rows were inserted and which already existed is not known afterwards:
            # ``upsert`` records what it changes.
            raise TypeError(
                f"{self.model.__name__} is audited: use .upsert() instead of bulk_create() with "
                "ignore_conflicts or update_conflicts."
            )
        with audit_transaction(using=self.db, savepoint=False):
            created = super().bulk_create(objs, *args, **kwargs)
            missing = [obj for obj in created if obj.pk is None]
            if missing:
                raise TypeError(f"{self.model.__name__} is audited: the database did not return the new ids.")
            competitions = self.model.audit_competition_ids([obj.pk for obj in created], using=self.db)
            append(
                [
                    self.model.audit_entry(
                        "created", obj.pk, None, obj.audit_values(), competition_id=competitions.get(obj.pk)
                    )
                    for obj in created
                ],
                using=self.db,
            )
            for obj in created:
                obj._loaded_values = obj.audit_values()
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
            changed = _changes(loaded, current)
            if changed:
                changes.append((obj, "updated", *changed))
        if not changes:
            return []
        with audit_transaction(using=self.db, savepoint=False):
            written = super().bulk_create(
                [obj for obj, *_rest in changes],
                update_conflicts=True,
                unique_fields=unique_fields,
                update_fields=update_fields,
            )
            append(
                [
                    self.model.audit_entry(verb, obj.pk, before, after, obj)
                    for obj, verb, before, after in changes
                ],
                using=self.db,
            )
        for obj, _verb, _before, after in changes:
            obj._state.adding = False
            obj._loaded_values = {**(getattr(obj, "_loaded_values", None) or {}), **after}
        return written

    def delete(self):
        # The Collector's signals record each deleted object (cascades included); appended at
        # the end, after every row is gone.
        with audit_transaction(using=self.db, savepoint=False):
            return super().delete()

    delete.alters_data = True
    delete.queryset_only = True


class AuditedModel(models.Model):
    """Base for audited models: remembers loaded values so ``save()`` can record the change.

    ``audit_competition_path``: the lookup from the model to its competition's id (e.g.
    ``"stage__competition_id"``), so each entry names its competition. ``audit_exclude``:
    fields left out of the trail (timestamps of no meaning, personal data of no rule)."""

    objects = AuditedQuerySet.as_manager()
    audit_exclude: tuple[str, ...] = ("updated_at",)
    audit_competition_path: str = ""

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._loaded_values = dict(zip(field_names, values, strict=True))
        return instance

    def save(self, *args, audit_verb: str = "", audit_after: dict | None = None, **kwargs):  # noqa: DJ012 (from_db feeds it)
        """Save and record the change. ``audit_verb`` names it ("submitted" → the action
        ``scoresheet.submitted``) and ``audit_after`` adds facts to the entry's ``after`` (a
        sheet's content digest): both only where a service records a step of its own."""
        using = kwargs.get("using") or self._state.db or "default"
        names = self.audited_attnames([f.name for f in self._meta.concrete_fields if not f.primary_key])
        if kwargs.get("update_fields") is not None:
            saved = {self._meta.get_field(name).attname for name in kwargs["update_fields"]}
            names = [name for name in names if name in saved]
        # No savepoint: like Django's own save(), a failure dooms the surrounding transaction
        # (two round trips fewer per audited save; a reviewer's save makes several).
        with audit_transaction(using=using, savepoint=False):
            stored = self._stored_values(names, using)
            super().save(*args, **kwargs)
            current = {name: value for name, value in self.audit_values().items() if name in names}
            if stored is None:
                before, after = None, current
            else:
                changed = _changes(stored, current)
                if not changed and not audit_verb:
                    return
                before, after = changed or ({}, {})
            if audit_after:
                after = {**after, **audit_after}
            verb = audit_verb or ("created" if stored is None else "updated")
            append([self.audit_entry(verb, self.pk, before, after, self)], using=using)
            self._loaded_values = {**(stored or {}), **current}

    def _stored_values(self, names: list[str], using: str) -> dict | None:
        """The stored values of ``names`` this save replaces; None when it creates the row.
        Known from loading (``from_db``) or the last save; an object built by hand with the id
        of an existing row, or loaded with some of these fields deferred, reads them first (one
        query), so an entry never claims a creation that was an update nor misses a change."""
        loaded = getattr(self, "_loaded_values", None)
        if self.pk is None:
            return None
        missing = [name for name in names if loaded is None or name not in loaded]
        if loaded is not None and not missing:
            return loaded
        row = self.__class__._base_manager.using(using).filter(pk=self.pk).values(*missing).first()
        if row is None:
            return None if loaded is None else loaded
        return {**(loaded or {}), **row}

    def delete(self, *args, **kwargs):
        # The Collector's signals record this object and every cascaded one; appended at the end.
        using = kwargs.get("using") or self._state.db or "default"
        with audit_transaction(using=using, savepoint=False):
            return super().delete(*args, **kwargs)

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        """Reloaded values are the new "before" of the next save (only those reloaded)."""
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None:
            deferred = self.get_deferred_fields()
            names = [f.attname for f in self._meta.concrete_fields if f.attname not in deferred]
        else:
            names = [self._meta.get_field(name).attname for name in fields]
        loaded = getattr(self, "_loaded_values", None) or {}
        self._loaded_values = {**loaded, **{name: getattr(self, name) for name in names}}

    def audit_values(self) -> dict:
        """The recorded fields' values as stored (decimals at their field's places)."""
        return {
            field.attname: _as_stored(field, getattr(self, field.attname))
            for field in self._meta.concrete_fields
            if not field.primary_key and field.name not in self.audit_exclude
        }

    @classmethod
    def audited_attnames(cls, names) -> list[str]:
        """Column names of the given fields that the trail records."""
        fields = [cls._meta.get_field(name) for name in names]
        return [field.attname for field in fields if field.name not in cls.audit_exclude]

    def audit_competition_id(self):
        """The competition this record belongs to, for filtering the trail: follows
        ``audit_competition_path`` through loaded relations, or asks the database once per
        parent (remembered until the end of the ``audit_transaction``: a cascade asks once)."""
        path = self.audit_competition_path
        if not path:
            return None
        first, _sep, rest = path.partition("__")
        if not rest:
            return getattr(self, first)
        field = self._meta.get_field(first)
        parent_id = getattr(self, field.attname)
        if parent_id is None:
            return None
        if field.is_cached(self):
            parent = getattr(self, field.name)
            if isinstance(parent, AuditedModel) and parent.audit_competition_path == rest:
                return parent.audit_competition_id()
        memo = deferred_memo()
        key = (field.related_model, parent_id, rest)
        if memo is not None and key in memo:
            return memo[key]
        value = (
            field.related_model._base_manager.using(self._state.db or "default")
            .filter(pk=parent_id)
            .values_list(rest, flat=True)
            .first()
        )
        if memo is not None:
            memo[key] = value
        return value

    @classmethod
    def audit_competition_ids(cls, pks, using="default") -> dict:
        """Competition id per pk, for entries written by queryset operations: one hop of
        ``audit_competition_path`` at a time (the parent ids, then the parents' competitions),
        each one query per batch of ids looked up by primary key. A query joining the whole path
        let SQLite start from the stage and read every assignment of it for each batch."""
        path = cls.audit_competition_path
        if not path:
            return {}
        first, _sep, rest = path.partition("__")
        column = first if not rest else cls._meta.get_field(first).attname
        found = {}
        for batch in _batches(list(pks)):
            found.update(
                cls._base_manager.using(using).filter(pk__in=batch).order_by().values_list("pk", column)
            )
        if not rest:
            return found
        parent = cls._meta.get_field(first).related_model
        parent_ids = {value for value in found.values() if value is not None}
        if issubclass(parent, AuditedModel) and parent.audit_competition_path == rest:
            of_parent = parent.audit_competition_ids(parent_ids, using=using)
        else:
            of_parent = {}
            for batch in _batches(list(parent_ids)):
                of_parent.update(
                    parent._base_manager.using(using).filter(pk__in=batch).order_by().values_list("pk", rest)
                )
        return {pk: of_parent.get(parent_id) for pk, parent_id in found.items()}

    @classmethod
    def audit_entry(
        cls, verb: str, pk, before, after, instance=None, competition_id=None, context=None
    ) -> AuditEntry:
        """An entry of this model's change; ``context`` (actor, reason) when the entry is made
        later than the change (a stream of entries), else the current ``audit_context``."""
        actor, reason = context or current_actor_and_reason()
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


def audited_models() -> list[type[AuditedModel]]:
    """Every concrete audited model of the project."""
    return [model for model in apps.get_models() if issubclass(model, AuditedModel)]


# --- Deletions and many-to-many changes: signals ------------------------------------------------


def _before_delete(sender, instance, using, **kwargs):
    """Sent by the Collector for every object it deletes, before any is deleted: the entry is
    made now (the object's relations still exist) and appended once it is gone. Rows of audited
    models whose foreign key to it the Collector sets to NULL (``on_delete=SET_NULL``, e.g. an
    assignment's panel) are recorded as changed: the Collector updates them without a queryset
    method."""
    entries = [sender.audit_entry("deleted", instance.pk, instance.audit_values(), None, instance)]
    for relation in sender._meta.related_objects:
        related = relation.related_model
        if relation.on_delete is not models.SET_NULL or not issubclass(related, AuditedModel):
            continue
        attname = relation.field.attname
        pks = list(
            related._base_manager.using(using).filter(**{attname: instance.pk}).values_list("pk", flat=True)
        )
        competitions = related.audit_competition_ids(pks, using=using)
        entries += [
            related.audit_entry(
                "updated", pk, {attname: instance.pk}, {attname: None}, competition_id=competitions.get(pk)
            )
            for pk in pks
        ]
    instance._audit_deleted = entries


def _after_delete(sender, instance, using, **kwargs):
    entries = instance.__dict__.pop("_audit_deleted", None)
    if entries:
        append(entries, using=using)


def _m2m_recorder(model: type[AuditedModel], field: models.ManyToManyField):
    """Records ``<model>.<field>_added|_removed|_cleared`` with the field's ids before and after,
    for a change made from the model's side (``panel.members.add``) or from the other side
    (``reviewer.panels.add``): one entry per changed object of ``model``."""
    through = field.remote_field.through
    source = field.m2m_field_name() + "_id"  # the through table's column for ``model``
    target = field.m2m_reverse_field_name() + "_id"
    name = field.name
    verbs = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}

    def rows_of(owners, using) -> dict:
        found: dict = {}
        rows = through._default_manager.using(using).filter(**{source + "__in": owners})
        for owner, item in rows.values_list(source, target):
            found.setdefault(owner, set()).add(item)
        return found

    def handler(sender, instance, action, reverse, pk_set, using, **kwargs):
        if action.startswith("pre_"):
            if not reverse:
                owners = [instance.pk]
            elif pk_set is not None:
                owners = sorted(pk_set)
            else:  # clearing from the other side: every object linked to ``instance``
                rows = through._default_manager.using(using).filter(**{target: instance.pk})
                owners = sorted(rows.values_list(source, flat=True))
            instance.__dict__.setdefault("_audit_m2m", {})[name] = (owners, rows_of(owners, using))
            return
        if action not in verbs:
            return
        owners, before = instance.__dict__.get("_audit_m2m", {}).pop(name, ([], {}))
        after = rows_of(owners, using)
        competitions = model.audit_competition_ids(owners, using=using) if reverse else {}
        entries = []
        for owner in owners:
            old, new = sorted(before.get(owner, ())), sorted(after.get(owner, ()))
            if old != new:
                entries.append(
                    model.audit_entry(
                        f"{name}_{verbs[action]}",
                        owner,
                        {name: old},
                        {name: new},
                        None if reverse else instance,
                        competition_id=competitions.get(owner),
                    )
                )
        append(entries, using=using)

    return handler


def connect_audit_signals() -> None:
    """Connect the deletion and many-to-many recorders of every audited model (app ready())."""
    for model in audited_models():
        uid = f"audit-{model._meta.label_lower}"
        pre_delete.connect(_before_delete, sender=model, dispatch_uid=f"{uid}-pre-delete")
        post_delete.connect(_after_delete, sender=model, dispatch_uid=f"{uid}-post-delete")
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                _m2m_recorder(model, field),
                sender=field.remote_field.through,
                weak=False,  # a closure: a weak reference would drop it at once
                dispatch_uid=f"{uid}-{field.name}",
            )


__all__ = [
    "AuditedModel",
    "AuditedQuerySet",
    "audit_context",
    "audit_transaction",
    "audited_models",
    "connect_audit_signals",
    "current_actor_and_reason",
]
