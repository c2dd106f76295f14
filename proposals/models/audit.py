"""The audit trail: who changed what, when, from what to what, and why — as a hash chain.

Every entry stores the SHA-256 of its own canonical content and of the entry before it
(``entry_digest``), so changing, removing or inserting an entry anywhere breaks the chain from
there on, and the digest of the newest entry (the chain head) vouches for the whole history.
The head printed with each publication keeps a copy of it outside the database.

The chain is insert-only: nothing here updates or deletes an entry, so a PostgreSQL deployment
revokes UPDATE and DELETE on the table from the application's role (README, "운영 배포").

Appending (``append``) is the one way in: ``AuditEntry.save()``, ``AuditEntry.objects.create()``
and ``bulk_create()``, ``proposals.audit.record``/``record_many`` and the audited models all come
here. The chain needs one writer at a time: on PostgreSQL ``append`` takes the transaction-level
advisory lock ``CHAIN_LOCK`` and then reads the last entry; the lock is held until the
transaction ends, so it must be the *last* lock a transaction takes (lock order:
``evaluation/sheets.py``). Before taking it, ``append`` runs the transaction's deferred
foreign-key checks (``SET CONSTRAINTS ALL IMMEDIATE``), so the row locks those checks take at
commit are taken before the chain's lock, never after it. SQLite serialises write transactions
already (``BEGIN IMMEDIATE``). The unique ``sequence`` is the backstop on every database: two
entries can never both follow the same one.

``audit_transaction()`` wraps a service's transaction so that its entries are appended when
its work is done: the chain's lock is then held only for the append and the commit, and no row
lock is taken after it.
"""

import contextvars
import functools
import hashlib
import json
from collections.abc import Iterable
from contextlib import contextmanager
from itertools import islice

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..bulk import insert_rows
from ..canonical import canonical_json, digest, plain, utc_text

GENESIS = "0" * 64  # the "previous digest" of the first entry
# pg_advisory_xact_lock key of the chain: the bytes "gm-audit" as a (positive) bigint.
CHAIN_LOCK = int.from_bytes(b"gm-audit", "big")
BATCH = 2000


class FrozenEntries(models.QuerySet):
    """Entries are appended, never changed or removed (and the database may refuse it too)."""

    def update(self, **kwargs):
        raise ValidationError(_("An audit entry is never changed or removed."))

    def delete(self):
        raise ValidationError(_("An audit entry is never changed or removed."))

    def bulk_update(self, objs, fields, batch_size=None):
        raise ValidationError(_("An audit entry is never changed or removed."))

    def bulk_create(self, objs, batch_size=None, **kwargs):
        if kwargs.get("ignore_conflicts") or kwargs.get("update_conflicts"):
            raise ValidationError(_("An audit entry is never changed or removed."))
        objs = list(objs)
        append(objs, using=self.db)
        return objs

    def in_chain_order(self):
        return self.order_by("sequence")


class AuditEntry(models.Model):
    competition = models.ForeignKey(
        "proposals.Competition",
        # An entry outlives what it is about (a removed competition's entries stay in the chain),
        # and no foreign-key check locks a competition's row at commit (see the module docstring).
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("competition"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,  # a user who acted is never deleted (checked by Django)
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object"), max_length=64)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True, editable=False)
    sequence = models.PositiveBigIntegerField(_("position in the chain"), unique=True, editable=False)
    previous_digest = models.CharField(_("SHA-256 of the previous entry"), max_length=64, editable=False)
    digest = models.CharField(_("SHA-256"), max_length=64, editable=False)

    objects = FrozenEntries.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("An audit entry is never changed or removed."))
        append([self], using=kwargs.get("using") or DEFAULT_DB_ALIAS)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("An audit entry is never changed or removed."))


# --- The chain: canonical content, digest, append --------------------------------------------


