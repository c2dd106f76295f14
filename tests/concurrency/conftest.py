"""Concurrency tests: real threads, each with its own database connection, on PostgreSQL.

SQLite cannot show these races (one writer at a time for the whole database, and the test
database lives in memory), so the tests skip there — unless ``REQUIRE_POSTGRES_TESTS=1``, when a
run without PostgreSQL fails instead (CI's PostgreSQL leg sets it, so they never skip silently).

The tools below make a race deterministic instead of hoping for an interleaving:

- ``Worker``: a thread that starts at a shared ``threading.Barrier``, keeps its result or
  exception and closes its connection at the end;
- ``gate(owner, name)``: the *first* call of ``owner.name`` (in whichever thread) stops before
  running until ``release()``; later calls pass and are counted as having overtaken it. A test
  stops the first thread right after the reads that decide what it will write, then lets the
  other run: with a working lock the other waits on the database, without it the other overtakes;
- ``waiting_for_lock(...)``: polls ``pg_stat_activity`` until another connection waits for a lock
  (or the given threads have finished), so no test sleeps for a guessed time.
"""

import os
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections

TIMEOUT = 10  # seconds: no step of these tests should come near it


HERE = Path(__file__).parent
REASON = (
    "concurrency tests need PostgreSQL (row locks and separate connections); "
    "the database is {vendor}. Run with DATABASE_URL=postgres://…"
)


def _required() -> bool:
    return os.environ.get("REQUIRE_POSTGRES_TESTS") == "1"


def pytest_collection_modifyitems(config, items):
    """Skip at collection (before any test database is built) when not on PostgreSQL."""
    if connection.vendor == "postgresql" or _required():
        return
    skip = pytest.mark.skip(reason=REASON.format(vendor=connection.vendor))
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _postgresql_only():
    """With ``REQUIRE_POSTGRES_TESTS=1`` a run on another database fails instead of skipping."""
    if connection.vendor != "postgresql":
        pytest.fail("REQUIRE_POSTGRES_TESTS=1 but " + REASON.format(vendor=connection.vendor), pytrace=False)


class Worker(threading.Thread):
    """Runs ``target()`` in its own thread and connection; ``result`` or ``error`` afterwards."""

    def __init__(self, name, target, barrier: threading.Barrier | None = None):
        super().__init__(name=name, daemon=True)
        self.target_function = target
        self.barrier = barrier
        self.result = None
        self.error: BaseException | None = None

    def run(self):
        try:
            if self.barrier is not None:
                self.barrier.wait(timeout=TIMEOUT)
            self.result = self.target_function()
        except BaseException as error:
            self.error = error
        finally:
            connections.close_all()

    def outcome(self):
        """The result, or re-raise the thread's exception in the test."""
        self.join(TIMEOUT)
        assert not self.is_alive(), f"{self.name} did not finish"
        if self.error is not None:
            raise self.error
        return self.result


class Gate:
    """Stops the first call of a patched function until released (see the module docstring)."""

    def __init__(self, original):
        self.original = original
        self.entered = threading.Event()
        self.released = threading.Event()
        self.first_thread = None
        self.overtaken = 0  # later calls that ran while the first was stopped
        self._lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self._lock:
            first = self.first_thread is None
            if first:
                self.first_thread = threading.current_thread().name
            elif not self.released.is_set():
                self.overtaken += 1
        if first:
            self.entered.set()
            if not self.released.wait(TIMEOUT):
                raise RuntimeError("gate never released")
        return self.original(*args, **kwargs)

    def wait_entered(self):
        assert self.entered.wait(TIMEOUT), "no thread reached the gate"

    def release(self):
        self.released.set()


@pytest.fixture
def gate(monkeypatch):
    """``gate(owner, "name")`` patches ``owner.name`` with a ``Gate``; all are released at the end."""
    gates = []

    def make(owner, name):
        original = getattr(owner, name)
        if isinstance(owner, type):  # a method: keep it a plain function on the class
            original = owner.__dict__[name]
        patched = Gate(original)
        if isinstance(owner, type):

            def method(*args, **kwargs):
                return patched(*args, **kwargs)

            monkeypatch.setattr(owner, name, method)
        else:
            monkeypatch.setattr(owner, name, patched)
        gates.append(patched)
        return patched

    yield make
    for patched in gates:
        patched.release()


@pytest.fixture
def workers():
    """``workers(("a", f), ("b", g))`` starts one thread each, released together by a Barrier.
    Every started thread is joined at the end, whatever the test did."""
    started = []

    def start(*named_targets, together=True):
        barrier = threading.Barrier(len(named_targets)) if together and len(named_targets) > 1 else None
        threads = [Worker(name, target, barrier) for name, target in named_targets]
        for thread in threads:
            thread.start()
        started.extend(threads)
        return threads

    yield start
    for thread in started:
        thread.join(TIMEOUT)


def waiting_for_lock(*threads, timeout=5.0) -> bool:
    """True as soon as another connection of this database waits for a lock; False when all
    ``threads`` have finished first (or after ``timeout``)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
            if threads and not any(thread.is_alive() for thread in threads):
                return False
            time.sleep(0.01)
    return False
