"""A competition's settings in forms: each form changes one entry of the competition file, which
the loader checks (its messages at the inputs they name) and previews before anything is written."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _

from evaluation.domain.competition_export import competition_document, to_toml
from evaluation.models import AdjustmentItem, Criterion, Stage
from proposals.models import AuditEntry, Competition, ImportUpload, Track
from tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db

SLUG = "smartcity-2023"


@pytest.fixture
def loaded(db):
    call_command("load_competition", str(FIXTURES / "competition.toml"), stdout=StringIO())
    return Competition.objects.get(slug=SLUG)


def state():
    return (
        competition_document(Competition.objects.get(slug=SLUG)),
        ImportUpload.objects.count(),
        AuditEntry.objects.count(),
    )


def track_form(**changes):
    values = {"name": "거점형", "slots": "2", "subsidy": "200", "matching_ratio": "1"}
    values.update(changes)
    return values


def test_the_settings_page_lists_tracks_stages_and_criteria(admin_client, loaded):
    page = admin_client.get(reverse("manage:settings", args=[SLUG])).content.decode()
    assert reverse("manage:settings-track", args=[SLUG, "depopulation"]) in page
    assert reverse("manage:settings-stage", args=[SLUG, "presentation"]) in page
    assert reverse("manage:settings-criterion", args=[SLUG, "document", 4]) in page
    assert "사업내용의 적정성" in page


def test_the_settings_page_shows_points_plainly_and_the_adjustment_items(admin_client, loaded):
    page = admin_client.get(reverse("manage:settings", args=[SLUG])).content.decode()
    assert "</a> — 30점" in page and ".00점" not in page
    assert escape(_("No item: officials record free entries only.")) in page
    AdjustmentItem.objects.create(competition=loaded, code="investment", name="투자심사 완료", max_points=1)
    AdjustmentItem.objects.create(competition=loaded, code="sanction", name="부진 감점", max_points="-1.5")
    page = admin_client.get(reverse("manage:settings", args=[SLUG])).content.decode()
    assert "<code>investment</code> 투자심사 완료</a> — 0~1점 가점" in page
    assert "<code>sanction</code> 부진 감점</a> — -1.5~0점 감점" in page
    assert reverse("manage:settings-adjustment-item", args=[SLUG, "sanction"]) in page


def test_the_competition_file_as_it_stands_downloads(admin_client, loaded):
    response = admin_client.get(reverse("manage:competition-file", args=[SLUG]))
    assert response["Content-Disposition"] == f'attachment; filename="{SLUG}.toml"'
    assert response.content.decode() == to_toml(competition_document(loaded))


def test_a_track_form_previews_the_change_then_confirming_writes_it(admin_client, loaded):
    url = reverse("manage:settings-track", args=[SLUG, "hub"])
    page = admin_client.get(url).content.decode()
    assert 'value="200"' in page and 'id="id_slots_helptext"' in page
    before = state()
    response = admin_client.post(url, track_form(slots="3"))
    stored = ImportUpload.objects.get()
    assert response.url == reverse("manage:competition-load-preview", args=[stored.pk])
    assert Track.objects.get(code="hub").slots == 2  # nothing written before the confirmation
    assert AuditEntry.objects.count() == before[2]
    preview = admin_client.get(response.url).content.decode()
    assert "tracks.hub.slots: 2 → 3" in preview
    admin_client.post(reverse("manage:competition-load-confirm", args=[stored.pk]), {"sha256": stored.sha256})
    assert Track.objects.get(code="hub").slots == 3
    loaded_entry = AuditEntry.objects.filter(action="competition.loaded").latest("sequence")
    assert loaded_entry.after["changes"] == ["tracks.hub.slots: 2 → 3"]
    assert loaded_entry.actor.username == "admin"


@pytest.mark.parametrize(
    "name, args, data, field, message",
    [
        (
            "manage:settings-track",
            ["hub"],
            track_form(slots="0"),
            "slots",
            "categories[0].tracks[0].slots: 1 이상이어야 합니다(값: 0)",
        ),
        (
            "manage:settings-track",
            ["hub"],
            track_form(slots="두"),
            "slots",
            "categories[0].tracks[0].slots: 정수여야 합니다(값: '두')",
        ),
        (
            "manage:settings-track",
            ["hub"],
            track_form(subsidy=""),
            "subsidy",
            "categories[0].tracks[0].subsidy: " + _("required"),
        ),
        (
            "manage:settings-stage",
            ["document"],
            {"name": "서면평가", "advance_top_multiple": ""},
            "advance_top_multiple",
            "stages[0].advance_top_multiple: 마지막 단계가 아니면 필수입니다(또는 advance_cutoff)",
        ),
    ],
)
def test_bad_input_shows_the_loaders_message_at_its_input_and_writes_nothing(
    admin_client, loaded, name, args, data, field, message
):
    before = state()
    response = admin_client.post(reverse(name, args=[SLUG, *args]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert escape(message) in page
    assert f'id="id_{field}_error"' in page
    for value in data.values():  # the input is shown again
        if value:
            assert f'value="{escape(value)}"' in page
    assert state() == before


def test_a_rule_of_the_whole_competition_is_named_at_its_input(admin_client, loaded):
    values = {**_rules(loaded), "trim_min_reviewers": "2"}
    before = state()
    response = admin_client.post(reverse("manage:settings-competition", args=[SLUG]), values)
    assert response.status_code == 400
    message = "trim_min_reviewers: " + _("must exceed twice trim_count, or no sheet would remain")
    assert escape(message) in response.content.decode()
    assert 'id="id_trim_min_reviewers_error"' in response.content.decode()
    assert state() == before


def test_a_criterion_form_changes_that_criterion(admin_client, loaded):
    url = reverse("manage:settings-criterion", args=[SLUG, "presentation", 0])
    page = admin_client.get(url).content.decode()
    assert "presentation" in page
    criterion = Criterion.objects.get(rubric__stage__code="presentation", code="C1")
    data = {
        "name": criterion.name,
        "description": criterion.description,
        "max": "35.5",
        "step": "0.5",
        "tie_break": "1",
        "tracks": "",
    }
    response = admin_client.post(url, data)
    preview = admin_client.get(response.url).content.decode()
    assert "stages.presentation.criteria.C1.max_points: 30.00 → 35.5" in preview
    assert Criterion.objects.get(pk=criterion.pk).max_points == 30


def test_an_entry_not_in_the_competition_is_not_found(admin_client, loaded):
    assert admin_client.get(reverse("manage:settings-track", args=[SLUG, "nowhere"])).status_code == 404
    assert (
        admin_client.get(reverse("manage:settings-criterion", args=[SLUG, "document", 9])).status_code == 404
    )
    assert Stage.objects.count() == 2


def _rules(competition) -> dict:
    document = competition_document(competition)
    return {
        key: (", ".join(document[key]) if isinstance(document.get(key), list) else str(document.get(key, "")))
        for key in (
            "name",
            "year",
            "organization",
            "minimum_score",
            "trim_min_reviewers",
            "trim_count",
            "adjustment_cap",
            "reserve",
            "final",
            "ratio_decimals",
            "max_per_province",
            "tie_break",
            "deviation_threshold",
            "analysis_rounds",
            "analysis_seed",
            "appeal_days",
        )
    }
