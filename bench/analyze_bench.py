"""Analysis benchmark (issue 13): ``manage.py analyze --json`` with 1,000 bootstrap rounds on
2,000 proposals × 7 submitted sheets × 15 criteria — the rank bench's file
(``bench/rank_bench.py``'s ``build``: 7 reviewers, three tracks of 2 slots, minimum 60) — against
the rank bench's bare baseline, a ``sqlite3`` query of the same trimmed means. Target: ≤ 5 s.

    .venv/bin/python bench/analyze_bench.py [--proposals 2000] [--rounds 1000] [--repeat 3] [--profile]

Each measurement runs in a process of its own, alternating; the best of ``--repeat`` is
reported. (b) is split into loading the inputs (``analysis_inputs``: the ranking inputs, the
reviewers behind the codes, the stages' maxima) and the pure analysis. ``--profile`` adds a
cProfile of one (b) run, by cumulative time, to stderr. Not a timed test.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import rank_bench  # noqa: E402
from phases import run_phase  # noqa: E402


def phase_analyze(rounds: int, out: Path, profile: bool = False) -> dict:
    import django

    django.setup()
    from io import StringIO

    from django.core.management import call_command

    from evaluation import analysis
    from evaluation.analysis_service import analysis_inputs, threshold_share
    from proposals.models import Competition

    buffer = StringIO()
    started = time.perf_counter()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(
            call_command, "analyze", competition=rank_bench.SLUG, json=True, rounds=rounds, stdout=buffer
        )
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
    else:
        call_command("analyze", competition=rank_bench.SLUG, json=True, rounds=rounds, stdout=buffer)
    seconds = time.perf_counter() - started
    out.write_text(buffer.getvalue(), encoding="utf-8")
    # The parts, once more: loading, then the pure analysis.
    competition = Competition.objects.get(slug=rank_bench.SLUG)
    started = time.perf_counter()
    inputs, names, maxima = analysis_inputs(competition, list(competition.stages.order_by("order")))
    loading = time.perf_counter() - started
    started = time.perf_counter()
    analysis.analyze(
        inputs,
        slug=competition.slug,
        max_totals=maxima,
        names=names,
        rounds=rounds,
        threshold_share=threshold_share(competition),
    )
    pure = time.perf_counter() - started
    return {"seconds": seconds, "loading": loading, "pure": pure}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--phase", choices=("build", "bare", "analyze"), help=argparse.SUPPRESS)
    parser.add_argument("--stage", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "build":
        print(json.dumps(rank_bench.build(args.proposals)))
        return
    if args.phase == "bare":
        database = Path(os.environ["DATABASE_URL"].removeprefix("sqlite:///"))
        print(json.dumps(rank_bench.phase_bare(database, args.stage, Path(args.out))))
        return
    if args.phase == "analyze":
        print(json.dumps(phase_analyze(args.rounds, Path(args.out), args.profile)))
        return

    workdir = Path(tempfile.mkdtemp(prefix="analyze-bench-"))
    database = workdir / "analyze-bench.sqlite3"
    built = run_phase(__file__, ["--phase", "build", "--proposals", str(args.proposals)], database)
    print(
        f"file: {args.proposals:,} proposals × {rank_bench.SHEETS} sheets × {rank_bench.CRITERIA} criteria = "
        f"{built['sheets']:,} sheets (built in {built['seconds']:.1f} s); {args.rounds:,} bootstrap rounds",
        flush=True,
    )
    bare_args = ["--phase", "bare", "--stage", str(built["stage_id"]), "--out", str(workdir / "bare.json")]
    analyze_args = [
        "--phase",
        "analyze",
        "--rounds",
        str(args.rounds),
        "--out",
        str(workdir / "analyze.json"),
    ]
    bares, runs = [], []
    for _attempt in range(args.repeat):
        bares.append(run_phase(__file__, bare_args, database)["seconds"])
        runs.append(run_phase(__file__, analyze_args, database))
    bare = min(bares)
    best = min(runs, key=lambda r: r["seconds"])
    print(
        f"runs (seconds): bare {', '.join(f'{t:.3f}' for t in bares)}; "
        f"analyze --json {', '.join(f'{r["seconds"]:.2f}' for r in runs)}; best of {args.repeat} below"
    )
    print(f"(a) bare sqlite3 trimmed means:      {bare:8.3f} s")
    met = "met" if best["seconds"] <= 5 else f"missed by {best['seconds'] - 5:.2f} s"
    print(
        f"(b) analyze --json (call_command)  {best['seconds']:8.2f} s   ratio b/a {best['seconds'] / bare:.1f}"
        f"   (target ≤ 5 s: {met})"
    )
    print(
        f"    of which, measured apart in the same run: loading the inputs {best['loading']:.2f} s, "
        f"the pure analysis {best['pure']:.2f} s"
    )
    document = json.loads((workdir / "analyze.json").read_text(encoding="utf-8"))
    shares = [row for row in document["stability"] if row["selected_share"] != "0.000"]
    print(
        f"    stability rows {len(document['stability']):,}, of which ever selected: {len(shares)}; "
        f"margins {[(m['group'], m['points']) for m in document['margins']]}"
    )
    if args.profile:
        print("\nprofile of one analyze run (cumulative), to stderr:", flush=True)
        run_phase(__file__, [*analyze_args[:-1], str(workdir / "profile.json"), "--profile"], database)


if __name__ == "__main__":
    main()
