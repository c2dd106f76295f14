"""Export benchmark (SPEC §6 ``export_results``): the results workbook of a competition of
20,000 proposals × 7 submitted sheets × 15 criteria in a fresh SQLite file (the data of
``bench/rank_bench.py``, its competition file imported from it); (a) bare openpyxl — ``Workbook(write_only=True)``
writing exactly the sheet names and cell values that ``export_results`` wrote, and saving —
against (b) ``manage.py export_results`` (``call_command``) over the same file, in one run.

    .venv/bin/python bench/export_bench.py [--proposals 20000] [--repeat 3] [--profile]

Each measurement runs in a process of its own, the two alternating; the best of ``--repeat`` is
reported, with the ratio b/a (target ≤ 1.5) and the peak RSS of each process and of a process that
only runs ``django.setup()`` (target: peak RSS of (b) ≤ 2 × that of a bare writer fed the same
rows one by one + the bare Django process; (a) itself holds every cell in memory to be timed).
The cells (a) writes are read from the workbook (b) wrote, with openpyxl read-only in this process,
untimed, and handed to (a) in a pickle it loads before its clock starts: (a) holds every cell in
memory, as the export holds its ranking. (b)'s ``django.setup()`` is not counted (reported apart).
The data are built with ``proposals.bulk.insert_rows``, not through the importers.
``--profile`` adds a cProfile of one (b) run, by cumulative time, to stderr. Not a timed test.
"""

import argparse
import json
import pickle
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

# The competition file and its criteria are rank_bench's (bench/ is on the path above).
from phases import peak_rss_mb, run_phase  # noqa: E402
from rank_bench import CRITERIA, SHEETS, SLUG  # noqa: E402
from rank_bench import build as rank_build  # noqa: E402

# --- Building the file (a process of its own) ------------------------------------------------


def build(proposals: int) -> dict:
    """rank_bench's file: ``proposals`` proposals (3 tracks) × 7 submitted sheets × 15 criteria."""
    return rank_build(proposals)


# --- The measurements (each a process of its own) ----------------------------------------------


def phase_bare(cells: Path, out: Path) -> dict:
    """Write the pickled sheets with a bare write-only workbook; only writing and saving timed."""
    from openpyxl import Workbook

    with cells.open("rb") as handle:
        sheets = pickle.load(handle)
    loaded = peak_rss_mb()
    started = time.perf_counter()
    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(out)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "loaded_rss_mb": loaded}


def phase_export(out: Path, profile: bool = False) -> dict:
    import django

    setup_started = time.perf_counter()
    django.setup()
    from io import StringIO

    from django.core.management import call_command

    setup = time.perf_counter() - setup_started
    loaded = peak_rss_mb()
    buffer = StringIO()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.runcall(call_command, "export_results", competition=SLUG, out=str(out), stdout=buffer)
        seconds = time.perf_counter() - started
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    else:
        started = time.perf_counter()
        call_command("export_results", competition=SLUG, out=str(out), stdout=buffer)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "django_setup_seconds": setup, "loaded_rss_mb": loaded}


