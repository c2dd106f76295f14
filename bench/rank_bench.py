"""Ranking benchmark (SPEC §4): 20,000 proposals × 7 submitted sheets × 15 criteria in a fresh
SQLite file; (a) a bare ``sqlite3`` query (Python's sqlite3 module, no Django) computing the same
trimmed means (one highest and one lowest total dropped with ≥ 5 sheets) and the kept sheets'
averages of the three tie-break criteria, against (b)
``manage.py rank --json`` (``call_command`` into a StringIO) over the same file, in one run.

    .venv/bin/python bench/rank_bench.py [--proposals 20000] [--repeat 3] [--profile]

Each measurement runs in a process of its own, the two alternating; the best of ``--repeat`` is
reported, with the ratio b/a (target ≤ 2). The data are built with one prepared INSERT per table
(``proposals.bulk.insert_rows``), not through the importers: building is not what is measured.
``--profile`` adds a cProfile of one (b) run, by cumulative time. Not a timed test.
"""

import argparse
import json
import math
import os
import random
import sys
import tempfile
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from phases import run_phase  # noqa: E402

SLUG = "rank-bench"
SHEETS = 7
CRITERIA = 15
# 15 criteria summing to 100 points: ten of 7 and five of 6, in 0.5 steps.
MAXIMA = [7] * 10 + [6] * 5
TRACKS = (
    ("hub", "거점형", "hub"),
    ("climate", "기후위기 대응형", "small"),
    ("depopulation", "지역소멸 대응형", "small"),
)

COMPETITION_TOML = """
slug = "rank-bench"
name = "순위 벤치마크"
year = 2023
minimum_score = 60

[[categories]]
code = "hub"
name = "거점형"

[[categories.tracks]]
code = "hub"
name = "거점형"
slots = 2
subsidy = 200

[[categories]]
code = "small"
name = "강소형"

[[categories.tracks]]
code = "climate"
name = "기후위기 대응형"
slots = 2
subsidy = 120

[[categories.tracks]]
code = "depopulation"
name = "지역소멸 대응형"
slots = 2
subsidy = 120

[[stages]]
code = "final"
name = "발표평가"
"""

# The bare query: the same counted sheets as Scoresheet.objects.counted (submitted, no conflicted
# reviewer), numbered from the top and the bottom per proposal; with ≥ 5 sheets the first of each
# end is dropped; then the trimmed mean and, over the same kept sheets, the average of each
# tie-break criterion (SPEC §4.5) — everything the ranking reads from the sheets. AVG is a float
# here. (Where every total of a proposal is equal the engine drops two sheets, this query one:
# the mean is the same, and the synthetic data has no such proposal.)
BARE_QUERY = """
WITH counted AS (
    SELECT a.proposal_id AS proposal, s.id AS id, s.total AS total,
           COUNT(*) OVER per_proposal AS sheets,
           ROW_NUMBER() OVER (PARTITION BY a.proposal_id ORDER BY s.total DESC, s.id) AS from_top,
           ROW_NUMBER() OVER (PARTITION BY a.proposal_id ORDER BY s.total ASC, s.id) AS from_bottom
    FROM evaluation_scoresheet s
    JOIN evaluation_assignment a ON a.id = s.assignment_id
    WHERE a.stage_id = ? AND s.status = 'submitted'
      AND NOT EXISTS (SELECT 1 FROM evaluation_conflict c
                      WHERE c.proposal_id = a.proposal_id AND c.reviewer_id = a.reviewer_id)
    WINDOW per_proposal AS (PARTITION BY a.proposal_id)
),
kept AS (
    SELECT proposal, id, total FROM counted WHERE sheets < 5 OR (from_top > 1 AND from_bottom > 1)
)
SELECT k.proposal, AVG(k.total),
       AVG(CASE WHEN c.tie_break_priority = 1 THEN sc.points END),
       AVG(CASE WHEN c.tie_break_priority = 2 THEN sc.points END),
       AVG(CASE WHEN c.tie_break_priority = 3 THEN sc.points END)
FROM kept k
JOIN evaluation_score sc ON sc.sheet_id = k.id
JOIN evaluation_criterion c ON c.id = sc.criterion_id AND c.tie_break_priority IS NOT NULL
GROUP BY k.proposal
"""


def criteria_toml() -> str:
    parts = []
    for number, maximum in enumerate(MAXIMA, start=1):
        tie = f"tie_break = {number}\n" if number <= 3 else ""
        parts.append(
            f'[[stages.criteria]]\ncode = "C{number}"\nname = "평가항목 {number}"\nmax = {maximum}\n'
            f"step = 0.5\n{tie}"
        )
    return "\n".join(parts)


# --- Building the file (a process of its own) ------------------------------------------------


