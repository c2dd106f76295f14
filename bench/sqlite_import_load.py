"""SQLite under a large import preview (issue 9 item 3): 10 reviewers sign in and save their
scoresheets through the real sheet page while an admin uploads a 90,000-row applicant file
through the web preview; afterwards every acknowledged save is checked against the database.

    .venv/bin/python -m pip install gunicorn              # the bench extra: pip install -e '.[bench]'
    .venv/bin/python bench/sqlite_import_load.py [--rows 90000] [--reviewers 10] [--workdir DIR]

The default database of the project: a SQLite file (WAL, ``transaction_mode: IMMEDIATE``, the
settings' ``timeout``) in a temporary folder, set up through the app's own services as
bench/load_bench.py sets up PostgreSQL (the 2023 competition file, proposals, reviewers with
their assignments, pledges, no conflict) plus one admin. gunicorn with 2 sync workers on a free
loopback port, production settings (DEBUG off, HTTPS redirect, HSTS; the bench is the TLS proxy:
``X-Forwarded-Proto: https``), ``--timeout 600`` so the preview's worker is not killed while it
reads the file (a 90,000-row preview takes longer than gunicorn's default 30 s on this machine).

At the start the admin signs in, opens the upload page and posts the file (multipart, as a
browser sends it); at the same moment each reviewer signs in and starts saving: open the sheet,
save a draft with random valid points, follow the redirect, … submit after 1–4 drafts, next
assignment — bench/load_bench.py's Reviewer, closed loop. The reviewers go on until the preview
has answered (302 to the preview page) and for ``--after`` seconds more; then the admin opens the
preview. A save counts as acknowledged when the server answers 302 back to the sheet; any other
answer (a 500 "database is locked", a 503 "busy") is an error — the reviewer's typed input is
not saved. After the run a verifying process compares the database with the acknowledgements
(bench/load_bench.py's ``verify``: every acknowledged save's values, version and audit trail,
and nothing else changed). Exit status 1 on any error or lost save.
"""

import argparse
import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load_bench  # noqa: E402
from bench.load_bench import (  # noqa: E402
    CSRF_RE,
    LOGIN,
    SAVE,
    SHEET,
    SUBMIT,
    Client,
    Recorder,
    Refused,
    Reviewer,
    free_port,
    percentile,
    stop_gunicorn,
)

ADMIN = "load-admin"
UPLOAD = "upload + preview (POST, admin)"
PREVIEW = "preview page (GET, admin)"
CONFIRM = "confirm import (POST, admin)"
SHA256_RE = re.compile(r'name="sha256" value="([0-9a-f]{64})"')
IMPORT_AUDIT = ("competition", "proposal", "applicant")  # what an applied import records


# --- Set-up and verification (processes of their own, Django loaded) -----------------------------


def setup(args) -> dict:
    """bench/load_bench.py's data, and an admin."""
    plan = load_bench.setup(
        args.reviewers * args.assignments // args.per_proposal, args.reviewers, args.per_proposal, args.seed
    )
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from accounts.roles import Role

    admin = get_user_model().objects.create(
        username=ADMIN, password=make_password(load_bench.PASSWORD), first_name="시스템 관리자"
    )
    admin.groups.add(Group.objects.get(name=Role.ADMIN.value))
    plan["admin"] = ADMIN
    return plan


def verify(plan_path: str, log_path: str) -> dict:
    checked = load_bench.verify(
        json.loads(Path(plan_path).read_text()), json.loads(Path(log_path).read_text())
    )
    from proposals.models import ImportUpload, Proposal

    upload = ImportUpload.objects.order_by("-uploaded_at").first()
    checked["upload"] = (
        None if upload is None else {"counts": upload.summary.get("counts"), "state": upload.state}
    )
    checked["proposals"] = Proposal.objects.count()
    # An applied import's own audit entries are not the reviewers' business: counted apart.
    imported = [
        line
        for line in checked["unacknowledged"]
        if any(line.endswith(f"audit entries for {kind} records") for kind in IMPORT_AUDIT)
    ]
    checked["unacknowledged"] = [line for line in checked["unacknowledged"] if line not in imported]
    checked["import_audit"] = imported
    return checked


# --- The admin's upload ---------------------------------------------------------------------------


