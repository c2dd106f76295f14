"""How long an applicant import holds SQLite's write lock (issue 9 item 3): a 90,000-row file
previewed (dry run) and imported (new, then every row changed) into a fresh SQLite file.

    .venv/bin/python bench/import_lock_bench.py [--rows 90000]

Each phase runs in a process of its own against its own database file. The write transactions
are timed inside that process: from the ``BEGIN IMMEDIATE`` statement (SQLite's
``transaction_mode``, config/settings.py: the write lock is taken there) to the connection's
``commit()`` or ``rollback()``. The phases inside the import's transaction are timed by wrapping
the importer's hooks (``lock``, ``prepare``, ``write``); the rest of the transaction is the
rows' check (``build``/``compare``). Not a timed test: it reports numbers, for the engine it
finds in the working tree (run it on an older commit to compare).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PHASES = ("preview", "import", "update")


class TransactionClock:
    """Spans of the default connection's write transactions: [start, end, CPU at start, CPU at end]
    in seconds (wall clock, and this process's CPU time)."""

    def __init__(self):
        self.spans: list[list[float]] = []

    def install(self) -> None:
        from django.db import connection

        connection.ensure_connection()
        connection.execute_wrappers.append(self._execute)
        for name in ("commit", "rollback"):
            original = getattr(connection, name)

            def ended(original=original):
                original()
                if self.spans and self.spans[-1][1] is None:
                    self.spans[-1][1], self.spans[-1][3] = time.perf_counter(), time.process_time()

            setattr(connection, name, ended)

    def _execute(self, execute, sql, params, many, context):
        if sql.startswith("BEGIN"):
            self.spans.append([time.perf_counter(), None, time.process_time(), None])
        return execute(sql, params, many, context)

    def longest(self) -> tuple[float, float]:
        """The longest transaction: (wall seconds, CPU seconds)."""
        done = [(end - start, cpu_end - cpu) for start, end, cpu, cpu_end in self.spans if end is not None]
        return max(done, default=(0.0, 0.0))


def timed_hooks(importer_class) -> dict:
    """Wrap the importer's hooks; returns name → seconds spent in them inside a transaction."""
    from django.db import connection

    spent = {"lock": 0.0, "prepare": 0.0, "write": 0.0}
    for name in spent:
        original = getattr(importer_class, name)

        def wrapper(self, *args, original=original, name=name, **kwargs):
            started = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                if connection.in_atomic_block:
                    spent[name] += time.perf_counter() - started

        setattr(importer_class, name, wrapper)
    return spent


def phase(name: str, path: Path, changed: Path) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    from evaluation.domain.competition_file import load_competition_file
    from proposals.importing.applicants import ProposalImporter
    from proposals.importing.engine import run_import
    from proposals.models import Proposal

    call_command("migrate", verbosity=0)
    competition = load_competition_file(ROOT / "fixtures" / "smartcity-2023" / "competition.toml").competition
    if name == "update":  # the 90,000 proposals exist; the file changes every row
        first = run_import(
            ProposalImporter(competition), path.read_bytes(), filename=path.name, dry_run=False
        )
        assert first.applied, first.errors[:3]
        path = changed
    clock = TransactionClock()
    clock.install()
    spent = timed_hooks(ProposalImporter)
    started = time.perf_counter()
    cpu = time.process_time()
    report = run_import(
        ProposalImporter(competition), path.read_bytes(), filename=path.name, dry_run=name == "preview"
    )
    seconds = time.perf_counter() - started
    assert report.ok, report.errors[:3]
    return {
        "phase": name,
        "seconds": seconds,
        "cpu": time.process_time() - cpu,
        "transactions": len(clock.spans),
        "longest": clock.longest()[0],
        "longest_cpu": clock.longest()[1],
        "spent": spent,
        "counts": report.counts,
        "proposals": Proposal.objects.count(),
    }


def run_phase(name: str, path: Path, changed: Path, workdir: Path) -> dict:
    database = workdir / f"{name}.sqlite3"
    for leftover in workdir.glob(f"{name}.sqlite3*"):
        leftover.unlink()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "bench-only",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    output = subprocess.run(
        [sys.executable, __file__, "--phase", name, str(path), str(changed)],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if output.returncode:
        raise SystemExit(f"phase {name} failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def build_files(workdir: Path, rows: int) -> tuple[Path, Path]:
    from openpyxl import load_workbook

    from bench.import_bench import build_file

    path = workdir / f"applicants-{rows}.xlsx"
    changed = workdir / f"applicants-{rows}-changed.xlsx"
    if path.exists() and changed.exists():
        return path, changed
    build_file(path, rows)
    # The same file with every row's 국비 changed (an update of all 90,000 proposals).
    from openpyxl import Workbook

    source = load_workbook(path, read_only=True)
    target = Workbook(write_only=True)
    sheet = target.create_sheet("지원자")
    for number, row in enumerate(source.worksheets[0].iter_rows(values_only=True)):
        row = list(row)
        if number:
            row[7] = 150
        sheet.append(row)
    target.save(changed)
    return path, changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=90_000)
    parser.add_argument("--phases", default=",".join(PHASES), help="comma-separated: preview,import,update")
    parser.add_argument("--workdir", help="a folder to keep the files in (reused when present)")
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, Path(args.files[0]), Path(args.files[1]))))
        return

    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="import-lock-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    path, changed = build_files(workdir, args.rows)
    print(
        f"file: {args.rows:,} rows, {path.stat().st_size / 1048576:.1f} MB (built in {time.perf_counter() - started:.1f} s)"
    )
    print(
        f"{'phase':<9} {'run s':>7} {'CPU s':>7} {'write transactions':>19} {'longest s':>10} {'its CPU s':>10}"
        "   inside (s): lock / prepare / check / write"
    )
    for name in args.phases.split(","):
        result = run_phase(name, path, changed, workdir)
        spent = result["spent"]
        check = max(0.0, result["longest"] - sum(spent.values())) if result["transactions"] else 0.0
        inside = (
            f"{spent['lock']:.2f} / {spent['prepare']:.2f} / {check:.2f} / {spent['write']:.2f}"
            if result["transactions"]
            else "—"
        )
        print(
            f"{name:<9} {result['seconds']:>7.2f} {result['cpu']:>7.2f} {result['transactions']:>19} "
            f"{result['longest']:>10.2f} {result['longest_cpu']:>10.2f}   {inside}   {result['counts']}"
        )


if __name__ == "__main__":
    main()
