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


def _database_order(item) -> int:
    """Django's order: tests in a rolled-back transaction, then transactional ones, then the rest."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    transactional = "transactional_db" in fixtures or "live_server" in fixtures
    if marker is not None:
        transactional = transactional or bool(
            marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")
        )
    if transactional:
        return 1
    return 0 if marker is not None or "db" in fixtures else 2


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Keep Django's test order after every other plugin has reordered.

    A transactional test ends by flushing the database, which also empties the role groups the
    migrations made. pytest-django sorts transactional tests last, but pytest then regroups the
    tests that share pytest-playwright's session-scoped ``browser_name`` parameter, which moved
    ordinary tests behind the browser tests and left them without groups (CI, 9 failures)."""
    items.sort(key=_database_order)


@pytest.fixture(autouse=True)
def _role_groups_after_a_flush(request):
    """A transactional test starts after another one flushed the database: put back the role
    groups the migrations make, with the permissions ``accounts.roles`` says they hold."""
    if _database_order(request.node) != 1:
        return
    request.getfixturevalue("transactional_db")
    from django.contrib.auth.models import Permission

    from accounts.roles import ROLE_PERMISSIONS

    for role, permissions in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in (dotted.split(".") for dotted in permissions)
        ]
        group.permissions.set(wanted)


@pytest.fixture
def competition(db):
    """Categories and tracks only: the file's ``[[stages]]`` are left out (tests build their own
    stage, e.g. ``stage``; ``load_competition`` / evaluation's loader creates them)."""
    return load_competition_file(
        FIXTURES / "competition.toml", extra_keys={"stages": lambda _top, _spec: None}
    ).competition


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
            # The migrations create the groups (with permissions); get_or_create only for a
            # transactional test that runs after another's flush removed them.
            user.groups.add(Group.objects.get_or_create(name=role.value)[0])
        return user

    return make


# --- Evaluation: a stage with its rubric, reviewers, proposals, assignments and sheets --------


@pytest.fixture
def stage(competition):
    """A written stage of its own (its code does not clash with stages of the competition file)."""
    from evaluation.models import Stage

    return Stage.objects.create(competition=competition, code="test-written", name="서면평가", order=90)


@pytest.fixture
def make_criteria(stage):
    """``make_criteria(n)``: a rubric for every track with criteria C1…Cn (20 points, step 0.5)."""
    from decimal import Decimal

    from evaluation.models import Criterion, Rubric

    def make(count=3, max_points=Decimal(20), step=Decimal("0.5"), tracks=()):
        rubric = Rubric.objects.create(stage=stage)
        rubric.tracks.set(tracks)
        return [
            Criterion.objects.create(
                rubric=rubric,
                code=f"C{number}",
                name=f"평가항목 {number}",
                description=f"평가항목 {number}의 설명",
                max_points=max_points,
                step=step,
                order=number,
            )
            for number in range(1, count + 1)
        ]

    return make


@pytest.fixture
def make_reviewer(user_factory):
    """``make_reviewer("kim")``: a login in the reviewer group and its Reviewer record."""
    from evaluation.models import Reviewer

    def make(username, affiliation="국토연구원"):
        user = user_factory(Role.REVIEWER, username)
        return Reviewer.objects.create(
            user=user, name=f"위원 {username}", affiliation=affiliation, email=f"{username}@example.kr"
        )

    return make


@pytest.fixture
def make_proposal(competition):
    """``make_proposal()``: a submitted proposal of a new applicant in the given track."""
    from proposals.models import Track

    counter = iter(range(1, 100000))

    def make(track="hub", applicant=None, **fields):
        number = next(counter)
        values = {
            "title": f"스마트시티 사업 {number}",
            "summary": f"주요내용 {number}",
            "solutions": ["자율주행 셔틀", "스마트 안전"],
            "partners": ["한국교통연구원"],
            "national_subsidy": 200,
            "local_matching": 200,
            "reference": f"R-{number:04d}",
            "contact_phone": "010-1234-5678",
            "contact_email": f"contact{number}@city.go.kr",
        }
        values.update(fields)
        return Proposal.objects.create(
            competition=competition,
            track=Track.objects.get(category__competition=competition, code=track),
            applicant=Applicant.objects.create(province="시험", name=applicant or f"시험시 {number:03d}"),
            **values,
        )

    return make


@pytest.fixture
def make_assignment(stage):
    """``make_assignment(proposal, reviewer)``; ``confirmed=True`` records "no conflict"."""
    from django.utils import timezone

    from evaluation.models import Assignment

    def make(proposal, reviewer, confirmed=False):
        return Assignment.objects.create(
            stage=stage,
            proposal=proposal,
            reviewer=reviewer,
            no_conflict_confirmed_at=timezone.now() if confirmed else None,
        )

    return make


@pytest.fixture
def pledged(competition):
    """``pledged(reviewer)``: the reviewer has accepted the competition's security pledge."""
    from evaluation.models import SecurityPledge

    def accept(reviewer):
        return SecurityPledge.objects.get_or_create(reviewer=reviewer, competition=competition)[0]

    return accept


@pytest.fixture
def submit_sheet():
    """``submit_sheet(assignment, [40, 45])`` submits through evaluation.sheets.submit, one point per
    criterion of the assignment's rubric (``None`` leaves one empty); ``draft_only=True`` saves a draft."""
    from decimal import Decimal

    from evaluation.models import Scoresheet
    from evaluation.sheets import SheetInput, criteria_for, save_draft, submit

    def run(assignment, points, draft_only=False):
        criteria = criteria_for(assignment.stage, assignment.proposal.track)
        points = [None if p is None else Decimal(str(p)) for p in points]
        data = SheetInput(points={c.pk: p for c, p in zip(criteria, points, strict=True)})
        sheet = Scoresheet.objects.filter(assignment=assignment).first()
        version = sheet.version if sheet else 1
        action = save_draft if draft_only else submit
        return action(assignment, version, data, assignment.reviewer.user)

    return run


def record_submissions(sheets):
    """Record what ``evaluation.sheets.submit`` records for a submission — a "scoresheet.submitted"
    entry with the sheet's content digest — for submitted sheets a test built in bulk with the
    ORM (thousands of them: the service would take minutes). Without it ``publish`` refuses
    them as submitted around the application (``evaluation.integrity``)."""
    from evaluation.integrity import sheet_digest
    from evaluation.models import Scoresheet
    from proposals.models.audit import append

    found = Scoresheet.objects.filter(pk__in=[sheet.pk for sheet in sheets]).select_related(
        "assignment__stage"
    )
    append(
        [
            Scoresheet.audit_entry(
                "submitted", sheet.pk, None, {"status": sheet.status, "digest": sheet_digest(sheet)}, sheet
            )
            for sheet in found
        ]
    )
