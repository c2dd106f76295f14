"""The evaluation fixtures (the competition with its stages) for tests of every importer."""

from tests.evaluation.conftest import staged  # noqa: F401