class Admin(Client):
    """The admin's browser: signs in, opens the upload page, posts the file, opens the preview."""

    def multipart(self, path: str, fields: dict, filename: str, content: bytes):
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",
            "User-Agent": "gongmo-load-bench",
            "Accept-Language": "ko",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Origin": self.origin,
            "Referer": self.origin + path,
        }
        self.connection.close()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=900)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        return response.status, response.headers.get("Location", ""), text

    def upload(self, slug: str, path: Path, started: float) -> dict:
        url = f"/manage/competitions/{slug}/import/proposals/"
        page = self.timed("upload page (GET, admin)", "GET", url)
        token = CSRF_RE.search(page).group(1)
        began = time.perf_counter()
        status, location, text = self.multipart(
            url, {"csrfmiddlewaretoken": token}, path.name, path.read_bytes()
        )
        seconds = time.perf_counter() - began
        ok = status == 302 and location.startswith("/manage/imports/")
        self.recorder.add(UPLOAD, 0, began - started, seconds, ok, f"HTTP {status} {location} {text[:200]}")
        return {"status": status, "location": location, "seconds": seconds, "ok": ok}

    def preview(self, location: str) -> str:
        self.connection.close()
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        return self.timed(PREVIEW, "GET", location)

    def confirm(self, location: str, page: str, started: float) -> dict:
        """Confirm the previewed file (the form on the preview page)."""
        form = {
            "csrfmiddlewaretoken": CSRF_RE.search(page).group(1),
            "sha256": SHA256_RE.search(page).group(1),
        }
        self.connection.close()
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=900)
        began = time.perf_counter()
        status, where, _text = self.request("POST", f"{location}confirm/", form)
        seconds = time.perf_counter() - began
        ok = status == 302 and where.endswith("/result/")
        self.recorder.add(CONFIRM, 0, began - started, seconds, ok, f"HTTP {status} {where}")
        return {"status": status, "seconds": seconds, "ok": ok}


# --- The run -------------------------------------------------------------------------------------


def reviewer_loop(reviewer: Reviewer, username: str, stop: threading.Event, failures: list):
    try:
        while not stop.is_set():  # sign in (again, if refused: a person would)
            try:
                reviewer.login(username)
                break
            except Refused:
                time.sleep(0.5)
        while not stop.is_set():
            try:
                if not reviewer.step():
                    break
            except Refused:
                reviewer.version = reviewer.expected_version = None  # reopen the page before saving
        reviewer.close()
    except Exception as failure:  # a bug in the bench itself
        failures.append(repr(failure))
        stop.set()


def summary(rows, kind) -> dict:
    mine = [r for r in rows if r[0] == kind]
    latencies = [r[3] * 1000 for r in mine] or [0.0]
    return {
        "requests": len(mine),
        "errors": sum(1 for r in mine if not r[4]),
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "max": max(latencies),
    }


