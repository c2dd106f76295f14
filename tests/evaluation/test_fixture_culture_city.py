"""fixtures/culture-city (문화체육관광부 대한민국 문화도시) end to end through the management commands
only: the preliminary round approves 13 of 42 plans in seven 권역 (none in 제주권), is published,
and the designation takes exactly those 13 with ``import_proposals --from-competition``."""

import importlib.util
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts.roles import Role
from evaluation.models import Publication
from proposals.models import Competition, Proposal

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "culture-city"
PRELIMINARY, DESIGNATION = "culture-city-2023", "culture-city-2024"
# 권역 (track): applications, slots, ratio and the approved 지자체 — as published on 2023-12-29
# (slots: the number approved; 제주권 keeps one slot that stays empty).
REGIONS = {
    "metro": (8, 2, "4:1", ["수성구", "수영구"]),
    "gyeonggi": (8, 1, "8:1", ["안성시"]),
    "chungcheong": (5, 3, "1.7:1", ["세종특별자치시", "충주시", "홍성군"]),
    "gangwon": (2, 1, "2:1", ["속초시"]),
    "gyeongsang": (10, 3, "3.3:1", ["안동시", "진주시", "통영시"]),
    "jeolla": (8, 3, "2.7:1", ["순천시", "전주시", "진도군"]),
    "jeju": (1, 1, "1:1", []),
}
# 광역: (applications, approved), in the order of SPEC §8.7 (applications, then name).
PROVINCES = [
    ("경기", 8, 1),
    ("경남", 5, 2),
    ("경북", 5, 1),
    ("전남", 4, 2),
    ("전북", 4, 1),
    ("강원", 2, 1),
    ("대구", 2, 1),
    ("부산", 2, 1),
    ("인천", 2, 0),
    ("충남", 2, 1),
    ("충북", 2, 1),
    ("광주", 1, 0),
    ("대전", 1, 0),
    ("세종", 1, 1),
    ("제주", 1, 0),
]


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def rank(slug: str) -> dict:
    return json.loads(run("rank", competition=slug, json=True))


def publish_and_verify(slug: str, username: str) -> Publication:
    run("publish", competition=slug, by=username)
    publication = Publication.objects.get(competition__slug=slug)
    run("verify_publication", str(publication.pk))  # a mismatch would raise CommandError
    return publication


@pytest.mark.django_db
def test_preliminary_round_then_designation():
    user = get_user_model().objects.create_user("cc-official", first_name="담당 공무원")
    user.groups.add(Group.objects.get(name=Role.OFFICIAL.value))

    # 예비: 42 applications, scored in 서면평가 and 발표평가.
    run("load_competition", str(FIXTURE / "competition-preliminary.toml"))
    run("import_proposals", str(FIXTURE / "applicants.xlsx"), competition=PRELIMINARY)
    run("import_reviewers", str(FIXTURE / "reviewers.xlsx"))
    for stage in ("document", "presentation"):
        run("import_scores", str(FIXTURE / f"scores-2023-{stage}.xlsx"), competition=PRELIMINARY, stage=stage)
    document = rank(PRELIMINARY)
    [category] = document["categories"]
    # 14 slots (제주권's included), 13 filled: 42 applications.
    assert (category["applicants"], category["slots"], category["ratio"]) == (42, 14, "3:1")
    tracks = {track["code"]: track for track in category["tracks"]}
    assert list(tracks) == list(REGIONS)
    for code, (applicants, slots, ratio, approved) in REGIONS.items():
        track = tracks[code]
        assert (track["applicants"], track["slots"], track["ratio"]) == (applicants, slots, ratio), code
        chosen = [row["applicant"] for row in track["ranking"] if row["status"] == "selected"]
        assert sorted(chosen) == sorted(approved), code
        assert [row["rank"] for row in track["ranking"][: len(approved)]] == list(range(1, len(approved) + 1))
    # 제주권: its one applicant reached 발표평가 but fell under the minimum: the slot stays empty.
    [jeju] = tracks["jeju"]["ranking"]
    assert (jeju["status"], jeju["rank"]) == ("below_minimum", 1)
    assert Decimal(jeju["score"]) < 70
    assert document["provinces"] == [
        {"province": province, "applicants": applicants, "selected": selected}
        for province, applicants, selected in PROVINCES
    ]
    publish_and_verify(PRELIMINARY, user.username)

    # 본 지정: the 13 approved plans, taken from the published result, not from a file.
    run("load_competition", str(FIXTURE / "competition-designation.toml"))
    run(
        "import_proposals",
        competition=DESIGNATION,
        from_competition=PRELIMINARY,
        status="selected",
    )
    taken = Proposal.objects.filter(competition__slug=DESIGNATION)
    approved = Proposal.objects.filter(
        competition__slug=PRELIMINARY,
        reference__in=[
            row["reference"]
            for track in category["tracks"]
            for row in track["ranking"]
            if row["status"] == "selected"
        ],
    )
    assert taken.count() == 13

    def described(proposals):
        return sorted(
            (p.reference, p.applicant.province, p.applicant.name, p.title, p.track.code, p.national_subsidy)
            for p in proposals.select_related("applicant", "track")
        )

    assert described(taken) == described(approved)
    # Taking them again changes nothing (SPEC §8.8: idempotent).
    before = list(taken.order_by("pk").values_list("pk", "reference", "title"))
    run("import_proposals", competition=DESIGNATION, from_competition=PRELIMINARY, status="selected")
    assert list(taken.order_by("pk").values_list("pk", "reference", "title")) == before

    run(
        "import_scores",
        str(FIXTURE / "scores-2024-performance.xlsx"),
        competition=DESIGNATION,
        stage="performance",
    )
    document = rank(DESIGNATION)
    [category] = document["categories"]
    assert (category["applicants"], category["slots"], category["ratio"]) == (13, 13, "1:1")
    for track in category["tracks"]:
        applicants, _slots, _ratio, approved = REGIONS[track["code"]]
        assert (track["applicants"], track["slots"], track["ratio"]) == (len(approved), len(approved), "1:1")
        assert sorted(row["applicant"] for row in track["ranking"] if row["status"] == "selected") == sorted(
            approved
        )
    assert sum(entry["selected"] for entry in document["provinces"]) == 13
    assert {entry["province"]: entry["selected"] for entry in document["provinces"]} == {
        province: selected for province, _applicants, selected in PROVINCES if selected
    }
    publication = publish_and_verify(DESIGNATION, user.username)
    assert publication.snapshot["outcome"]["totals"]["all"]["selected"] == 13
    assert Competition.objects.get(slug=DESIGNATION).organization == "문화체육관광부"


def _builder(name: str):
    spec = importlib.util.spec_from_file_location(f"culture_city_{name}", FIXTURE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_files_are_what_the_builders_make(tmp_path, capsys):
    for name in ("build_applicants", "build_reviewers"):
        builder = _builder(name)
        builder.main(tmp_path / builder.OUTPUT.name)
        assert (tmp_path / builder.OUTPUT.name).read_bytes() == builder.OUTPUT.read_bytes(), name
    builder = _builder("build_scores")
    outputs = {key: tmp_path / path.name for key, path in builder.OUTPUTS.items()}
    builder.main(outputs)
    for key, path in outputs.items():
        assert path.read_bytes() == builder.OUTPUTS[key].read_bytes(), f"rebuild {path.name}"
