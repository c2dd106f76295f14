"""Import benchmark (issue 2): a 50,000-row applicant file, read (a) by plain openpyxl and
(b) through the full import into a fresh SQLite database, in one run.

    .venv/bin/python bench/import_bench.py [--rows 50000]

Prints both times, the ratio b/a and the peak memory of each phase (tracemalloc peak of Python
allocations, and the process's peak RSS). Targets: b/a ≤ 1.5, peak memory under 200 MB.
Not a timed test: it reports numbers.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
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


def measure(function):
    tracemalloc.start()
    started = time.perf_counter()
    result = function()
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="import-bench-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from proposals.domain.competition_file import load_competition_file
    from proposals.importing.applicants import ProposalImporter
    from proposals.importing.engine import run_import
    from proposals.models import Proposal

    call_command("migrate", verbosity=0)
    competition = load_competition_file(ROOT / "fixtures" / "smartcity-2023" / "competition.toml").competition

    path = workdir / "applicants-50k.xlsx"
    started = time.perf_counter()
    build_file(path, args.rows)
    print(
        f"file: {args.rows:,} rows, {path.stat().st_size / 1048576:.1f} MB (built in {time.perf_counter() - started:.1f} s)"
    )

    rows, plain_seconds, plain_peak = measure(lambda: plain_read(path))
    content = path.read_bytes()
    report, import_seconds, import_peak = measure(
        lambda: run_import(ProposalImporter(competition), content, filename=path.name, dry_run=False)
    )
    assert report.ok and report.applied, report.errors[:5] or report.file_error
    assert Proposal.objects.count() == args.rows
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(
        f"(a) openpyxl read-only iteration: {plain_seconds:6.2f} s  ({rows:,} rows, peak {plain_peak / 1048576:.1f} MB)"
    )
    print(
        f"(b) full import into SQLite:     {import_seconds:6.2f} s  (peak Python allocations {import_peak / 1048576:.1f} MB)"
    )
    print(f"ratio b/a: {import_seconds / plain_seconds:.2f}  (target ≤ 1.5)")
    print(f"process peak RSS: {rss_mb:.0f} MB  (target < 200 MB)")


if __name__ == "__main__":
    main()
