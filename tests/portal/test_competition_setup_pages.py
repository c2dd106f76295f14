"""Setting up a competition in the browser: the competition file (upload → preview of the changes
→ confirm → summary) with the messages of ``load_competition``, and deleting a trial run."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _

from accounts.roles import Role
from evaluation.competition_deletion import deletion_counts
from evaluation.models import Criterion, Publication, Reviewer, Score, Scoresheet, Stage
from evaluation.publication import publish
from proposals.models import AuditEntry, Category, Competition, ImportUpload, Proposal, Track
from tests.conftest import APPLICANTS_XLSX, FIXTURES

pytestmark = pytest.mark.django_db

COMPETITION_TOML = FIXTURES / "competition.toml"


def state():
    """Everything loading or deleting a competition may write."""
    return (
        list(Competition.objects.order_by("pk").values_list()),
        list(Category.objects.order_by("pk").values_list()),
        list(Track.objects.order_by("pk").values_list()),
        list(Stage.objects.order_by("pk").values_list()),
        list(Criterion.objects.order_by("pk").values_list()),
        list(Proposal.objects.order_by("pk").values_list()),
        list(ImportUpload.objects.order_by("pk").values_list("pk", "state")),
        AuditEntry.objects.count(),
    )


def upload(client, path_or_bytes, name="competition.toml"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = path_or_bytes.read_bytes() if hasattr(path_or_bytes, "read_bytes") else path_or_bytes
    return client.post(reverse("manage:competition-load"), {"file": SimpleUploadedFile(name, content)})


def command_messages(path) -> list[str]:
    with pytest.raises(CommandError) as raised:
        call_command("load_competition", str(path), stdout=StringIO())
    return str(raised.value).splitlines()


def fixture_text(**replace) -> str:
    text = COMPETITION_TOML.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old.replace("_", " ") in text or old in text
        text = text.replace(old, new)
    return text


# --- The competition file --------------------------------------------------------------------


def test_new_competition_preview_writes_nothing_then_confirm_creates_it(admin_client):
    before = state()
    response = upload(admin_client, COMPETITION_TOML)
    stored = ImportUpload.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("manage:competition-load-preview", args=[stored.pk])
    # Only the upload awaiting confirmation is kept: no competition, no audit record.
    assert Competition.objects.count() == 0
    assert AuditEntry.objects.count() == before[-1]

    page = admin_client.get(response.url).content.decode()
    assert "공모 smartcity-2023 생성" in page
    assert "트랙 depopulation 생성" in page
    assert stored.sha256 in page
    assert reverse("manage:competition-load-confirm", args=[stored.pk]) in page

    confirmed = admin_client.post(
        reverse("manage:competition-load-confirm", args=[stored.pk]), {"sha256": stored.sha256}
    )
    assert confirmed.url == reverse("manage:competition-load-result", args=[stored.pk])
    competition = Competition.objects.get(slug="smartcity-2023")
    assert list(Stage.objects.filter(competition=competition).values_list("code", flat=True)) == [
        "document",
        "presentation",
    ]
    assert Track.objects.filter(category__competition=competition).count() == 3
    loaded = AuditEntry.objects.get(action="competition.loaded")
    assert loaded.after["file"] == "competition.toml"
    assert loaded.actor.username == "admin"
    result = admin_client.get(confirmed.url).content.decode()
    assert "smartcity-2023" in result and "트랙 hub 생성" in result


def test_the_preview_lists_the_same_changes_the_command_makes(admin_client, tmp_path):
    call_command("load_competition", str(COMPETITION_TOML), stdout=StringIO())
    changed = tmp_path / "competition.toml"
    changed.write_text(fixture_text(**{"minimum_score = 60": "minimum_score = 65"}), encoding="utf-8")
    before = state()
    response = upload(admin_client, changed)
    page = admin_client.get(response.url).content.decode()
    assert "smartcity-2023.minimum_score: 60.00 → 65" in page
    assert state()[:-2] == before[:-2]  # the preview was rolled back
    assert AuditEntry.objects.count() == before[-1]
    assert Competition.objects.get().minimum_score == 60

    stored = ImportUpload.objects.get()
    admin_client.post(reverse("manage:competition-load-confirm", args=[stored.pk]), {"sha256": stored.sha256})
    assert Competition.objects.get().minimum_score == 65
    # The command now finds nothing to change: the web applied what the command would.
    out = StringIO()
    call_command("load_competition", str(changed), stdout=out)
    assert out.getvalue() == "공모 smartcity-2023: 이미 최신입니다. 바뀐 것이 없습니다.\n"


def test_a_file_already_loaded_offers_nothing_to_confirm(admin_client):
    call_command("load_competition", str(COMPETITION_TOML), stdout=StringIO())
    response = upload(admin_client, COMPETITION_TOML)
    stored = ImportUpload.objects.get()
    page = admin_client.get(response.url).content.decode()
    assert reverse("manage:competition-load-confirm", args=[stored.pk]) not in page
    assert (
        escape(
            _("Competition %(slug)s is already up to date; nothing would change.")
            % {"slug": "smartcity-2023"}
        )
        in page
    )


@pytest.mark.parametrize(
    "replace, message",
    [
        (
            {"slots = 2\nsubsidy = 200": "slots = 0\nsubsidy = 200"},
            "categories[0].tracks[0].slots: 1 이상이어야 합니다(값: 0)",
        ),
        ({"trim_count = 1": 'trim_count = 1\ncolour = "blue"'}, "colour: 알 수 없는 항목입니다"),
        ({"max = 30": "max = -30"}, None),  # the criterion's max: the stages' reader
    ],
)
def test_a_bad_file_shows_the_commands_messages_and_writes_nothing(admin_client, tmp_path, replace, message):
    bad = tmp_path / "competition.toml"
    bad.write_text(fixture_text(**replace), encoding="utf-8")
    expected = command_messages(bad)
    if message is not None:
        assert message in expected
    before = state()
    response = upload(admin_client, bad)
    assert response.status_code == 400
    page = response.content.decode()
    for line in expected:
        assert escape(line) in page
    assert 'aria-invalid="true"' in page
    assert state() == before


def test_not_toml_and_not_utf8_get_one_message_and_write_nothing(admin_client):
    before = state()
    response = upload(admin_client, b"slug = ")
    assert response.status_code == 400
    assert "TOML 형식이 아닙니다" in response.content.decode()
    response = upload(admin_client, "slug = '공모'".encode("cp949"))
    assert response.status_code == 400
    assert (
        escape(_("The file is not UTF-8 text; save the competition file as UTF-8."))
        in response.content.decode()
    )
    assert state() == before


def test_no_file_is_asked_for_again(admin_client):
    response = admin_client.post(reverse("manage:competition-load"), {})
    assert response.status_code == 400
    assert escape(_("Choose a file to upload.")) in response.content.decode()
    assert ImportUpload.objects.count() == 0


def test_confirm_twice_loads_once_and_a_swapped_file_is_refused(admin_client, tmp_path):
    upload(admin_client, COMPETITION_TOML)
    stored = ImportUpload.objects.get()
    url = reverse("manage:competition-load-confirm", args=[stored.pk])
    admin_client.post(url, {"sha256": stored.sha256})
    before = state()
    response = admin_client.post(url, {"sha256": stored.sha256}, follow=True)
    assert "이미 가져온 파일입니다." in response.content.decode()
    assert state() == before

    changed = tmp_path / "competition.toml"
    changed.write_text(fixture_text(**{"minimum_score = 60": "minimum_score = 70"}), encoding="utf-8")
    upload(admin_client, changed)
    second = ImportUpload.objects.exclude(pk=stored.pk).get()
    before = state()
    response = admin_client.post(
        reverse("manage:competition-load-confirm", args=[second.pk]), {"sha256": stored.sha256}, follow=True
    )
    assert "미리 본 파일이 아닙니다" in response.content.decode()
    assert state() == before
    assert Competition.objects.get().minimum_score == 60


def test_a_file_that_no_longer_loads_at_confirmation_writes_nothing(admin_client, tmp_path):
    """The stage the file removes got a panel between the preview and the confirmation: the
    confirmation shows the loader's message and writes nothing."""
    from evaluation.models import Panel

    call_command("load_competition", str(COMPETITION_TOML), stdout=StringIO())
    text = COMPETITION_TOML.read_text(encoding="utf-8")
    only_document = text[: text.index('[[stages]]\ncode = "presentation"')].replace(
        "advance_top_multiple = 3\n", ""
    )
    smaller = tmp_path / "competition.toml"
    smaller.write_text(only_document, encoding="utf-8")
    upload(admin_client, smaller)
    stored = ImportUpload.objects.get()
    preview = admin_client.get(reverse("manage:competition-load-preview", args=[stored.pk])).content.decode()
    assert _("stage %(code)s removed") % {"code": "presentation"} in preview
    Panel.objects.create(stage=Stage.objects.get(code="presentation"), name="발표평가 위원회")
    before = state()
    response = admin_client.post(
        reverse("manage:competition-load-confirm", args=[stored.pk]), {"sha256": stored.sha256}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("manage:competition-load-preview", args=[stored.pk])
    message = _(
        "stages: stage %(code)r is not in the file but has panels or assignments; it cannot be removed"
    ) % {"code": "presentation"}
    assert escape(message) in response.content.decode()
    assert command_messages(smaller) == [message]
    assert state()[:-2] == before[:-2]
    assert AuditEntry.objects.count() == before[-1]


def test_only_admins_load_competition_files(client, user_factory):
    client.force_login(user_factory(Role.OFFICIAL))
    response = client.post(reverse("manage:competition-load"), {})
    assert response.status_code == 403


# --- Deleting a trial run --------------------------------------------------------------------


@pytest.fixture
def trial_run(admin_user, make_reviewer, submit_sheet):
    """The 2023 competition with its stages, 24 applicants and a submitted sheet."""
    from django.utils import timezone

    from evaluation.models import Assignment, SecurityPledge

    call_command("load_competition", str(COMPETITION_TOML), stdout=StringIO())
    competition = Competition.objects.get()
    call_command("import_proposals", str(APPLICANTS_XLSX), competition=competition.slug, stdout=StringIO())
    reviewer = make_reviewer("kim")
    SecurityPledge.objects.create(reviewer=reviewer, competition=competition)
    assignment = Assignment.objects.create(
        stage=Stage.objects.get(code="document"),
        proposal=Proposal.objects.get(reference="2023-H-04"),
        reviewer=reviewer,
        no_conflict_confirmed_at=timezone.now(),
    )
    submit_sheet(assignment, [25, 15, 12, 16, 12])
    return competition


def test_the_confirmation_names_what_will_be_deleted(admin_client, trial_run):
    page = admin_client.get(reverse("manage:competition-delete", args=[trial_run.slug])).content.decode()
    assert trial_run.name in page
    counts = dict(deletion_counts(trial_run))
    assert counts[str(_("Proposals"))] == 24
    assert counts[str(_("Tracks"))] == 3
    assert counts[str(_("Criteria"))] == 10
    assert counts[str(_("Scoresheets"))] == 1
    assert '<td class="num">24</td>' in page


def test_delete_with_the_slug_typed_deletes_it_audited(admin_client, trial_run):
    proposals = set(Proposal.objects.values_list("pk", flat=True))
    response = admin_client.post(
        reverse("manage:competition-delete", args=[trial_run.slug]),
        {"slug": "smartcity-2023", "reason": "시험 운영 정리"},
    )
    assert response.status_code == 302 and response.url == reverse("manage:index")
    assert Competition.objects.count() == 0
    assert Proposal.objects.count() == 0 and Stage.objects.count() == 0 and Track.objects.count() == 0
    assert Scoresheet.objects.count() == 0 and Score.objects.count() == 0
    assert Reviewer.objects.count() == 1  # shared by competitions: kept
    deleted = AuditEntry.objects.filter(action="proposal.deleted")
    assert {entry.object_id for entry in deleted} == {str(pk) for pk in proposals}
    entry = AuditEntry.objects.get(action="competition.deleted")
    assert entry.reason == "시험 운영 정리"
    assert entry.actor.username == "admin"
    assert {e.actor_id for e in AuditEntry.objects.filter(action__endswith=".deleted")} == {entry.actor_id}
    page = admin_client.get(response.url).content.decode()
    assert (
        escape(
            _("The competition %(name)s (%(slug)s) was deleted.")
            % {"name": trial_run.name, "slug": trial_run.slug}
        )
        in page
    )


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            {"slug": "smartcity-2024", "reason": "정리"},
            "slug",
            "Type the competition's code '%(slug)s' exactly to confirm. Nothing was deleted.",
        ),
        ({"slug": "", "reason": "정리"}, "slug", "Type the competition's code to confirm."),
        (
            {"slug": "smartcity-2023", "reason": " "},
            "reason",
            "Give the reason for deleting the competition.",
        ),
    ],
)
def test_bad_confirmation_keeps_everything_and_the_input(admin_client, trial_run, data, field, message):
    before = state()
    response = admin_client.post(reverse("manage:competition-delete", args=[trial_run.slug]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert escape(_(message) % {"slug": "smartcity-2023"} if "%(slug)s" in message else _(message)) in page
    assert f'id="id_{field}_error"' in page
    if data["reason"].strip():
        assert data["reason"] in page  # the input is shown again
    assert state() == before


def test_a_published_competition_cannot_be_deleted_through_the_page(admin_client, trial_run, user_factory):
    publish(trial_run, user_factory(Role.OFFICIAL, "official-pub"), override_reason="시험 공개")
    assert Publication.objects.filter(competition=trial_run).exists()
    page = admin_client.get(reverse("manage:competition-delete", args=[trial_run.slug])).content.decode()
    expected = escape(
        _(
            "The result of %(name)s has been published; a published competition cannot be deleted. "
            "Publish a correction instead."
        )
        % {"name": trial_run.name}
    )
    assert expected in page
    assert 'name="slug"' not in page  # no form to submit
    before = state()
    response = admin_client.post(
        reverse("manage:competition-delete", args=[trial_run.slug]),
        {"slug": "smartcity-2023", "reason": "정리"},
    )
    assert response.status_code == 409
    assert expected in response.content.decode()
    assert state() == before
    index = admin_client.get(reverse("manage:index")).content.decode()
    assert reverse("manage:competition-delete", args=[trial_run.slug]) not in index