def build(proposals: int) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from evaluation.domain.competition_file import load_competition_file
    from evaluation.models import Assignment, Reviewer, Score, Scoresheet, Stage
    from proposals.bulk import insert_rows
    from proposals.models import Applicant, Proposal, Track

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    toml = Path(connection.settings_dict["NAME"]).with_suffix(".toml")
    toml.write_text(COMPETITION_TOML + "\n" + criteria_toml(), encoding="utf-8")
    competition = load_competition_file(toml).competition
    stage = Stage.objects.get(competition=competition, code="final")
    criteria = list(stage.rubrics.get().criteria.order_by("order"))
    assert len(criteria) == CRITERIA
    tracks = {t.code: t for t in Track.objects.filter(category__competition=competition)}
    User = get_user_model()
    reviewers = [
        Reviewer.objects.create(
            user=User.objects.create(username=f"bench{n}@example.com"),
            name=f"위원 {n}",
            affiliation=f"기관 {n}",
            email=f"bench{n}@example.com",
        )
        for n in range(SHEETS)
    ]
    now = timezone.now()
    rng = random.Random(2023)
    halves = {m: [Decimal(h) / 2 for h in range(0, 2 * m + 1)] for m in set(MAXIMA)}
    with transaction.atomic():
        insert_rows(
            Applicant,
            ["id", "province", "name"],
            ((n, "광역", f"지자체 {n:06d}") for n in range(1, proposals + 1)),
        )
        fields = [
            "id",
            "competition",
            "track",
            "applicant",
            "reference",
            "title",
            "summary",
            "solutions",
            "partners",
            "national_subsidy",
            "local_matching",
            "contact_name",
            "contact_phone",
            "contact_email",
            "status",
            "created_at",
            "updated_at",
        ]
        codes = list(tracks)
        subsidy = {"hub": Decimal(200), "climate": Decimal(120), "depopulation": Decimal(120)}
        insert_rows(
            Proposal,
            fields,
            (
                (
                    n,
                    competition.pk,
                    tracks[codes[n % 3]].pk,
                    n,
                    f"B-{n:06d}",
                    f"스마트시티 사업 {n}",
                    "",
                    [],
                    [],
                    subsidy[codes[n % 3]],
                    subsidy[codes[n % 3]],
                    "",
                    "",
                    "",
                    Proposal.Status.SUBMITTED,
                    now,
                    now,
                )
                for n in range(1, proposals + 1)
            ),
        )
        assignments, sheets, scores = [], [], []
        sheet_id = score_id = 0
        for proposal in range(1, proposals + 1):
            level = rng.uniform(0.45, 0.95)  # the proposal's quality; each reviewer varies around it
            for reviewer in reviewers:
                sheet_id += 1
                assignments.append((sheet_id, stage.pk, proposal, reviewer.pk, "panel", now))
                total = Decimal(0)
                for criterion, maximum in zip(criteria, MAXIMA, strict=True):
                    share = min(1.0, max(0.0, level + rng.gauss(0, 0.08)))
                    points = halves[maximum][round(share * 2 * maximum)]
                    total += points
                    score_id += 1
                    scores.append((score_id, sheet_id, criterion.pk, points, ""))
                sheets.append((sheet_id, sheet_id, "submitted", total, "", "", 2, now, now))
        insert_rows(Assignment, ["id", "stage", "proposal", "reviewer", "source", "created_at"], assignments)
        insert_rows(
            Scoresheet,
            [
                "id",
                "assignment",
                "status",
                "total",
                "comment",
                "reopen_reason",
                "version",
                "submitted_at",
                "updated_at",
            ],
            sheets,
        )
        insert_rows(Score, ["id", "sheet", "criterion", "points", "comment"], scores)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "seconds": time.perf_counter() - started,
        "stage_id": stage.pk,
        "sheets": len(sheets),
        "scores": len(scores),
    }


# --- The two measurements (each a process of its own) -----------------------------------------


def phase_bare(database: Path, stage_id: int, out: Path) -> dict:
    import sqlite3

    started = time.perf_counter()
    connection = sqlite3.connect(database)
    rows = connection.execute(BARE_QUERY, (stage_id,)).fetchall()
    means = {proposal: mean for proposal, mean, *_averages in rows}
    seconds = time.perf_counter() - started
    connection.close()
    out.write_text(json.dumps(means))
    return {"seconds": seconds, "proposals": len(means)}


def phase_rank(out: Path, profile: bool = False) -> dict:
    import django

    setup_started = time.perf_counter()
    django.setup()
    from io import StringIO

    from django.core.management import call_command

    setup = time.perf_counter() - setup_started
    buffer = StringIO()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.runcall(call_command, "rank", competition=SLUG, json=True, stdout=buffer)
        seconds = time.perf_counter() - started
        stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative")
        stats.print_stats(35)
    else:
        started = time.perf_counter()
        call_command("rank", competition=SLUG, json=True, stdout=buffer)
        seconds = time.perf_counter() - started
    out.write_text(buffer.getvalue(), encoding="utf-8")
    return {"seconds": seconds, "django_setup_seconds": setup}


