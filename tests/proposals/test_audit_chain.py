"""The audit trail is a hash chain (``proposals.models.audit``): every way of creating an entry
goes through one append, every entry stores the SHA-256 of its canonical content and of the entry
before it, entries are never changed, and the chain checker names any entry changed, removed or
inserted behind the application's back. Runs on SQLite and on PostgreSQL (jsonb)."""

import hashlib
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from accounts.roles import Role
from evaluation.integrity import check_chain
from proposals import audit
from proposals.canonical import canonical_json, utc_text
from proposals.models import AuditEntry, Competition, audit_context, audit_transaction
from proposals.models.audit import GENESIS

pytestmark = pytest.mark.django_db

TABLE = AuditEntry._meta.db_table


def chain():
    return list(AuditEntry.objects.order_by("sequence"))


def recomputed(entry) -> str:
    """The digest as anyone can recompute it from the stored row with a JSON library."""
    content = {
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
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def assert_linked(entries):
    previous = GENESIS
    for number, entry in enumerate(entries, start=1):
        assert entry.sequence == number
        assert entry.previous_digest == previous
        assert entry.digest == recomputed(entry)
        previous = entry.digest


def test_every_way_of_creating_an_entry_is_chained(competition, user_factory):
    """save(), objects.create(), bulk_create(), record(), record_many() and an audited model's
    own entries: one chain, numbered 1, 2, 3 …, each linked to the one before."""
    official = user_factory(Role.OFFICIAL, "chain-official")
    start = AuditEntry.objects.count()
    AuditEntry(action="test.saved", object_type="test", object_id="1").save()
    AuditEntry.objects.create(action="test.created", object_type="test", object_id="2", actor=official)
    AuditEntry.objects.bulk_create(
        [AuditEntry(action="test.bulk", object_type="test", object_id=str(n)) for n in (3, 4)]
    )
    audit.record("test.recorded", "test", 5, competition=competition, after={"a": 1})
    audit.record_many([audit.entry("test.many", "test", 6, before={"b": Decimal("1.50")})])
    with audit_context(official, "규칙 변경"):
        Competition.objects.filter(pk=competition.pk).update(minimum_score=70)
    entries = chain()
    assert len(entries) == start + 7
    assert_linked(entries)
    assert [e.action for e in entries[start:]] == [
        "test.saved",
        "test.created",
        "test.bulk",
        "test.bulk",
        "test.recorded",
        "test.many",
        "competition.updated",
    ]
    assert entries[-2].before == {"b": "1.50"}
    count, head, problems = check_chain()
    assert (count, head, problems) == (len(entries), (entries[-1].sequence, entries[-1].digest), [])


def test_entries_are_never_changed_or_deleted_through_the_orm(competition):
    entry = audit.record("test.kept", "test", 1)
    entry = AuditEntry.objects.get(pk=entry.pk)
    message = "감사 기록은 바꾸거나 지울 수 없습니다."
    entry.reason = "바꿈"
    for attempt in (
        entry.save,
        entry.delete,
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(reason="바꿈"),
        lambda: AuditEntry.objects.filter(pk=entry.pk).delete(),
        lambda: AuditEntry.objects.bulk_update([entry], ["reason"]),
    ):
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert refused.value.messages == [message]
    assert AuditEntry.objects.get(pk=entry.pk).reason == ""
    # A competition's deletion leaves its entries in the chain (no cascade).
    competition_id = competition.pk
    competition.delete()
    assert AuditEntry.objects.filter(competition_id=competition_id, action="competition.deleted").exists()
    assert check_chain()[2] == []


# Values whose stored JSON differs from what Python wrote, on one database or the other: jsonb
# sorts keys by length, keeps 1.10 as 1.10, turns 1e+20 into 100000000000000000000; text with
# every kind of Unicode; big integers; nested lists and empty containers.
AWKWARD = {
    "zz": "마지막",
    "a": 1,
    "bb": [3, 2, 1, {"y": None, "x": True}],
    "한글키": "값 \u3164 \u200b \ufeff e\u0301 😀 \\ \" ' \t \n",
    "big": 2**62,
    "negative": -(2**40),
    "float": 1e20,
    "small float": 1.5e-7,
    "decimal": Decimal("1.10"),
    "empty": {},
    "none": None,
    "nested": {"b": {"d": [], "c": ""}, "a": False},
}


def test_canonical_json_round_trips_through_the_database(competition):
    """Stored and read back (jsonb on PostgreSQL), the entry still hashes to its digest: the
    canonical form is what the database gives back."""
    entry = audit.record(
        "test.awkward",
        "test",
        "키-1",
        competition=competition,
        before=AWKWARD,
        after=[AWKWARD],
        reason="이유 😀",
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.digest == entry.digest == recomputed(stored)
    assert stored.before["float"] == "1e+20" and stored.before["decimal"] == "1.10"  # floats as text
    assert stored.before["big"] == 2**62 and stored.before["한글키"] == AWKWARD["한글키"]
    assert canonical_json(stored.before) == canonical_json(entry.before)
    assert check_chain()[2] == []


def test_an_audit_transaction_appends_at_its_end_and_drops_what_was_rolled_back(competition, user_factory):
    official = user_factory(Role.OFFICIAL, "chain-official")
    before = AuditEntry.objects.count()
    with audit_transaction(), audit_context(official, "묶음"):
        Competition.objects.filter(pk=competition.pk).update(minimum_score=71)
        assert AuditEntry.objects.count() == before  # not yet: appended when the work is done
        try:
            with transaction.atomic():
                Competition.objects.filter(pk=competition.pk).update(reserve=9)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        Competition.objects.filter(pk=competition.pk).update(trim_count=2)
    actions = list(AuditEntry.objects.filter(pk__gt=0).order_by("sequence").values_list("after", flat=True))
    assert actions[-2:] == [{"minimum_score": "71.00"}, {"trim_count": 2}]
    assert AuditEntry.objects.count() == before + 2
    assert Competition.objects.get().reserve == 1
    assert check_chain()[2] == []


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_chain_names_an_entry_changed_behind_the_applications_back(competition):
    entries = [audit.record("test.step", "test", n, reason=f"단계 {n}") for n in range(5)]
    target = entries[2]
    raw(f"UPDATE {TABLE} SET reason = %s WHERE id = %s", ["고친 이유", target.pk])
    _count, _head, problems = check_chain()
    assert [p.message for p in problems] == [
        f"감사 기록 #{target.pk}({target.sequence}번)이 남겨진 뒤 바뀌었습니다. 내용의 SHA-256이 기록된 값과 다릅니다."
    ]
    # Its digest recomputed as well: the next entry no longer follows it.
    stored = AuditEntry.objects.get(pk=target.pk)
    raw(f"UPDATE {TABLE} SET digest = %s WHERE id = %s", [recomputed(stored), target.pk])
    _count, _head, problems = check_chain()
    following = entries[3]
    assert [p.message for p in problems] == [
        f"감사 기록 #{following.pk}({following.sequence}번)이 앞 기록과 이어지지 않습니다. "
        "앞 기록이 남겨진 뒤 바뀌었거나 다른 기록으로 바뀌었습니다."
    ]


def test_the_chain_names_where_entries_were_deleted(competition):
    entries = [audit.record("test.step", "test", n) for n in range(5)]
    raw(f"DELETE FROM {TABLE} WHERE id = %s", [entries[1].pk])
    _count, _head, problems = check_chain()
    after = entries[2]
    gone = entries[1].sequence
    assert [p.message for p in problems] == [
        f"감사 기록 #{after.pk}({after.sequence}번): 그 앞의 {gone}번부터 {gone}번까지 기록이 없습니다. "
        "기록이 삭제되었습니다."
    ]
    assert [p.record_id for p in problems] == [after.pk]


def test_the_composed_digest_of_an_append_is_the_canonical_one():
    """The append serialises before and after once and composes the canonical text around them
    (``_composed_digest``); it must give exactly ``entry_digest``, which every check uses."""
    import datetime
    import random

    from proposals.models.audit import ChainRow, _composed_digest, entry_digest

    rng = random.Random(7)
    texts = ["", "사유", 'a"b\\c', "줄\n바꿈\t탭", "😀 \u3164 \u200b", "e\u0301"]
    values = [None, 0, -5, 2**62, True, "x", ["b", "a"], {"z": 1, "한": [None, {"y": "🙂"}]}, {}]
    for sequence in range(1, 200):
        row = ChainRow(
            action=rng.choice(texts) + ".created",
            object_type=rng.choice(texts),
            object_id=rng.choice([*texts, "17"]),
            actor_id=rng.choice([None, 3, 2**40]),
            competition_id=rng.choice([None, 1]),
            before=rng.choice(values),
            after=rng.choice(values),
            reason=rng.choice(texts),
            created_at=datetime.datetime(2023, 5, 4, 1, 2, 3, rng.randrange(10**6), tzinfo=datetime.UTC),
            sequence=sequence,
            previous_digest=rng.choice([GENESIS, "ab" * 32]),
        )
        composed = _composed_digest(row, canonical_json(row.before), canonical_json(row.after))
        assert composed == entry_digest(row)
