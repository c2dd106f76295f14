"""Shared fixtures: the 2023 competition, users of each role, and real .xlsx files on disk."""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from openpyxl import Workbook

from accounts.roles import Role
from proposals.domain.competition_file import load_competition_file
from proposals.models import Applicant, AuditEntry, Proposal

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "smartcity-2023"
APPLICANTS_XLSX = FIXTURES / "applicants.xlsx"
HEADER = ["트랙", "광역", "지자체", "사업명", "국비", "지방비", "접수번호"]


@pytest.fixture
def competition(db):
    return load_competition_file(FIXTURES / "competition.toml").competition


@pytest.fixture
def make_xlsx(tmp_path):
    """Write rows to a real .xlsx file and return its path. ``header=None`` writes rows only."""
    counter = iter(range(1000))

    def write(rows, header=HEADER, name=None, title="지원자"):
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = title
        if header is not None:
            sheet.append(header)
        for row in rows:
            sheet.append(row)
        path = tmp_path / (name or f"file{next(counter)}.xlsx")
        workbook.save(path)
        return path

    return write


def valid_row(reference="T-01", track="hub", applicant="울산광역시", **overrides):
    row = {
        "트랙": track,
        "광역": "울산",
        "지자체": applicant,
        "사업명": "사업",
        "국비": 200,
        "지방비": 200,
        "접수번호": reference,
    }
    row.update(overrides)
    return [row[column] for column in HEADER]


def database_state():
    """Everything an import may write, to assert that nothing was."""
    return (
        list(Proposal.objects.order_by("pk").values_list()),
        list(Applicant.objects.order_by("pk").values_list()),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def user_factory(db, django_user_model):
    def make(role: Role | None, username=None):
        user = django_user_model.objects.create_user(
            username or f"user-{role or 'none'}", password="pw-test-1234"
        )
        if role:
            user.groups.add(Group.objects.get(name=role.value))
        return user

    return make
