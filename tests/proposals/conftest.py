"""Fixtures of the proposals tests: the evaluation fixtures (the 2023 competition with its stages,
for importers, the audit of every model and the admin), and the test database as a SQLite file
that another connection can lock."""

import pytest
from django.db import connection

from tests.evaluation.conftest import staged  # noqa: F401

from .sqlite_locking import file_database


@pytest.fixture
def sqlite_file_db(transactional_db, tmp_path):
    """The test database as a SQLite file for the test (``sqlite_locking.file_database``)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write lock: this test needs the SQLite database")
    with file_database(tmp_path) as path:
        yield path