def run(args: list[str], database: Path, stderr=None, timeout=None) -> dict | None:
    """A phase of this script in a process of its own (``phases.run_phase``)."""
    return run_phase(__file__, args, database, stderr=stderr, timeout=timeout)


def same_scores(rank_file: Path, bare_file: Path) -> tuple[int, int]:
    """(ranked proposals compared, disagreements) between the rank document and the bare means."""
    document = json.loads(rank_file.read_text(encoding="utf-8"))
    bare = {int(k): v for k, v in json.loads(bare_file.read_text()).items()}
    compared = disagreements = 0
    for category in document["categories"]:
        for track in category["tracks"]:
            for row in track["ranking"]:
                if row["score"] is None:
                    continue
                number = int(row["reference"].split("-")[1])  # B-000123 → proposal id 123
                rounded = Decimal(repr(bare[number])).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                compared += 1
                disagreements += rounded != Decimal(row["score"])
    return compared, disagreements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=20_000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each measurement; the best is reported"
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a rank run is given up")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one rank run")
    parser.add_argument(
        "--growth-from",
        type=int,
        default=1_000,
        help="also rank a file of this many proposals and report the growth exponent (0: skip)",
    )
    parser.add_argument("--phase", choices=("build", "bare", "rank"), help=argparse.SUPPRESS)
    parser.add_argument("--stage", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "build":
        print(json.dumps(build(args.proposals)))
        return
    if args.phase == "bare":
        database = Path(os.environ["DATABASE_URL"].removeprefix("sqlite:///"))
        print(json.dumps(phase_bare(database, args.stage, Path(args.out))))
        return
    if args.phase == "rank":
        print(json.dumps(phase_rank(Path(args.out), args.profile)))
        return

    workdir = Path(tempfile.mkdtemp(prefix="rank-bench-"))
    database = workdir / "rank-bench.sqlite3"
    built = run(["--phase", "build", "--proposals", str(args.proposals)], database)
    size = database.stat().st_size / 1048576
    print(
        f"file: {args.proposals:,} proposals × {SHEETS} sheets × {CRITERIA} criteria = "
        f"{built['sheets']:,} sheets, {built['scores']:,} scores; {size:.0f} MB (built in {built['seconds']:.1f} s)",
        flush=True,
    )
    bare_args = ["--phase", "bare", "--stage", str(built["stage_id"]), "--out", str(workdir / "bare.json")]
    rank_out = workdir / "rank.json"
    bares, ranks, setups = [], [], []
    for _attempt in range(args.repeat):  # alternate, so machine noise hits both alike
        bares.append(run(bare_args, database)["seconds"])
        if ranks and ranks[-1] is None:
            continue  # timed out once: do not wait again
        result = run(["--phase", "rank", "--out", str(rank_out)], database, timeout=args.timeout)
        ranks.append(None if result is None else result["seconds"])
        if result is not None:
            setups.append(result["django_setup_seconds"])
    bare = min(bares)
    shown = ", ".join("timeout" if t is None else f"{t:.2f}" for t in ranks)
    print(
        f"runs (seconds): bare {', '.join(f'{t:.2f}' for t in bares)}; rank --json {shown}; best of {args.repeat} below"
    )
    print(f"(a) bare sqlite3 means + tie avgs:   {bare:8.2f} s")
    finished = [t for t in ranks if t is not None]
    if finished:
        best = min(finished)
        print(
            f"(b) rank --json (call_command)       {best:8.2f} s   ratio b/a {best / bare:.2f}  (target ≤ 2)"
        )
    else:
        print(
            f"(b) rank --json (call_command)     > {args.timeout:.0f} s (timed out)   ratio b/a > {args.timeout / bare:.0f}"
        )
    if setups:
        print(f"    (django.setup() before each rank run, not counted: {min(setups):.2f} s)")
    if rank_out.exists():
        compared, disagreements = same_scores(rank_out, workdir / "bare.json")
        print(f"    scores compared at two decimals: {compared:,}, disagreements: {disagreements}")
    if finished and args.growth_from and args.growth_from < args.proposals:
        small = workdir / "rank-bench-small.sqlite3"
        run(["--phase", "build", "--proposals", str(args.growth_from)], small)
        times = [
            run(["--phase", "rank", "--out", str(workdir / "small.json")], small)["seconds"]
            for _attempt in range(args.repeat)
        ]
        exponent = math.log(best / min(times)) / math.log(args.proposals / args.growth_from)
        print(
            f"growth: rank --json {min(times):.3f} s at {args.growth_from:,} proposals, {best:.2f} s at "
            f"{args.proposals:,}: exponent {exponent:.2f}  (target ≤ 1.1)"
        )
    if args.profile:
        print("\nprofile of one rank --json run (cumulative), to stderr:", flush=True)
        profiled = ["--phase", "rank", "--profile", "--out", str(workdir / "profile.json")]
        run(profiled, database, timeout=args.timeout)


if __name__ == "__main__":
    main()
