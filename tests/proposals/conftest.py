"""Fixtures of the proposals tests: the 2023 competition with its stages (the evaluation tests'
``staged``), for the audit of every model and the admin."""

from tests.evaluation.conftest import staged  # noqa: F401 (a fixture)
