"""Score import benchmark (SPEC §5 ``import_scores``): a score spreadsheet of submitted sheets
read (a) by bare openpyxl (read-only, every row iterated) and (b) through ``manage.py
import_scores`` (``call_command``) into a fresh copy of a prepared SQLite file, in one run, for
two workloads:

- ``ratings``: 10,098 sheets over 2,966 proposals, ONE criterion (like real review ratings);
- ``criteria``: 10,000 sheets over 2,000 proposals, 5 criteria.

    .venv/bin/python bench/import_scores_bench.py [--workload ratings|criteria|both] [--scale 1]
        [--repeat 3] [--unassigned] [--profile]

For each workload the competition (a TOML file loaded by ``load_competition_file``: one stage,
``final``), the proposals, the reviewers and — unless ``--unassigned`` — their assignments (source
panel) are built once with ``proposals.bulk.insert_rows``, not through the importers; the .xlsx
file (평가위원 as the reviewer's e-mail, 접수번호, one column per criterion code, 의견) is written
with openpyxl. Without assignments, the import assigns each reviewer itself (source import).
Every (b) run imports into its own copy of the prepared file. Each measurement runs in a process
of its own, the two alternating; the best of ``--repeat`` is reported as sheets per second
(target ≥ 1,000 sheets/s for each workload) with the ratio b/a; (b)'s ``django.setup()`` is not
counted. After each import the submitted sheets of the stage are counted (they must be every row
of the file). ``--scale`` multiplies the sheets, proposals and reviewers (e.g. 0.03 to try the
script); ``--profile`` adds a cProfile of one (b) run per workload to stderr. Not a timed test.
"""

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from phases import peak_rss_mb, run_phase  # noqa: E402

SLUG = "scores-bench"
STAGE = "final"
# name → (sheets, proposals, criteria, reviewers, each criterion's maximum, step)
WORKLOADS = {
    "ratings": (10_098, 2_966, 1, 120, 100, 1),
    "criteria": (10_000, 2_000, 5, 100, 20, 0.5),
}
TRACKS = ("climate", "depopulation", "hub")
COMMENT = "사업 계획이 구체적이고 실현 가능성이 높음"

