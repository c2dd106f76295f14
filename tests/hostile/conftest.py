"""The evaluation fixtures (the competition with its stages) for the hostile-file tests."""

from tests.evaluation.conftest import staged  # noqa: F401
