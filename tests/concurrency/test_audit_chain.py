"""The audit chain on PostgreSQL (``proposals.models.audit``): one writer at a time through
``pg_advisory_xact_lock``, taken last.

- many transactions appending at once make one linear chain (no fork, no duplicate position);
- the lock order holds: a transaction that inserted a row referring to a competition (a
  pledge) and then holds the chain's lock never meets ``publish`` — which holds that
  competition's row FOR UPDATE and waits for the chain — in a deadlock: the append runs the
  deferred foreign-key checks before it takes the chain's lock (without that, PostgreSQL detects
  a deadlock at the pledge's commit and cancels one of the two);
- the application runs as a role that may not UPDATE or DELETE audit and publication rows
  (README, "운영 배포"): reviewers save and submit, officials publish, and the database refuses
  any change of a stored entry or publication.
"""

import threading
from decimal import Decimal

import pytest
from django.db import ProgrammingError, connection, transaction

from accounts.roles import Role
from evaluation.adjustments import record_adjustment
from evaluation.integrity import check_integrity
from evaluation.models import Publication, SecurityPledge
from evaluation.publication import publish
from proposals.models import AuditEntry, Competition, audit_context
from proposals.models import audit as chain

from .conftest import waiting_for_lock


@pytest.fixture
def scored(competition, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet):
    """Two hub proposals, two reviewers, every sheet submitted: ready to publish."""
    make_criteria(2)
    reviewers = [make_reviewer(name) for name in ("kim", "lee")]
    for points in ([18, 18], [12, 12]):
        proposal = make_proposal()
        for reviewer in reviewers:
            submit_sheet(make_assignment(proposal, reviewer, confirmed=True), points)
    return reviewers


@pytest.mark.django_db(transaction=True)
def test_appends_from_many_transactions_make_one_chain(competition, workers):
    start = AuditEntry.objects.count()
    count, per_thread = 8, 6
    barrier = threading.Barrier(count)

    def changes(number):
        def run():
            barrier.wait(10)
            for step in range(per_thread):
                with audit_context(None, f"스레드 {number}-{step}"):
                    Competition.objects.filter(pk=competition.pk).update(reserve=number * 10 + step)
            return number

        return run

    threads = workers(*((f"t{n}", changes(n)) for n in range(count)), together=False)
    assert sorted(thread.outcome() for thread in threads) == list(range(count))
    assert AuditEntry.objects.count() == start + count * per_thread
    sequences = list(AuditEntry.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1))
    assert check_integrity().ok


@pytest.mark.django_db(transaction=True)
def test_a_transaction_holding_the_chain_never_deadlocks_with_publish(
    scored, competition, user_factory, gate, workers
):
    """kim accepts the pledge (a row referring to the competition) and is stopped holding the
    chain's lock; publish locks the competition and queues. Both finish."""
    kim = scored[0]
    official = user_factory(Role.OFFICIAL, "official-chain")
    stop = gate(chain, "chain_head")  # called right after the chain's lock is taken

    def pledge():
        with audit_context(kim.user, "보안서약"):
            return SecurityPledge.objects.create(reviewer=kim, competition=competition)

    (pledging,) = workers(("pledge", pledge))
    stop.wait_entered()
    (publishing,) = workers(("publish", lambda: publish(competition, official)))
    waited = waiting_for_lock(publishing)
    stop.release()

    assert waited, "publish did not wait"
    assert pledging.outcome().pk and publishing.outcome().pk  # neither was cancelled as a deadlock
    assert check_integrity().ok


@pytest.mark.django_db
def test_the_application_runs_without_update_or_delete_on_audit_and_publication_rows(
    competition, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet, user_factory
):
    official = user_factory(Role.OFFICIAL, "official-restricted")
    make_criteria(2, max_points=Decimal(20))
    reviewers = [make_reviewer(name) for name in ("kim", "lee")]
    assignments = [
        make_assignment(make_proposal(), reviewer, confirmed=True) for reviewer in reviewers for _ in (1, 2)
    ]
    run_as_restricted_role()
    for number, assignment in enumerate(assignments):
        submit_sheet(assignment, [10 + number, 10], draft_only=True)  # a save
        submit_sheet(assignment, [10 + number, 11])
    first = publish(competition, official)
    record_adjustment(assignments[0].proposal, Decimal("2"), "지역 균형", official)
    correction = publish(competition, official, correction_reason="가점 반영")
    assert correction.supersedes_id == first.pk and check_integrity().ok
    for statement in (
        "UPDATE proposals_auditentry SET reason = 'x'",
        "DELETE FROM proposals_auditentry",
        "UPDATE evaluation_publication SET digest = 'x'",
        "DELETE FROM evaluation_publication",
    ):
        with (
            pytest.raises(ProgrammingError, match="permission denied"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert Publication.objects.count() == 2


def run_as_restricted_role():
    """This connection, until the test's transaction is rolled back, as a role without UPDATE
    and DELETE on the audit trail and the publications: the README's deployment."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE gongmo_app_restricted NOLOGIN")
        cursor.execute("GRANT USAGE ON SCHEMA public TO gongmo_app_restricted")
        cursor.execute(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO gongmo_app_restricted"
        )
        cursor.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO gongmo_app_restricted")
        cursor.execute(
            "REVOKE UPDATE, DELETE, TRUNCATE ON proposals_auditentry, evaluation_publication "
            "FROM gongmo_app_restricted"
        )
        cursor.execute("SET ROLE gongmo_app_restricted")