def phase_stream(lines: Path, out: Path) -> dict:
    """The memory a bare write-only workbook needs: the same cells streamed row by row from a
    JSON-lines file (never all in memory), written and saved. Not timed (reading the lines is
    not writing); its peak RSS is the baseline of the memory target."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = None
    with lines.open(encoding="utf-8") as handle:
        for line in handle:
            item = json.loads(line)
            if isinstance(item, str):
                sheet = workbook.create_sheet(item)
            else:
                sheet.append(item)
    workbook.save(out)
    return {}


def phase_cells(exported: Path, cells: Path, lines: Path) -> dict:
    """Read the exported workbook's cells; store them for the bare writer (pickled, to be held in
    memory) and for the streaming one (JSON lines: a sheet's title, then its rows)."""
    started = time.perf_counter()
    sheets = read_cells(exported)
    with cells.open("wb") as handle:
        pickle.dump(sheets, handle, protocol=pickle.HIGHEST_PROTOCOL)
    with lines.open("w", encoding="utf-8") as handle:
        for title, rows in sheets:
            handle.write(json.dumps(title, ensure_ascii=False) + "\n")
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    return {
        "seconds": time.perf_counter() - started,
        "sheets": len(sheets),
        "cells": sum(len(row) for _title, rows in sheets for row in rows),
        "shown": "; ".join(f"{title} {len(rows):,}" for title, rows in sheets),
    }


def phase_django() -> dict:
    import django

    django.setup()
    return {}


def run(args: list[str], database: Path, stderr=None, timeout=None) -> dict | None:
    """A phase of this script in a process of its own (``phases.run_phase``)."""
    return run_phase(__file__, args, database, stderr=stderr, timeout=timeout)


def read_cells(path: Path) -> list[tuple[str, list[tuple]]]:
    """(title, rows) of every sheet of ``path``, values only, trailing empty cells dropped."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    sheets = []
    for sheet in workbook.worksheets:
        rows = []
        for row in sheet.iter_rows(values_only=True):
            values = list(row)
            while values and values[-1] is None:
                values.pop()
            rows.append(tuple(values))
        sheets.append((sheet.title, rows))
    workbook.close()
    return sheets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=20_000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each measurement; the best is reported"
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds before an export run is given up")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one export run")
    parser.add_argument(
        "--phase", choices=("build", "cells", "bare", "stream", "export", "django"), help=argparse.SUPPRESS
    )
    parser.add_argument("--lines", help=argparse.SUPPRESS)
    parser.add_argument("--cells", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        if args.phase == "build":
            result = build(args.proposals)
        elif args.phase == "bare":
            result = phase_bare(Path(args.cells), Path(args.out))
        elif args.phase == "cells":
            result = phase_cells(Path(args.out), Path(args.cells), Path(args.lines))
        elif args.phase == "stream":
            result = phase_stream(Path(args.cells), Path(args.out))
        elif args.phase == "export":
            result = phase_export(Path(args.out), args.profile)
        else:
            result = phase_django()
        result["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(result))
        return

    workdir = Path(tempfile.mkdtemp(prefix="export-bench-"))
    database = workdir / "export-bench.sqlite3"
    built = run(["--phase", "build", "--proposals", str(args.proposals)], database)
    size = database.stat().st_size / 1048576
    print(
        f"file: {args.proposals:,} proposals × {SHEETS} sheets × {CRITERIA} criteria = "
        f"{built['sheets']:,} sheets, {built['scores']:,} scores; {size:.0f} MB (built in {built['seconds']:.1f} s)",
        flush=True,
    )
    exported, written, cells = workdir / "results.xlsx", workdir / "bare.xlsx", workdir / "cells.pickle"
    lines = workdir / "cells.jsonl"
    bares, exports = [], []
    for _attempt in range(args.repeat):  # alternate, so machine noise hits both alike
        if not exports or exports[-1] is not None:
            result = run(["--phase", "export", "--out", str(exported)], database, timeout=args.timeout)
            exports.append(result)
        if not cells.exists():
            if result is None:
                print(f"(b) export_results did not finish within {args.timeout:.0f} s: nothing to compare")
                return
            # In a process of its own: on Linux a child's peak RSS starts from its parent's at the
            # fork, so a parent holding the cells would inflate every later measurement.
            found = run(
                ["--phase", "cells", "--out", str(exported), "--cells", str(cells), "--lines", str(lines)],
                database,
            )
            print(
                f"workbook: {exported.stat().st_size / 1048576:.1f} MB, {found['sheets']} sheets, "
                f"{found['cells']:,} cells (rows: {found['shown']}); read back in {found['seconds']:.1f} s",
                flush=True,
            )
        bares.append(run(["--phase", "bare", "--cells", str(cells), "--out", str(written)], database))
    bare_django = run(["--phase", "django"], database)
    streamed = run(
        ["--phase", "stream", "--cells", str(lines), "--out", str(workdir / "streamed.xlsx")], database
    )
    bare = min(bares, key=lambda r: r["seconds"])
    finished = [r for r in exports if r is not None]
    shown = ", ".join("timeout" if r is None else f"{r['seconds']:.2f}" for r in exports)
    times = ", ".join(f"{r['seconds']:.2f}" for r in bares)
    print(f"runs (seconds): bare {times}; export_results {shown}; best of {args.repeat} below")
    bare_rss = max(r["peak_rss_mb"] for r in bares)
    print(
        f"(a) bare openpyxl write-only + save: {bare['seconds']:8.2f} s   peak RSS {bare_rss:.0f} MB "
        f"(of which the cells loaded: {bare['loaded_rss_mb']:.0f} MB)"
    )
    django_rss = bare_django["peak_rss_mb"]
    if finished:
        best = min(finished, key=lambda r: r["seconds"])
        export_rss = max(r["peak_rss_mb"] for r in finished)
        print(
            f"(b) export_results (call_command):   {best['seconds']:8.2f} s   peak RSS {export_rss:.0f} MB "
            f"(of which Django loaded: {best['loaded_rss_mb']:.0f} MB)"
        )
        print(
            f"    (django.setup() before each export run, not counted: "
            f"{min(r['django_setup_seconds'] for r in finished):.2f} s)"
        )
        print(f"ratio b/a: {best['seconds'] / bare['seconds']:.2f}  (target ≤ 1.5)")
        # (a)'s peak is mostly the cells it holds to be timed fairly; the memory baseline is the
        # same writer fed row by row.
        stream_rss = streamed["peak_rss_mb"]
        limit = 2 * stream_rss + django_rss
        print(
            f"peak RSS: (b) {export_rss:.0f} MB vs 2 × bare streaming writer ({stream_rss:.0f} MB) + bare Django "
            f"({django_rss:.0f} MB) = {limit:.0f} MB  ({'met' if export_rss <= limit else 'missed'})"
        )
    else:
        print(f"(b) export_results (call_command) > {args.timeout:.0f} s (timed out)")
        print(f"bare Django process (django.setup() only): peak RSS {django_rss:.0f} MB")
    if args.profile:
        print("\nprofile of one export_results run (cumulative), to stderr:", flush=True)
        profiled = ["--phase", "export", "--profile", "--out", str(workdir / "profile.xlsx")]
        run(profiled, database, timeout=args.timeout)


if __name__ == "__main__":
    main()