def measure(args, plan, port, server, env, workdir, path) -> int:
    recorder = Recorder()
    started = time.perf_counter()

    def clock():
        return 0, time.perf_counter() - started

    stop, failures = threading.Event(), []
    admin = Admin(port, recorder, clock)
    admin.login(ADMIN)
    reviewers = [
        Reviewer(port, recorder, clock, plan["slug"], entry["assignments"], seed=args.seed + n)
        for n, entry in enumerate(plan["reviewers"])
    ]
    threads = [
        threading.Thread(target=reviewer_loop, args=(r, e["username"], stop, failures), daemon=True)
        for r, e in zip(reviewers, plan["reviewers"], strict=True)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    uploaded = admin.upload(plan["slug"], path, started)
    answered = time.perf_counter() - started
    time.sleep(args.after)
    preview_text = admin.preview(uploaded["location"]) if uploaded["ok"] else ""
    confirmed, confirm_span = None, None
    if args.confirm and uploaded["ok"]:
        confirm_began = time.perf_counter() - started
        confirmed = admin.confirm(uploaded["location"], preview_text, started)
        confirm_span = (confirm_began, time.perf_counter() - started)
        time.sleep(args.after)
    stop.set()
    for thread in threads:
        thread.join(120)
    ended = time.perf_counter() - started
    if failures:
        raise SystemExit(f"the bench failed: {failures[0]}")

    log = {"acked": {}, "uncertain": {}}
    for reviewer in reviewers:
        log["acked"].update(reviewer.acked)
        log["uncertain"].update(reviewer.uncertain)
    (workdir / "log.json").write_text(json.dumps(log))
    stop_gunicorn(server)
    checked = phase(["--phase", "verify", str(workdir / "plan.json"), str(workdir / "log.json")], env)

    rows = recorder.rows
    during = [r for r in rows if r[2] <= answered]
    spans = [("while the preview ran", during)]
    if confirm_span is not None:
        spans.append(
            (
                "while the import was confirmed",
                [r for r in rows if confirm_span[0] <= r[2] <= confirm_span[1]],
            )
        )
    print(
        f"\nSQLite file (WAL), gunicorn {args.workers} sync workers (--timeout 600); {len(reviewers)} reviewers; "
        f"the admin's upload + preview answered after {uploaded['seconds']:.1f} s "
        f"(HTTP {uploaded['status']}), reviewers went on {args.after:.0f} s more ({ended:.1f} s in all)"
    )
    print(f"  {'':<34} {'requests':>8} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for label, subset in (*spans, ("whole run", rows)):
        print(f" {label}")
        for kind in (LOGIN, SHEET, SAVE, SUBMIT):
            figures = summary(subset, kind)
            print(
                f"  {kind:<34} {figures['requests']:>8,} {figures['errors']:>7} {figures['p50']:>8.0f} "
                f"{figures['p95']:>8.0f} {figures['max']:>8.0f}"
            )
    shown = re.search(r"신규 [\d,]+건[^<]*", preview_text)
    written = (
        "" if confirmed else f"; proposals written by the preview: {checked['proposals'] - plan['proposals']}"
    )
    print(f"  preview page: {shown.group(0) if shown else '—'!r}{written}")
    if confirmed is not None:
        print(
            f"  confirm: HTTP {confirmed['status']} after {confirmed['seconds']:.1f} s; proposals in the database "
            f"{checked['proposals']:,} ({checked['proposals'] - plan['proposals']:,} imported); the import's own "
            f"audit entries: {'; '.join(checked['import_audit']) or 'none'}"
        )
    errors = recorder.errors
    saves = [r for r in rows if r[0] in (SAVE, SUBMIT)]
    print(
        f"\nsaves and submissions sent: {len(saves):,}, acknowledged: {checked['acknowledged_writes']:,} "
        f"on {checked['sheets']:,} sheets ({checked['submitted']:,} submitted)"
    )
    exhausted = sum(1 for reviewer in reviewers if reviewer.exhausted)
    if exhausted:
        print(f"  note: {exhausted} reviewer(s) ran out of assignments before the end (raise --assignments)")
    print(
        f"verified in the database: lost saves {len(checked['lost'])}, unacknowledged changes "
        f"{len(checked['unacknowledged'])}, unanswered or refused writes {len(checked['uncertain'])}; "
        f"errors {len(errors)}"
    )
    kinds = {}
    for kind, description in errors:
        key = (kind, re.sub(r"/\d+/", "/…/", description)[:90])
        kinds[key] = kinds.get(key, 0) + 1
    for (kind, description), count in sorted(kinds.items(), key=lambda item: -item[1])[:10]:
        print(f"  {count:>4} × {kind}: {description}")
    for line in (checked["lost"] + checked["unacknowledged"])[:10]:
        print(f"  {line}")
    bad = errors or checked["lost"] or checked["unacknowledged"] or not uploaded["ok"]
    bad = bad or (confirmed is not None and not confirmed["ok"])
    return 1 if bad else 0


def phase(arguments: list[str], env: dict) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, *arguments],
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=90_000, help="rows of the applicant file")
    parser.add_argument("--reviewers", type=int, default=10)
    parser.add_argument(
        "--assignments", type=int, default=150, help="assignments per reviewer (enough not to run out)"
    )
    parser.add_argument("--per-proposal", type=int, default=5, help="reviewers per proposal")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--after", type=float, default=5, help="seconds of saves after the preview answered")
    parser.add_argument("--confirm", action="store_true", help="then confirm the import (the real write)")
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--workdir", help="a folder for the file (reused when present) and the database")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--phase", choices=("setup", "verify"), help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "setup":
        print(json.dumps(setup(args)))
        return
    if args.phase == "verify":
        import django

        django.setup()
        print(json.dumps(verify(*args.files)))
        return

    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="sqlite-import-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"applicants-{args.rows}.xlsx"
    if not path.exists():
        from bench.import_bench import build_file

        began = time.perf_counter()
        build_file(path, args.rows)
        print(
            f"file: {args.rows:,} rows, {path.stat().st_size / 1048576:.1f} MB (built in {time.perf_counter() - began:.1f} s)"
        )
    run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=workdir))
    database = run_dir / "db.sqlite3"
    (run_dir / f"{load_bench.SETTINGS_MODULE}.py").write_text(
        f"from config.settings import *  # noqa: F403\n\nSTATIC_ROOT = {str(run_dir / 'static')!r}\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")},
        "DJANGO_SETTINGS_MODULE": load_bench.SETTINGS_MODULE,
        "PYTHONPATH": os.pathsep.join([str(run_dir), str(ROOT)]),
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_PROXY_SSL_HEADER": "1",
        "CONN_MAX_AGE": "60",
        "GUNICORN_CMD_ARGS": "--timeout 600",
    }
    server = None
    try:
        plan = phase(
            [
                "--phase",
                "setup",
                "--reviewers",
                str(args.reviewers),
                "--assignments",
                str(args.assignments),
                "--per-proposal",
                str(args.per_proposal),
                "--seed",
                str(args.seed),
            ],
            env,
        )
        (run_dir / "plan.json").write_text(json.dumps(plan))
        print(
            f"database {database}: {plan['proposals']} proposals, {plan['assignments']:,} assignments, "
            f"{args.reviewers} reviewers (set up in {plan['seconds']:.1f} s); file {path.name} "
            f"({path.stat().st_size / 1048576:.1f} MB)",
            flush=True,
        )
        port = free_port()
        server = load_bench.start_gunicorn(
            env, port, argparse.Namespace(workers=args.workers, worker_class="sync", threads=1), run_dir
        )
        code = measure(args, plan, port, server, env, run_dir, path)
    finally:
        if server is not None:
            stop_gunicorn(server)
        if args.keep:
            print(f"kept: {run_dir}")
        else:
            with contextlib.suppress(OSError):
                shutil.rmtree(run_dir)
    sys.exit(code)


if __name__ == "__main__":
    main()
