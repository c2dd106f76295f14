"""SQLite's write lock in tests: the test database as a file that a second connection can lock.

pytest-django's SQLite test database lives in memory, where another connection cannot take or
hold the write lock the way a second app server process does. ``file_database`` moves the
default connection to a file copy of it (with the settings' options: WAL, ``IMMEDIATE``) for
the length of a transactional test; ``Blocker`` is that other connection.
"""

import sqlite3
from contextlib import contextmanager

from django.db import connection


@contextmanager
def file_database(folder):
    """The default connection on a file copy of the in-memory test database; yields its path.
    Use in transactional tests only (``django_db(transaction=True)``)."""
    connection.ensure_connection()
    path = folder / "locking.sqlite3"
    copy = sqlite3.connect(path)
    connection.connection.backup(copy)
    copy.close()
    memory_name, memory_connection = connection.settings_dict["NAME"], connection.connection
    connection.connection = None  # closing the in-memory database would destroy it: set aside
    connection.settings_dict["NAME"] = str(path)
    try:
        connection.ensure_connection()
        yield path
    finally:
        connection.close()
        connection.settings_dict["NAME"] = memory_name
        connection.connection = memory_connection


class Blocker:
    """Another connection to the SQLite file: ``hold()`` takes the write lock (BEGIN IMMEDIATE)
    until ``release()``; ``can_write()`` tells whether the lock can be taken right now."""

    def __init__(self, path):
        self.path = path
        self.holder = None

    def hold(self):
        self.holder = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        self.holder.execute("BEGIN IMMEDIATE")

    def release(self):
        if self.holder is not None:
            self.holder.execute("ROLLBACK")
            self.holder.close()
            self.holder = None

    def can_write(self) -> bool:
        probe = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError as error:
            assert "locked" in str(error), error
            return False
        finally:
            probe.close()
