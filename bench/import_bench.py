"""Import benchmark (issue 2): a 50,000-row applicant file, read (a) by plain openpyxl and
(b) through the full import into a fresh SQLite database, in one run.

    .venv/bin/python bench/import_bench.py [--rows 50000] [--repeat 3]

Prints both times, the ratio b/a and the peak memory (RSS) of each phase, each phase measured
in a process of its own. Targets (issue 11): b/a ≤ 1.0, peak memory ≤ 150 MB above the process
with the project's Django loaded and migrated (its RSS just before the import starts).
Not a timed test: it reports numbers.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_file(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("지원자")
    sheet.append(
        [
            "트랙",
            "광역",
            "지자체",
            "사업명",
            "주요내용",
            "대표솔루션",
            "참여기관",
            "국비",
            "지방비",
            "접수번호",
            "접수일",
            "상태",
        ]
    )
    tracks = ("hub", "climate", "depopulation")
    for n in range(rows):
        track = tracks[n % 3]
        sheet.append(
            [
                track,
                f"광역{n % 17:02d}",
                f"지자체 {n:06d}",
                f"스마트시티 사업 {n}",
                "도시 문제를 해결하는 스마트 서비스 구축",
                "수요응답형 교통\n스마트 헬스케어",
                "한국대학교, 스마트기업, 지역진흥원",
                200 if track == "hub" else 120,
                "1,200" if n % 7 == 0 else 120,
                f"B-{n:06d}",
                "2023-03-31",
                "접수",
            ]
        )
    workbook.save(path)


def plain_read(path: Path) -> int:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    count = 0
    for _row in workbook.worksheets[0].iter_rows(values_only=True):
        count += 1
    workbook.close()
    return count


def phase_plain(path: Path) -> dict:
    started = time.perf_counter()
    rows = plain_read(path)
    return {"seconds": time.perf_counter() - started, "rows": rows}


def phase_import(path: Path) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    from evaluation.domain.competition_file import load_competition_file
    from proposals.importing.applicants import ProposalImporter
    from proposals.importing.engine import run_import
    from proposals.models import Proposal

    call_command("migrate", verbosity=0)
    competition = load_competition_file(ROOT / "fixtures" / "smartcity-2023" / "competition.toml").competition
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    report = run_import(ProposalImporter(competition), path.read_bytes(), filename=path.name, dry_run=False)
    seconds = time.perf_counter() - started
    assert report.ok and report.applied, report.errors[:5] or report.file_error
    return {"seconds": seconds, "rows": Proposal.objects.count(), "baseline_rss_mb": baseline}


def run_phase(phase: str, path: Path, database: Path) -> dict:
    """Each phase in its own process, so its peak memory is its own."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "bench-only",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    output = subprocess.run(
        [sys.executable, __file__, "--phase", phase, str(path)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each phase; the best is reported")
    parser.add_argument("--phase", choices=("plain", "import"), help=argparse.SUPPRESS)
    parser.add_argument("file", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        result = (phase_plain if args.phase == "plain" else phase_import)(Path(args.file))
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    workdir = Path(tempfile.mkdtemp(prefix="import-bench-"))
    path = workdir / "applicants-50k.xlsx"
    started = time.perf_counter()
    build_file(path, args.rows)
    size = path.stat().st_size / 1048576
    print(f"file: {args.rows:,} rows, {size:.1f} MB (built in {time.perf_counter() - started:.1f} s)")
    plains, fulls = [], []
    for attempt in range(args.repeat):  # alternate the phases so machine noise hits both alike
        plains.append(run_phase("plain", path, workdir / "unused.sqlite3"))
        fulls.append(run_phase("import", path, workdir / f"bench-{attempt}.sqlite3"))
        assert fulls[-1]["rows"] == args.rows
    plain = min(plains, key=lambda r: r["seconds"])
    full = min(fulls, key=lambda r: r["seconds"])
    every = "; ".join(f"{p['seconds']:.1f}/{f['seconds']:.1f}" for p, f in zip(plains, fulls, strict=True))
    print(f"runs (a/b seconds): {every}; best of {args.repeat} below")
    print(
        f"(a) openpyxl read-only iteration: {plain['seconds']:6.2f} s  peak RSS {plain['peak_rss_mb']:.0f} MB"
    )
    print(
        f"(b) full import into SQLite:      {full['seconds']:6.2f} s  peak RSS "
        f"{max(f['peak_rss_mb'] for f in fulls):.0f} MB (of which Django loaded: {full['baseline_rss_mb']:.0f} MB)"
    )
    above = max(f["peak_rss_mb"] - f["baseline_rss_mb"] for f in fulls)
    print(f"ratio b/a: {full['seconds'] / plain['seconds']:.2f}  (target ≤ 1.0)")
    print(f"peak RSS above Django: {above:.0f} MB  (target ≤ 150 MB)")


if __name__ == "__main__":
    main()
