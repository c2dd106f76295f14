"""SPEC §8.5: the competition ratio announced with ``ratio_decimals`` places (0–2, trailing zeros
dropped) — in the ranking, ``rank --json``, the overview pages, the export, the publication and
the public page — and a value above 2 refused on every path that can set it."""

import json
from io import BytesIO, StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from openpyxl import load_workbook

from evaluation.exporting import results_workbook
from evaluation.publication import publish, verify
from evaluation.queries import competition_overview
from evaluation.ranking import rank_competition, ranking_inputs
from evaluation.rules import competition_ratio
from proposals.models import AuditEntry, Competition, Track
from tests.evaluation.test_publication import official, scored  # noqa: F401  (fixtures)
from tests.proposals.test_admin_audit import form_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("applicants", "slots", "decimals", "expected"),
    [
        (187, 50, 2, "3.74:1"),  # 어촌뉴딜 2022 as announced
        (187, 50, 1, "3.7:1"),
        (187, 50, 0, "4:1"),
        (10, 2, 2, "5:1"),  # trailing zeros dropped
        (7, 2, 2, "3.5:1"),
        (4, 3, 2, "1.33:1"),
        (1, 8, 2, "0.13:1"),  # 0.125, half-up
        (0, 2, 2, "0:1"),
        (3, None, 2, None),
    ],
)
def test_competition_ratio_with_its_decimals(applicants, slots, decimals, expected):
    assert competition_ratio(applicants, slots, decimals) == expected


@pytest.fixture
def four_for_three(competition, scored):
    """Hub: four scored proposals for three slots (1.333…:1); climate: one for two (0.5:1)."""
    scored()
    Track.objects.filter(category__competition=competition, code="hub").update(slots=3)
    competition.ratio_decimals = 2
    competition.save()
    return competition


def test_the_ratio_has_its_decimals_wherever_it_is_shown(four_for_three, official, client):
    competition = four_for_three
    ranking = rank_competition(competition)
    hub = next(c for c in ranking.categories if c.code == "hub")
    assert (hub.ratio, hub.tracks[0].ratio) == ("1.33:1", "1.33:1")
    out = StringIO()
    call_command("rank", competition=competition.slug, json=True, stdout=out)
    document = json.loads(out.getvalue())
    ratios = {c["code"]: (c["ratio"], [t["ratio"] for t in c["tracks"]]) for c in document["categories"]}
    assert ratios == {"hub": ("1.33:1", ["1.33:1"]), "small": ("0.25:1", ["0.5:1", "0:1"])}
    assert {c.code: c.ratio for c in competition_overview(competition)} == {
        "hub": "1.33:1",
        "small": "0.25:1",
    }
    client.force_login(official)
    assert "1.33:1" in client.get(reverse("official:index")).content.decode()
    summary = load_workbook(BytesIO(results_workbook(ranking)))["요약"]
    assert [row[4].value for row in summary.iter_rows(min_row=2, max_row=3)] == ["1.33:1", "1.33:1"]

    publication = publish(competition, official)
    assert publication.snapshot["inputs"]["rules"]["ratio_decimals"] == 2
    stored = publication.snapshot["outcome"]["ranking"]["categories"][0]
    assert stored["ratio"] == "1.33:1"
    ok, messages = verify(publication)
    assert ok, messages
    client.logout()
    assert "1.33:1" in client.get(reverse("public-results", args=[competition.slug])).content.decode()


def test_without_the_setting_the_ratio_and_the_inputs_are_as_before(competition, scored):
    scored()
    Track.objects.filter(category__competition=competition, code="hub").update(slots=3)
    assert competition.ratio_decimals == 1
    assert "ratio_decimals" not in ranking_inputs(competition)["rules"]  # old snapshots stay equal
    hub = next(c for c in rank_competition(competition).categories if c.code == "hub")
    assert hub.ratio == "1.3:1"


def test_more_than_two_decimals_is_refused_on_every_path(competition, client):
    before = AuditEntry.objects.count()
    # A form or a shell's full_clean: the field's own message.
    competition.ratio_decimals = 3
    with pytest.raises(ValidationError) as raised:
        competition.full_clean()
    assert raised.value.message_dict["ratio_decimals"] == ["값이 2 이하이어야 합니다."]
    # A queryset update from a shell: the database refuses it.
    with pytest.raises(IntegrityError), transaction.atomic():
        Competition.objects.filter(pk=competition.pk).update(ratio_decimals=3)
    # The Django admin: the form says why, nothing is written.
    admin = get_user_model().objects.create_superuser("root", "root@example.kr", "pw-test-1234")
    client.force_login(admin)
    url = reverse("admin:proposals_competition_change", args=[competition.pk])
    data = {**form_data(client.get(url)), "ratio_decimals": "3", "audit_reason": "시험"}
    page = client.post(url, data)
    assert page.status_code == 200 and "값이 2 이하이어야 합니다." in page.content.decode()
    assert Competition.objects.get(pk=competition.pk).ratio_decimals == 1
    assert AuditEntry.objects.count() == before


def test_the_competition_file_sets_it(tmp_path):
    from tests.proposals.test_competition_file import MINIMAL

    path = tmp_path / "c.toml"
    path.write_text(MINIMAL.replace("year = 2024", "year = 2024\nratio_decimals = 2"), encoding="utf-8")
    call_command("load_competition", str(path), stdout=StringIO())
    assert Competition.objects.get(slug="c-2024").ratio_decimals == 2
