"""Fixtures of the evaluation tests."""

from io import StringIO

import pytest
from django.core.management import call_command

from evaluation.domain.competition_file import load_competition_file
from tests.conftest import APPLICANTS_XLSX, FIXTURES


@pytest.fixture
def staged(db):
    """The 2023 competition with its two stages (from competition.toml) and its 24 applicants."""
    competition = load_competition_file(FIXTURES / "competition.toml").competition
    call_command("import_proposals", str(APPLICANTS_XLSX), competition=competition.slug, stdout=StringIO())
    return competition