COMPETITION_TOML = """
slug = "scores-bench"
name = "점수 가져오기 벤치마크"
year = 2023

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


def criteria_toml(count: int, maximum: int, step: float) -> str:
    return "\n".join(
        f'[[stages.criteria]]\ncode = "C{n}"\nname = "평가항목 {n}"\nmax = {maximum}\nstep = {step}\n'
        for n in range(1, count + 1)
    )


def scaled(workload: str, scale: float) -> tuple[int, int, int, int, int, float]:
    sheets, proposals, criteria, reviewers, maximum, step = WORKLOADS[workload]
    proposals = max(1, round(proposals * scale))
    sheets = max(proposals, round(sheets * scale))
    reviewers = max(-(-sheets // proposals), round(reviewers * scale), 5)
    return sheets, proposals, criteria, reviewers, maximum, step


# --- Building the file and the spreadsheet (a process of its own) -----------------------------


def insert_filled(model, names: list[str], rows) -> int:
    """``insert_rows`` with every other NOT NULL column given its field's default (now for the
    auto_now dates), so the builder survives new columns with defaults."""
    from django.utils import timezone

    from proposals.bulk import insert_rows

    now = timezone.now()
    extra = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.null or field.name in names:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            extra[field.name] = now
        elif field.has_default() or field.empty_strings_allowed:
            extra[field.name] = field.get_default()
    values = tuple(extra.values())
    return insert_rows(model, [*names, *extra], (tuple(row) + values for row in rows))


def build(workload: str, scale: float, xlsx: Path, assigned: bool) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from openpyxl import Workbook

    from evaluation.domain.competition_file import load_competition_file
    from evaluation.models import Assignment, Reviewer, Stage
    from proposals.models import Applicant, Proposal, Track

    sheets, proposals, criteria_count, reviewer_count, maximum, step = scaled(workload, scale)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    toml = Path(connection.settings_dict["NAME"]).with_suffix(".toml")
    toml.write_text(COMPETITION_TOML + "\n" + criteria_toml(criteria_count, maximum, step), encoding="utf-8")
    competition = load_competition_file(toml).competition
    stage = Stage.objects.get(competition=competition, code=STAGE)
    codes = [c.code for c in stage.rubrics.get().criteria.order_by("order")]
    assert len(codes) == criteria_count
    tracks = {t.code: t for t in Track.objects.filter(category__competition=competition)}
    User = get_user_model()
    emails = [f"reviewer{n:04d}@example.com" for n in range(1, reviewer_count + 1)]
    # Each proposal gets sheets // proposals reviewers, the first sheets % proposals one more;
    # proposal p's reviewers are consecutive from 3p in the pool, so all differ.
    base, extra = divmod(sheets, proposals)
    pairs = [
        (p, (3 * p + j) % reviewer_count + 1)
        for p in range(1, proposals + 1)
        for j in range(base + (1 if p <= extra else 0))
    ]
    assert len(pairs) == sheets
    with transaction.atomic():
        insert_filled(
            User,
            ["id", "username", "email", "password", "is_active"],
            ((n, email, email, "!", True) for n, email in enumerate(emails, start=1)),
        )
        insert_filled(
            Reviewer,
            ["id", "user", "name", "affiliation", "email"],
            ((n, n, f"위원 {n}", f"평가기관 {n}", email) for n, email in enumerate(emails, start=1)),
        )
        insert_filled(
            Applicant,
            ["id", "province", "name"],
            ((n, "광역", f"지자체 {n:06d}") for n in range(1, proposals + 1)),
        )
        insert_filled(
            Proposal,
            [
                "id",
                "competition",
                "track",
                "applicant",
                "reference",
                "title",
                "national_subsidy",
                "local_matching",
            ],
            (
                (
                    n,
                    competition.pk,
                    tracks[TRACKS[n % 3]].pk,
                    n,
                    f"S-{n:06d}",
                    f"스마트시티 사업 {n}",
                    tracks[TRACKS[n % 3]].subsidy,
                    tracks[TRACKS[n % 3]].subsidy,
                )
                for n in range(1, proposals + 1)
            ),
        )
        if assigned:
            insert_filled(
                Assignment,
                ["id", "stage", "proposal", "reviewer", "source"],
                ((n, stage.pk, p, r, "panel") for n, (p, r) in enumerate(pairs, start=1)),
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()
    built = time.perf_counter() - started

    started = time.perf_counter()
    rng = random.Random(2023)
    ticks = round(maximum / step)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("점수")
    sheet.append(["평가위원", "접수번호", *codes, "의견"])
    for p, r in pairs:
        level = 0.5 + 0.45 * ((p * 7919) % 1000) / 1000  # the proposal's quality, each row varies
        points = []
        for _code in codes:
            tick = round(min(1.0, max(0.0, level + rng.gauss(0, 0.08))) * ticks)
            value = tick * step
            points.append(int(value) if value == int(value) else value)
        sheet.append([emails[r - 1], f"S-{p:06d}", *points, COMMENT])
    workbook.save(xlsx)
    return {
        "seconds": built,
        "file_seconds": time.perf_counter() - started,
        "sheets": sheets,
        "proposals": proposals,
        "criteria": criteria_count,
        "reviewers": reviewer_count,
        "assignments": len(pairs) if assigned else 0,
    }


# --- The two measurements (each a process of its own) -----------------------------------------


def phase_bare(xlsx: Path) -> dict:
    from openpyxl import load_workbook

    started = time.perf_counter()
    workbook = load_workbook(xlsx, read_only=True, data_only=True)
    rows = sum(1 for _row in workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    return {"seconds": time.perf_counter() - started, "rows": rows}


def phase_import(xlsx: Path, profile: bool = False) -> dict:
    import django

    setup_started = time.perf_counter()
    django.setup()
    from io import StringIO

    from django.core.management import CommandError, call_command

    from evaluation.models import Assignment, Scoresheet

    setup = time.perf_counter() - setup_started
    loaded = peak_rss_mb()
    buffer = StringIO()
    command = ("import_scores", str(xlsx))
    options = {"competition": SLUG, "stage": STAGE, "stdout": buffer}
    try:
        if profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.runcall(call_command, *command, **options)
            seconds = time.perf_counter() - started
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
        else:
            started = time.perf_counter()
            call_command(*command, **options)
            seconds = time.perf_counter() - started
    except CommandError:
        sys.stderr.write(buffer.getvalue()[-4000:])
        raise
    in_stage = Scoresheet.objects.filter(
        assignment__stage__competition__slug=SLUG, assignment__stage__code=STAGE
    )
    return {
        "seconds": seconds,
        "django_setup_seconds": setup,
        "loaded_rss_mb": loaded,
        "submitted": in_stage.filter(status=Scoresheet.Status.SUBMITTED).count(),
        "imported_assignments": Assignment.objects.filter(source=Assignment.Source.IMPORT).count(),
        "summary": buffer.getvalue().strip().splitlines()[:3],
    }


def run(args: list[str], database: Path, stderr=None, timeout=None) -> dict | None:
    """A phase of this script in a process of its own (``phases.run_phase``)."""
    return run_phase(__file__, args, database, stderr=stderr, timeout=timeout)


def fresh_copy(source: Path, target: Path) -> None:
    """A copy of the prepared file (SQLite's backup: consistent whatever the WAL holds)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def bench(workload: str, args, workdir: Path) -> None:
    base = workdir / f"{workload}.sqlite3"
    xlsx = workdir / f"{workload}-scores.xlsx"
    build_args = ["--phase", "build", "--workload", workload, "--scale", str(args.scale), "--file", str(xlsx)]
    built = run([*build_args, *(["--unassigned"] if args.unassigned else [])], base)
    sheets = built["sheets"]
    print(
        f"[{workload}] {sheets:,} sheets over {built['proposals']:,} proposals × {built['criteria']} "
        f"criteria, {built['reviewers']} reviewers, {built['assignments']:,} assignments before the import; "
        f"file {xlsx.stat().st_size / 1048576:.2f} MB (built in {built['seconds']:.1f} s + "
        f"{built['file_seconds']:.1f} s)",
        flush=True,
    )
    target = workdir / f"{workload}-run.sqlite3"
    bares, imports = [], []
    for _attempt in range(args.repeat):  # alternate, so machine noise hits both alike
        bare = run(["--phase", "bare", "--file", str(xlsx)], base)
        assert bare["rows"] == sheets + 1, bare
        bares.append(bare)
        if imports and imports[-1] is None:
            continue  # timed out once: do not wait again
        fresh_copy(base, target)
        result = run(["--phase", "import", "--file", str(xlsx)], target, timeout=args.timeout)
        imports.append(result)
        if result is not None and result["submitted"] != sheets:
            print(f"    !! {result['submitted']:,} submitted sheets after the import, expected {sheets:,}")
    best_bare = min(bares, key=lambda r: r["seconds"])
    finished = [r for r in imports if r is not None]
    shown = ", ".join("timeout" if r is None else f"{r['seconds']:.2f}" for r in imports)
    times = ", ".join(f"{r['seconds']:.2f}" for r in bares)
    print(f"    runs (seconds): bare {times}; import_scores {shown}; best of {args.repeat} below")
    print(
        f"    (a) openpyxl read-only iteration: {best_bare['seconds']:7.2f} s  "
        f"{sheets / best_bare['seconds']:9,.0f} rows/s    peak RSS {max(r['peak_rss_mb'] for r in bares):.0f} MB"
    )
    if not finished:
        print(f"    (b) import_scores (call_command): > {args.timeout:.0f} s (timed out)")
        return
    best = min(finished, key=lambda r: r["seconds"])
    rate = sheets / best["seconds"]
    print(
        f"    (b) import_scores (call_command): {best['seconds']:7.2f} s  {rate:9,.0f} sheets/s  "
        f"peak RSS {max(r['peak_rss_mb'] for r in finished):.0f} MB (of which Django loaded: "
        f"{best['loaded_rss_mb']:.0f} MB)"
    )
    print(
        f"    sheets/s {rate:,.0f} ({'met' if rate >= 1000 else 'missed'}; target ≥ 1,000); "
        f"ratio b/a {best['seconds'] / best_bare['seconds']:.1f}; "
        f"django.setup() not counted: {min(r['django_setup_seconds'] for r in finished):.2f} s"
    )
    print(
        f"    after the import: {best['submitted']:,} submitted sheets in the stage (expected {sheets:,}), "
        f"{best['imported_assignments']:,} assignments made by the import; report: "
        f"{' / '.join(best['summary'])}",
        flush=True,
    )
    if args.profile:
        print(f"    profile of one import_scores run ({workload}, cumulative), to stderr", flush=True)
        fresh_copy(base, target)
        run(["--phase", "import", "--profile", "--file", str(xlsx)], target, timeout=args.timeout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=("ratings", "criteria", "both"), default="both")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiplies sheets, proposals, reviewers (0.03: a try)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each measurement; the best is reported"
    )
    parser.add_argument(
        "--unassigned", action="store_true", help="no assignments before the import: it makes them"
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds before an import run is given up")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one import run")
    parser.add_argument("--phase", choices=("build", "bare", "import"), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        if args.phase == "build":
            result = build(args.workload, args.scale, Path(args.file), assigned=not args.unassigned)
        elif args.phase == "bare":
            result = phase_bare(Path(args.file))
        else:
            result = phase_import(Path(args.file), args.profile)
        result["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(result, ensure_ascii=False))
        return

    workdir = Path(tempfile.mkdtemp(prefix="import-scores-bench-"))
    for workload in ("ratings", "criteria") if args.workload == "both" else (args.workload,):
        bench(workload, args, workdir)


if __name__ == "__main__":
    main()
