"""fixtures/fishing-village-2022 (해양수산부 2022년도 어촌뉴딜300) end to end through the management
commands only: 187 applications for 50 sites (3.74:1), three weighted stages, typed 가점·감점, and
the published number of sites per 시·도 — decided by the synthetic score files alone."""

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
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from evaluation.models import Adjustment, Publication, ResultLetter
from evaluation.ranking import rank_competition
from proposals.models import Competition, Proposal

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "fishing-village-2022"
SLUG = "fishing-village-2022"
STAGES = ("province", "document", "field")
# 시·도: (applications, selected) as published; in the order of SPEC §8.7 (applications, then name).
PUBLISHED = [
    ("전남", 66, 16),
    ("경남", 34, 8),
    ("충남", 25, 7),
    ("경북", 12, 3),
    ("전북", 12, 3),
    ("제주", 12, 3),
    ("인천", 9, 3),
    ("강원", 6, 3),
    ("부산", 5, 2),
    ("경기", 4, 1),
    ("울산", 2, 1),
]
# 지자체 that won several sites (published); 고성군 of 경남 is another 지자체 than 고성군 of 강원.
SEVERAL = {("전남", "신안군"): 3, ("전남", "고흥군"): 2, ("전남", "해남군"): 2, ("경남", "창원시"): 2}
SEVERAL |= {("충남", "보령시"): 2, ("경남", "고성군"): 2, ("강원", "고성군"): 1}
BONUS_WINNER, PENALISED = "2022-040", "2022-002"  # build_scores.py says why


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def official() -> str:
    user = get_user_model().objects.create_user("fv-official", first_name="담당 공무원")
    user.groups.add(Group.objects.get(name=Role.OFFICIAL.value))
    return user.username


def load_everything() -> dict:
    run("load_competition", str(FIXTURE / "competition.toml"))
    run("import_proposals", str(FIXTURE / "applicants.xlsx"), competition=SLUG)
    run("import_reviewers", str(FIXTURE / "reviewers.xlsx"))
    for stage in STAGES:
        run("import_scores", str(FIXTURE / f"scores-{stage}.xlsx"), competition=SLUG, stage=stage)
    run("import_adjustments", str(FIXTURE / "adjustments.xlsx"), competition=SLUG)
    return json.loads(run("rank", competition=SLUG, json=True))


@pytest.mark.django_db
def test_the_published_result_emerges_from_the_scores():
    document = load_everything()
    competition = Competition.objects.get(slug=SLUG)
    assert competition.organization == "해양수산부"

    # 187 applications for 50 sites: 3.74:1 with two decimals (SPEC §8.5).
    [category] = document["categories"]
    [track] = category["tracks"]
    assert (category["applicants"], category["slots"], category["ratio"]) == (187, 50, "3.74:1")
    assert (track["applicants"], track["slots"], track["ratio"]) == (187, 50, "3.74:1")
    statuses = [row["status"] for row in track["ranking"]]
    # 서면평가 sends the top 2 × 50 to 현장평가; the other 87 did not advance.
    assert {status: statuses.count(status) for status in set(statuses)} == {
        "selected": 50,
        "reserve": 1,
        "not_selected": 49,
        "eliminated": 87,
    }
    assert [row["rank"] for row in track["ranking"][:50]] == list(range(1, 51))
    assert track["ranking"][50]["tie_break"] is None  # the score alone separates the last slot

    # Per 시·도, applications and selected sites exactly as published (SPEC §8.7).
    assert document["provinces"] == [
        {"province": province, "applicants": applicants, "selected": selected}
        for province, applicants, selected in PUBLISHED
    ]

    # Several sites per 지자체, keyed by 접수번호 (SPEC §8.1).
    status_of = {row["reference"]: row["status"] for row in track["ranking"]}
    for (province, name), count in SEVERAL.items():
        references = Proposal.objects.filter(
            competition=competition, applicant__province=province, applicant__name=name
        ).values_list("reference", flat=True)
        assert [status_of[reference] for reference in references].count("selected") == count, name

    # The typed adjustments were imported and count: +1 lifts one site into the 50, −1.5 drops one.
    assert Adjustment.objects.filter(proposal__competition=competition).count() == 39
    ranking = rank_competition(competition)
    rows = {row.reference: row for row in ranking.proposals()}
    weights = {stage.code: stage.weight for stage in ranking.stages}
    for reference, points, status in ((BONUS_WINNER, "1", "selected"), (PENALISED, "-1.5", "reserve")):
        row = rows[reference]
        weighted = sum(row.stage_scores[code] * weights[code] / 100 for code in STAGES)
        assert row.adjustment == Decimal(points)
        assert row.score == weighted + Decimal(points)
        assert status_of[reference] == status
    assert rows[BONUS_WINNER].score - 1 < rows[PENALISED].score + Decimal("1.5")  # swapped by them
    again = Adjustment.objects.filter(proposal__competition=competition).count()
    run("import_adjustments", str(FIXTURE / "adjustments.xlsx"), competition=SLUG)
    assert Adjustment.objects.filter(proposal__competition=competition).count() == again

    # Published and verified; 고성군 is named with its 광역 where two 지자체 share the name.
    by = official()
    run("publish", competition=SLUG, by=by)
    publication = Publication.objects.get(competition=competition)
    run("verify_publication", str(publication.pk))
    [totals] = publication.snapshot["outcome"]["totals"]["tracks"]
    names = [entry["applicant"] for entry in totals["selected"]]
    assert len(names) == 50
    assert names.count("고성군(경남)") == 2 and names.count("고성군(강원)") == 1
    assert names.count("신안군") == 3
    assert publication.snapshot["outcome"]["ranking"]["provinces"] == document["provinces"]
    # The public page announces it as the ministry would: 187 applications, not 187 지자체.
    page = Client().get(reverse("public-results", args=[SLUG])).content.decode()
    assert "어촌뉴딜300은 총 187건이 접수돼 3.74:1의 경쟁률을 보였으며, " in page
    assert (
        "신안군(3곳)" in page
        and "고성군(경남, 2곳)" in page
        and "고성군(강원)," in page
        and "50곳이 선정되었다." in page
    )
    assert "곳의 지자체" not in page

    # Issue 13 on a competition unlike 2023's: a letter per application (187, several per 지자체),
    # three weighted stages, the typed bonus in the letter; every letter in one PDF by the command.
    assert "통보서 187건 발급" in run("letters", "--competition", SLUG, "issue", "--by", by, "--no-send")
    letter = ResultLetter.objects.get(proposal__reference=BONUS_WINNER, revoked_at__isnull=True)
    assert [stage["code"] for stage in letter.content["stages"]] == list(STAGES)
    assert letter.content["result"]["status"] == "selected" and letter.content["adjustments"]
    assert letter.content["result"]["applicants"] == 187 and letter.content["result"]["ratio"] == "3.74:1"
    goseong = ResultLetter.objects.filter(proposal__applicant__name="고성군", revoked_at__isnull=True)
    assert {entry.content["proposal"]["applicant"] for entry in goseong} == {"고성군(경남)", "고성군(강원)"}


def _builder(name: str):
    spec = importlib.util.spec_from_file_location(f"fishing_village_{name}", FIXTURE / f"{name}.py")
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