def entry_content(entry) -> dict:
    """What an entry's digest covers (``entry`` is an ``AuditEntry`` or a row with its fields)."""
    return {
        "sequence": entry.sequence,
        "previous": entry.previous_digest,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "actor": entry.actor_id,
        "competition": entry.competition_id,
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
        "created_at": utc_text(entry.created_at),
    }


def entry_digest(entry) -> str:
    return digest(entry_content(entry))


_DUMPS = json.JSONEncoder(ensure_ascii=False).encode
_REPEATED = functools.lru_cache(maxsize=1024)(_DUMPS)  # action, actor, reason …: the same in a batch


def _composed_digest(entry, before_text: str, after_text: str) -> str:
    """``entry_digest`` for an entry whose before and after are already serialised (the append
    serialises each once, for the digest and for the INSERT). The same canonical text, composed:
    ``test_audit_chain`` proves both equal, and every check of the chain recomputes with
    ``entry_digest``."""
    text = (
        f'{{"action":{_REPEATED(entry.action)},"actor":{_REPEATED(entry.actor_id)},"after":{after_text},'
        f'"before":{before_text},"competition":{_REPEATED(entry.competition_id)},'
        f'"created_at":{_REPEATED(utc_text(entry.created_at))},"object_id":{_DUMPS(entry.object_id)},'
        f'"object_type":{_REPEATED(entry.object_type)},"previous":{_DUMPS(entry.previous_digest)},'
        f'"reason":{_REPEATED(entry.reason)},"sequence":{_DUMPS(entry.sequence)}}}'
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _lock_chain(using: str) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return  # SQLite: the write transaction (BEGIN IMMEDIATE) is the lock
    with connection.cursor() as cursor:
        # Run the foreign-key checks deferred to commit now: the row locks they take come
        # before the chain's lock, which must be the last lock of the transaction.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])


def chain_head(using: str = DEFAULT_DB_ALIAS) -> tuple[int, str]:
    """(sequence, digest) of the newest entry; (0, GENESIS) for an empty chain."""
    last = AuditEntry.objects.using(using).order_by("-sequence").values_list("sequence", "digest").first()
    return last or (0, GENESIS)


def _write(entries: Iterable, using: str) -> None:
    """Chain and insert ``entries`` (AuditEntry objects, possibly a lazy stream) in one
    transaction. Small batches go through the ORM (the objects get their ids); large ones, an
    import's, through one prepared INSERT (``proposals.bulk.insert_rows``)."""
    entries = iter(entries)
    first = list(islice(entries, BATCH))
    if not first:
        return
    with transaction.atomic(using=using, savepoint=False):
        _lock_chain(using)
        sequence, previous = chain_head(using)
        now = timezone.now()
        json_value = _json_parameter(connections[using])
        batch = first
        while batch:
            rows = []
            for entry in batch:
                sequence += 1
                entry.sequence = sequence
                entry.previous_digest = previous
                entry.created_at = now
                if not isinstance(entry, ChainRow):  # a stream's rows are JSON-plain already
                    entry.before, entry.after = plain(entry.before), plain(entry.after)
                before_text = "null" if entry.before is None else canonical_json(entry.before)
                after_text = "null" if entry.after is None else canonical_json(entry.after)
                entry.digest = previous = _composed_digest(entry, before_text, after_text)
                rows.append(
                    [
                        json_value(before_text, entry.before)
                        if name == "before"
                        else json_value(after_text, entry.after)
                        if name == "after"
                        else getattr(entry, name)
                        for name in ATTRIBUTES
                    ]
                )
            if len(batch) <= 100 and all(isinstance(entry, AuditEntry) for entry in batch):
                models.QuerySet(AuditEntry, using=using).bulk_create(batch)  # the objects get ids
                for entry in batch:
                    entry._state.adding = False
            else:
                insert_rows(AuditEntry, COLUMNS, rows, using=using, prepared={"before", "after"})
            batch = list(islice(entries, BATCH))


def _json_parameter(connection):
    """How an INSERT passes a JSON value already serialised: SQLite stores the text; psycopg
    adapts it as jsonb with that text (no second serialisation)."""
    if connection.vendor != "postgresql":
        return lambda text, value: None if value is None else text
    from psycopg.types.json import Jsonb

    return lambda text, value: None if value is None else Jsonb(value, dumps=lambda _value, text=text: text)


COLUMNS = [
    "competition",
    "actor",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "reason",
    "created_at",
    "sequence",
    "previous_digest",
    "digest",
]
ATTRIBUTES = [{"competition": "competition_id", "actor": "actor_id"}.get(name, name) for name in COLUMNS]


# --- Appending at the end of a service's transaction -------------------------------------------


class _Pending:
    """Entries made inside ``audit_transaction``, appended when it ends. Each batch carries a
    marker registered with ``transaction.on_commit``: Django drops the marker when the savepoint
    it was registered in is rolled back, and the entries of that savepoint are dropped with it."""

    def __init__(self, using: str):
        self.using = using
        self.batches: list[tuple[object, Iterable]] = []

    def add(self, entries: Iterable) -> None:
        def marker():
            pass

        transaction.on_commit(marker, using=self.using)
        self.batches.append((marker, entries))

    def flush(self) -> None:
        connection = connections[self.using]
        markers = {marker for marker, _entries in self.batches}
        alive = {func for _sids, func, _robust in connection.run_on_commit if func in markers}
        connection.run_on_commit = [item for item in connection.run_on_commit if item[1] not in markers]
        batches, self.batches = self.batches, []
        _write((entry for marker, entries in batches if marker in alive for entry in entries), self.using)


_pending: contextvars.ContextVar[_Pending | None] = contextvars.ContextVar("audit_pending", default=None)


def append(entries: Iterable, using: str = DEFAULT_DB_ALIAS) -> None:
    """Add ``entries`` to the chain: at the end of the enclosing ``audit_transaction``, else now."""
    pending = _pending.get()
    if pending is not None and pending.using == using:
        pending.add(entries)
    else:
        _write(entries, using)


@contextmanager
def audit_transaction(using: str = DEFAULT_DB_ALIAS, savepoint: bool = True):
    """``transaction.atomic`` whose audit entries are appended to the chain when its work is
    done (nested: the outermost one appends). Use it around every service that changes several
    rows, so the chain's lock is the last lock its transaction takes."""
    with transaction.atomic(using=using, savepoint=savepoint):
        if _pending.get() is not None:
            yield
            return
        pending = _Pending(using)
        token = _pending.set(pending)
        try:
            yield
        finally:
            _pending.reset(token)
        if not connections[using].needs_rollback:
            pending.flush()


def deferred_memo() -> dict | None:
    """A cache that lives as long as the enclosing ``audit_transaction`` (None outside one)."""
    pending = _pending.get()
    if pending is None:
        return None
    if not hasattr(pending, "memo"):
        pending.memo = {}
    return pending.memo


# --- Walking the chain -------------------------------------------------------------------------


class ChainRow:
    """An entry as plain attributes: one read back for checking, or one of a stream an import
    appends (50,000 of them: no model objects)."""

    __slots__ = (*ATTRIBUTES, "id")

    def __init__(self, values=(), **fields):
        for name, value in zip(("id", *ATTRIBUTES), values, strict=False):
            setattr(self, name, value)
        for name, value in fields.items():
            setattr(self, name, value)


def stored_entries(using: str = DEFAULT_DB_ALIAS, upto: int | None = None):
    """Every stored entry in chain order, streamed, as ``ChainRow``."""
    rows = AuditEntry.objects.using(using).order_by("sequence")
    if upto is not None:
        rows = rows.filter(sequence__lte=upto)
    for values in rows.values_list("id", *ATTRIBUTES).iterator(chunk_size=BATCH):
        yield ChainRow(values)
