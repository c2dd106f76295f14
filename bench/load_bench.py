"""Load benchmark (issue 5): gunicorn on a fresh local PostgreSQL database, 32 reviewers saving and
submitting their scoresheets while an official reloads the ranking page; afterwards every
acknowledged save must be in the database, and nothing else.

    .venv/bin/python bench/load_bench.py [--duration 30] [--reviewers 32] [--workers 2] [--keep]

Loopback only and bounded: a database ``gongmo_load_<pid>`` on 127.0.0.1:5432 (user postgres,
trust) is created, migrated and filled through the app's own services (``load_competition``,
``evaluation.assignments``, the ORM) in a process of its own, then served by gunicorn (``--workers``
sync workers; ``--worker-class gthread`` to compare) on a free port of 127.0.0.1 with the production
settings: DEBUG off, a random SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, HTTPS redirect, HSTS and Secure
cookies on, and ``CONN_MAX_AGE=60`` (``--conn-max-age``; each worker keeps its database connection).
The benchmark plays the TLS-terminating proxy of the README's deployment
(``SECURE_PROXY_SSL_HEADER=1``): every request carries ``X-Forwarded-Proto: https``, so nothing in
config/settings.py is switched off. The only setting added is STATIC_ROOT, to a temporary folder
for ``collectstatic`` (a settings module of two lines written there); static files are not
requested. The database is dropped at the end unless ``--keep``.

The load generator is this process (threads and ``http.client``, one connection and cookie jar per
client, the requests a browser would make, without static files). Every client signs in through
the real login form. The measured time is cut into windows of ``--window`` seconds that alternate
between two modes, all reviewers in the same mode:

* save windows: each reviewer opens its current sheet (GET; the version and CSRF token are read
  from the form), saves a draft with random valid points and comments, and after 1–4 drafts
  submits (POST), follows the redirect to the read-only sheet and opens its next assignment. A
  draft is saved as the sheet page saves it while the reviewer types (``--journey autosave``,
  the default: the form's fields posted in the background to ``autosave/``, answered in JSON
  with the new version, no redirect) or by the form's "save draft" button (``--journey form``:
  POST, then the GET of its redirect back to the sheet, which must show the next version);
* trivial windows: each reviewer reloads ``/review/`` (its list of competitions: one query after
  the session, user and role, then the base layout), the lightest logged-in page, as fast as it can.

The official reloads the ranking page throughout. Requests/s counts the answers received between a
window's start and its deadline, over those seconds; latencies and errors are those of the
requests sent in that span. After the deadline, each reviewer waits for its request in flight and
then for the others (a barrier) before the next window starts, so no window inherits a queue.
Alternating windows put both modes under the same conditions (warm workers, the same data, the
official's load, whatever else the machine does meanwhile): the trivial figure is the ceiling of
the stack with this many clients, and save throughput (draft and submit POSTs) is compared with it
(target ≥ 40 %).

A save or submission counts as acknowledged when the server answers 302 back to the sheet (a
background save: 200 with ``"status": "saved"`` and the next version). After
the run a verifying process compares the database with the acknowledgements: each sheet's last
acknowledged values, version and state; its audit trail holds exactly one version per acknowledged
save, with the values sent, and no sheet or score changed without one. The exit code is non-zero
on any error, lost save or unacknowledged change.
"""

import argparse
import contextlib
import http.client
import json
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from decimal import Decimal
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

POSTGRES = "postgres://postgres@127.0.0.1:5432"
COMPETITION_TOML = ROOT / "fixtures" / "smartcity-2023" / "competition.toml"
SLUG = "smartcity-2023"
STAGE = "document"
PASSWORD = "load-bench-reviewer-2023"
OFFICIAL = "load-official"
SETTINGS_MODULE = "load_bench_settings"
TIMEOUT = 60  # seconds a client waits for an answer before counting an error
KEEPALIVE_IDLE = 1.0  # seconds after which a client opens a new connection (gunicorn keeps one 2 s)
DRAFTS_BEFORE_SUBMIT = (1, 4)  # drafts per sheet before it is submitted, drawn uniformly
TARGET_RATIO = 0.40

VERSION_RE = re.compile(r'<input[^>]*name="version"[^>]*>')
VALUE_RE = re.compile(r'value="([^"]*)"')
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# Request kinds, as reported.
LOGIN = "login (POST)"
SHEET = "sheet page (GET)"
SAVE = "save draft (POST)"
AUTOSAVE = "autosave draft (POST, JSON)"
SUBMIT = "submit (POST)"
TRIVIAL = "trivial /review/ (GET)"
RANKING = "ranking (GET, official)"


# --- Setting up the database (a process of its own, Django loaded) ---------------------------


def setup(proposals: int, reviewers: int, per_proposal: int, seed: int) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection, transaction

    from accounts.roles import Role
    from evaluation.assignments import confirm_no_conflict, draw_assignments
    from evaluation.models import Assignment, Conflict, Panel, Reviewer, SecurityPledge, Stage
    from evaluation.sheets import criteria_for
    from portal.reviewer.views import PLEDGE_TEXT_VERSION
    from proposals.models import Applicant, AuditEntry, Competition, Proposal, Track

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("load_competition", str(COMPETITION_TOML), stdout=open(os.devnull, "w"))  # noqa: SIM115
    competition = Competition.objects.get(slug=SLUG)
    stage = Stage.objects.get(competition=competition, code=STAGE)
    tracks = list(Track.objects.filter(category__competition=competition).order_by("pk"))
    User = get_user_model()
    password = make_password(PASSWORD)  # one hash for every account: hashing is not what is measured
    with transaction.atomic():
        for number in range(1, proposals + 1):
            track = tracks[number % len(tracks)]
            applicant = Applicant.objects.create(province="가상도", name=f"가상시 {number:03d}")
            subsidy = Decimal(track.subsidy or 120)
            Proposal.objects.create(
                competition=competition,
                track=track,
                applicant=applicant,
                reference=f"L-{number:04d}",
                title=f"스마트시티 조성사업 {number}",
                summary="시민이 함께 만드는 스마트 모빌리티와 안전 서비스를 도시 전역에 도입합니다. " * 4,
                solutions=["자율주행 셔틀", "스마트 안전", "디지털 트윈"],
                partners=[],
                national_subsidy=subsidy,
                local_matching=subsidy,
            )
        reviewer_group = Group.objects.get(name=Role.REVIEWER.value)
        for number in range(1, reviewers + 1):
            username = f"load-reviewer-{number:02d}@example.com"
            user = User.objects.create(username=username, password=password, first_name=f"위원 {number}")
            user.groups.add(reviewer_group)
            reviewer = Reviewer.objects.create(
                user=user,
                name=f"평가위원 {number:02d}",
                affiliation=f"부하시험연구원 {number:02d}",
                email=username,
            )
            SecurityPledge.objects.create(
                reviewer=reviewer, competition=competition, text_version=PLEDGE_TEXT_VERSION
            )
        official = User.objects.create(username=OFFICIAL, password=password, first_name="담당 공무원")
        official.groups.add(Group.objects.get(name=Role.OFFICIAL.value))
    panel = Panel.objects.create(stage=stage, name="부하시험 평가위원회")  # the draw takes a panel's members
    panel.tracks.set(tracks)
    panel.members.set(Reviewer.objects.filter(email__startswith="load-reviewer-"))
    report = draw_assignments(stage, per_proposal, seed, actor=official)
    assert not report.unfilled and not Conflict.objects.exists(), "the bench data must have no conflicts"
    assignments = list(
        Assignment.objects.filter(stage=stage)
        .select_related("reviewer__user", "proposal__track", "stage")
        .order_by("reviewer__email", "pk")
    )
    criteria_of = {}
    plan_reviewers = defaultdict(list)
    for assignment in assignments:
        confirm_no_conflict(assignment, assignment.reviewer.user)
        track = assignment.proposal.track
        if track.pk not in criteria_of:
            criteria_of[track.pk] = [
                [criterion.pk, str(criterion.max_points), str(criterion.step)]
                for criterion in criteria_for(stage, track)
            ]
        plan_reviewers[assignment.reviewer.user.username].append(
            {"id": assignment.pk, "criteria": criteria_of[track.pk]}
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "seconds": time.perf_counter() - started,
        "slug": SLUG,
        "proposals": proposals,
        "assignments": len(assignments),
        "criteria": len(next(iter(criteria_of.values()))),
        "reviewers": [
            {"username": name, "assignments": plan_reviewers[name]} for name in sorted(plan_reviewers)
        ],
        "official": OFFICIAL,
        "audit_baseline": AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
    }


# --- Checking the database against the acknowledgements (a process of its own) --------------


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _expected(write: dict) -> dict:
    points = {int(cid): Decimal(p) for cid, p in write["points"].items()}
    submitted = write["action"] == "submit"
    return {
        "version": write["version"] + 1,
        "status": "submitted" if submitted else "draft",
        "comment": write["comment"],
        "total": sum(points.values(), start=Decimal(0)) if submitted else None,
        "scores": {cid: (points[cid], write["comments"][str(cid)]) for cid in points},
    }


def _stored(sheet) -> dict:
    return {
        "version": sheet.version,
        "status": sheet.status,
        "comment": sheet.comment,
        "total": sheet.total,
        "scores": {score.criterion_id: (score.points, score.comment) for score in sheet.scores.all()},
    }


def verify(plan: dict, log: dict) -> dict:
    """Every acknowledged write is in the database and in the audit trail, and nothing else is."""
    import django

    django.setup()
    from evaluation.models import Scoresheet
    from proposals.models import AuditEntry

    acked = {int(k): v for k, v in log["acked"].items()}
    uncertain = {int(k): v for k, v in log["uncertain"].items()}
    sheets = {
        sheet.assignment_id: sheet
        for sheet in Scoresheet.objects.filter(assignment__stage__competition__slug=plan["slug"])
        .order_by()
        .prefetch_related("scores")
    }
    trail = defaultdict(list)  # (object type, id) → entries in the order written
    other_entries = defaultdict(int)
    for entry in AuditEntry.objects.filter(pk__gt=plan["audit_baseline"]).order_by("pk"):
        if entry.object_type in ("scoresheet", "score"):
            trail[entry.object_type, int(entry.object_id)].append(entry)
        else:
            other_entries[entry.object_type] += 1

    lost, unacknowledged, uncertain_outcomes = [], [], []
    for assignment_id, sheet in sheets.items():
        if assignment_id not in acked and assignment_id not in uncertain:
            unacknowledged.append(
                f"assignment {assignment_id}: sheet v{sheet.version} with no acknowledged save"
            )
    for assignment_id, writes in acked.items():
        sheet = sheets.get(assignment_id)
        if sheet is None:
            lost.append(f"assignment {assignment_id}: {len(writes)} acknowledged save(s), no sheet")
            continue
        stored = _stored(sheet)
        if assignment_id in uncertain:  # an unanswered request: either outcome is right
            candidates = [_expected(writes[-1]), _expected(uncertain[assignment_id])]
            if stored not in candidates:
                lost.append(f"assignment {assignment_id}: stored {stored}, expected one of {candidates}")
            uncertain_outcomes.append(assignment_id)
            continue
        if stored != _expected(writes[-1]):
            lost.append(f"assignment {assignment_id}: stored {stored}, acknowledged {_expected(writes[-1])}")
        lost.extend(_check_trail(assignment_id, sheet, writes, trail))
    for assignment_id, attempt in uncertain.items():
        if assignment_id not in acked and assignment_id in sheets:
            uncertain_outcomes.append(assignment_id)
            if _stored(sheets[assignment_id]) != _expected(attempt):
                unacknowledged.append(f"assignment {assignment_id}: a sheet not written by the one attempt")
    extra_sheets = {pk for kind, pk in trail if kind == "scoresheet"} - {s.pk for s in sheets.values()}
    unacknowledged += [f"audit entries for scoresheet {pk}, not in the stage" for pk in sorted(extra_sheets)]
    # Scores of sheets not in the stage, and changes to anything else: nothing else may change.
    sheet_scores = {score.pk for sheet in sheets.values() for score in sheet.scores.all()}
    extra_scores = {pk for kind, pk in trail if kind == "score"} - sheet_scores
    unacknowledged += [
        f"audit entries for score {pk}, not of a sheet in the stage" for pk in sorted(extra_scores)
    ]
    unacknowledged += [
        f"{count} audit entries for {kind} records" for kind, count in sorted(other_entries.items())
    ]
    return {
        "sheets": len(sheets),
        "acknowledged_writes": sum(len(w) for w in acked.values()),
        "submitted": sum(1 for s in sheets.values() if s.status == "submitted"),
        "lost": lost,
        "unacknowledged": unacknowledged,
        "uncertain": sorted(set(uncertain_outcomes)),
        "audit_entries": sum(len(entries) for entries in trail.values()),
        "other_audit_entries": dict(other_entries),
    }


def _check_trail(assignment_id, sheet, writes, trail) -> list[str]:
    """The sheet's audit trail: created at version 1, then one version per acknowledged write with
    its values; each score's trail is the sequence of values sent (repeats merged)."""
    problems = []
    entries = trail.get(("scoresheet", sheet.pk), [])
    versions = [entry.after.get("version") for entry in entries]
    wanted = list(range(1, len(writes) + 2))
    if versions != wanted:
        problems.append(
            f"assignment {assignment_id}: sheet versions in the audit trail {versions}, expected {wanted}"
        )
    state = dict(entries[0].after or {}) if entries else {}
    for entry, write in zip(entries[1:], writes, strict=False):
        state.update(entry.after or {})  # an update records the fields it changed
        expected = _expected(write)
        stored = (state.get("comment"), state.get("status"), _decimal(state.get("total")))
        if stored != (expected["comment"], expected["status"], expected["total"]):
            problems.append(
                f"assignment {assignment_id}: audit v{state.get('version')} has (comment, status, total) "
                f"{stored}, sent {(expected['comment'], expected['status'], expected['total'])}"
            )
    for score in sheet.scores.all():
        state, seen = None, []
        for entry in trail.get(("score", score.pk), []):
            after = entry.after or {}
            points = _decimal(after["points"]) if "points" in after else state[0]
            comment = after["comment"] if "comment" in after else state[1]
            state = (points, comment)
            seen.append(state)
        sent = []
        for write in writes:
            cid = str(score.criterion_id)
            value = (Decimal(write["points"][cid]), write["comments"][cid])
            if not sent or sent[-1] != value:
                sent.append(value)
        if seen != sent:
            problems.append(
                f"assignment {assignment_id}: criterion {score.criterion_id} audit values {seen}, sent {sent}"
            )
    return problems


# --- The clients (threads of this process) ---------------------------------------------------


class Recorder:
    """Every request: its kind, start (seconds since the run began), latency and outcome."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rows = []  # (kind, window, start, seconds, ok)
        self.errors = []  # (kind, description)

    def add(self, kind, window, start, seconds, ok, error=""):
        with self.lock:
            self.rows.append((kind, window, start, seconds, ok))
            if not ok:
                self.errors.append((kind, error))


class Refused(Exception):
    """An answer other than the one expected."""


class Client:
    """One browser: a connection to the server and a cookie jar."""

    def __init__(self, port: int, recorder: Recorder, clock):
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        self.cookies = {}
        self.last_used = 0.0
        self.recorder = recorder
        self.clock = clock  # () → (window number, seconds since the run began)

    def request(self, method, path, form=None):
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",  # as the TLS-terminating proxy would
            "User-Agent": "gongmo-load-bench",
            "Accept-Language": "ko",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + path
        if time.monotonic() - self.last_used > KEEPALIVE_IDLE:
            self.connection.close()  # the server may be closing it: do not send on it
        reused = self.connection.sock is not None
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.connection.close()
            if not (reused and method == "GET"):
                raise
            # A kept-alive connection closed by the server before any answer: a browser sends a
            # GET again on a new connection (RFC 9112 §9.3.1); a POST is an error.
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.connection.close()
            raise
        finally:
            self.last_used = time.monotonic()
        for header in response.headers.get_all("Set-Cookie") or []:
            self._store_cookie(header)
        if response.will_close:
            self.connection.close()
        return response.status, response.headers.get("Location", ""), text

    def _store_cookie(self, header):
        try:
            jar = SimpleCookie(header)
        except CookieError:
            return
        for name, morsel in jar.items():
            if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.coded_value

    def timed(self, kind, method, path, form=None, expect=200, location=None):
        """One measured request; returns the page text, raises Refused if not the expected answer."""
        window, start = self.clock()
        began = time.perf_counter()
        try:
            status, where, text = self.request(method, path, form)
        except (OSError, http.client.HTTPException) as failure:
            self.connection.close()  # start the next request on a new connection
            self.recorder.add(kind, window, start, time.perf_counter() - began, False, repr(failure))
            raise Refused(repr(failure)) from None
        seconds = time.perf_counter() - began
        problem = ""
        if status != expect:
            problem = f"HTTP {status} {where}".strip()
        elif location is not None and where != location:
            problem = f"redirected to {where}, not {location}"
        self.recorder.add(kind, window, start, seconds, not problem, f"{method} {path}: {problem}")
        if problem:
            raise Refused(problem)
        return text

    def login(self, username):
        page = self.timed("login page (GET)", "GET", "/accounts/login/")
        token = CSRF_RE.search(page).group(1)
        form = {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD, "next": ""}
        self.timed(LOGIN, "POST", "/accounts/login/", form, expect=302)
        if "sessionid" not in self.cookies:
            raise Refused(f"{username}: no session after signing in")

    def close(self):
        self.connection.close()


class Reviewer(Client):
    """Saves drafts and submits its sheets one after the other, or reloads its home page."""

    def __init__(self, port, recorder, clock, slug, assignments, seed, journey="autosave"):
        super().__init__(port, recorder, clock)
        self.slug = slug
        self.journey = journey  # "autosave": drafts saved in the background; "form": by the button
        self.assignments = list(assignments)
        self.rng = random.Random(seed)
        self.current = None  # the assignment being scored
        self.version = self.token = None  # read from the sheet page last opened
        self.expected_version = None  # the version the page must show after a save
        self.submitted_url = None  # a submission's redirect, to follow
        self.drafts = self.drafts_wanted = 0
        self.acked = {}  # assignment id → acknowledged writes, in order
        self.uncertain = {}  # assignment id → a write whose outcome is unknown
        self.exhausted = False

    def url(self, assignment):
        return f"/review/{self.slug}/{assignment['id']}/"

    def next_assignment(self):
        self.current = self.assignments.pop(0) if self.assignments else None
        self.exhausted = self.current is None
        self.version = self.token = self.expected_version = None
        self.drafts, self.drafts_wanted = 0, self.rng.randint(*DRAFTS_BEFORE_SUBMIT)

    def open_sheet(self):
        page = self.timed(SHEET, "GET", self.url(self.current))
        field = VERSION_RE.search(page)
        token = CSRF_RE.search(page)
        if field is None or token is None or f'name="points_{self.current["criteria"][0][0]}"' not in page:
            self.recorder.add(SHEET, *self.clock(), 0.0, False, "the sheet page has no score form")
            raise Refused("no score form")
        self.version = int(VALUE_RE.search(field.group(0)).group(1))
        self.token = token.group(1)
        if self.expected_version is not None and self.version != self.expected_version:
            self.recorder.add(
                SHEET, *self.clock(), 0.0, False, f"v{self.version} after saving v{self.expected_version - 1}"
            )
        self.expected_version = None

    def points(self, maximum: str, step: str) -> str:
        steps = int(Decimal(maximum) / Decimal(step))
        value = Decimal(step) * self.rng.randint(0, steps)
        return format(value.normalize(), "f")

    def step(self):
        """One request of the scoring loop, as a browser makes them: open the sheet, save a draft,
        follow the redirect back to the sheet (its new version), … submit, follow the redirect to
        the submitted sheet, open the next one. False when nothing is left to score."""
        if self.submitted_url is not None:
            url, self.submitted_url = self.submitted_url, None
            self.timed(SHEET, "GET", url)  # the redirect after submitting: the read-only sheet
            return True
        if self.current is None:
            self.next_assignment()
            if self.current is None:
                return False
        if self.version is None:
            self.open_sheet()
            return True
        self.post()
        return True

    def post(self):
        submit = self.drafts >= self.drafts_wanted
        write = {
            "action": "submit" if submit else "draft",
            "version": self.version,
            "points": {str(cid): self.points(mx, st) for cid, mx, st in self.current["criteria"]},
            "comments": {
                str(cid): f"항목 의견 {self.rng.randint(0, 999)}"
                for cid, _mx, _st in self.current["criteria"]
            },
            "comment": f"종합 의견 {self.rng.randint(0, 99999)} — 부하 시험",
        }
        form = {"csrfmiddlewaretoken": self.token, "version": write["version"], "action": write["action"]}
        form["comment"] = write["comment"]
        for cid, _mx, _st in self.current["criteria"]:
            form[f"points_{cid}"] = write["points"][str(cid)]
            form[f"comment_{cid}"] = write["comments"][str(cid)]
        if submit:
            form["confirm_final"] = "on"
        sheet_url = self.url(self.current)
        if not submit and self.journey == "autosave":
            self.autosave(write, form)
            return
        self.version = None  # the next step opens the sheet again (the redirect)
        try:
            self.timed(SUBMIT if submit else SAVE, "POST", sheet_url, form, expect=302, location=sheet_url)
        except Refused:
            # Not acknowledged: the write may or may not have happened. Leave the sheet alone.
            self.uncertain[self.current["id"]] = write
            self.current = None
            raise
        self.acked.setdefault(self.current["id"], []).append(write)
        if submit:
            self.current, self.submitted_url = None, sheet_url
        else:
            self.drafts += 1
            self.expected_version = write["version"] + 1

    def autosave(self, write, form):
        """A draft as the sheet page saves it in the background while the reviewer types
        (portal/static/portal/review-sheet.js): the form's fields posted to ``autosave/``,
        answered in JSON with the new version; the page stays, no redirect to follow."""
        try:
            text = self.timed(AUTOSAVE, "POST", self.url(self.current) + "autosave/", form)
            answer = json.loads(text)
            if answer.get("status") != "saved" or answer.get("version") != write["version"] + 1:
                self.recorder.add(AUTOSAVE, *self.clock(), 0.0, False, f"answer {text[:120]}")
                raise Refused("not saved")
        except (Refused, ValueError):
            self.uncertain[self.current["id"]] = write
            self.current = None
            raise Refused("autosave") from None
        self.acked.setdefault(self.current["id"], []).append(write)
        self.drafts += 1
        self.version = answer["version"]

    def trivial(self):
        self.timed(TRIVIAL, "GET", "/review/")


class Run:
    """The windows: their modes and spans, and the barrier between them."""

    def __init__(self, reviewers: int, windows: int, window_seconds: float):
        self.modes = ["trivial" if n % 2 == 0 else "save" for n in range(2 * windows)]
        self.window_seconds = window_seconds
        self.started = time.perf_counter()
        self.current = -1
        self.deadline = 0.0
        # Per window, in seconds since the run began: its start, its deadline (the end of the
        # measured span) and its end (the last reviewer's request in flight at the deadline answered).
        self.spans = []
        self.barrier = threading.Barrier(reviewers, action=self._next_window)
        self.done = threading.Event()

    def _next_window(self):
        now = time.perf_counter() - self.started
        if self.current >= 0:
            self.spans[self.current][2] = now
        self.current += 1
        if self.current < len(self.modes):
            self.spans.append([now, now + self.window_seconds, None])
            self.deadline = self.started + now + self.window_seconds
        else:
            self.done.set()

    def clock(self):
        return self.current, time.perf_counter() - self.started


def reviewer_thread(reviewer: Reviewer, run: Run, failures: list):
    try:
        for mode in run.modes:
            run.barrier.wait()
            while time.perf_counter() < run.deadline:
                try:
                    if mode == "trivial":
                        reviewer.trivial()
                    elif not reviewer.step():
                        time.sleep(max(0.0, run.deadline - time.perf_counter()))  # nothing left to score
                except Refused:
                    reviewer.version = reviewer.expected_version = None  # reopen the page before saving
            reviewer.close()  # an idle keep-alive connection may be closed by the server meanwhile
        run.barrier.wait()
    except threading.BrokenBarrierError:
        pass
    except Exception as failure:  # a bug in the bench itself: stop the run rather than hang
        failures.append(repr(failure))
        run.barrier.abort()


def official_thread(client: Client, slug: str, run: Run):
    while not run.done.is_set() and not run.barrier.broken:
        with contextlib.suppress(Refused):  # recorded as an error; go on reloading
            client.timed(RANKING, "GET", f"/official/{slug}/ranking/")


# --- Server, database and CPU accounting ------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(statement)


def environment(workdir: Path, database: str, conn_max_age: int) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")},
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "PYTHONPATH": os.pathsep.join([str(workdir), str(ROOT)]),
        "DATABASE_URL": f"{POSTGRES}/{database}",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_PROXY_SSL_HEADER": "1",
        "CONN_MAX_AGE": str(conn_max_age),
    }


def phase(args: list[str], env: dict) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, *args], env=env, check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def start_gunicorn(env, port, args, workdir) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--chdir",
        str(ROOT),
        "--error-logfile",
        str(workdir / "gunicorn.log"),
        "--log-level",
        "warning",
    ]
    if args.worker_class == "gthread":
        command += ["--threads", str(args.threads)]
    server = subprocess.Popen(command, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see {workdir / 'gunicorn.log'}")
        try:
            probe = Client(port, Recorder(), lambda: (-1, 0.0))
            if probe.request("GET", "/accounts/login/")[0] == 200:
                probe.close()
                return server
        except OSError:
            time.sleep(0.2)
    stop_gunicorn(server)
    raise SystemExit(f"gunicorn did not answer within 60 s; see {workdir / 'gunicorn.log'}")


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _backends(database: str) -> dict[int, int]:
    """CPU ticks of each PostgreSQL backend serving ``database`` (its title names the database)."""
    ticks = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {database} " in title:
                ticks[int(entry.name)] = _ticks(int(entry.name))
    return ticks


def cpu_snapshot(server_pid: int, database: str) -> dict:
    """CPU seconds so far: the machine (busy), gunicorn (master and workers), the PostgreSQL
    backends of the bench database (by pid: a backend that starts during the run counts from 0),
    and this process."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    hertz = os.sysconf("SC_CLK_TCK")
    server = _ticks(server_pid) + sum(_ticks(child) for child in _children(server_pid))
    own = os.times()
    return {
        "machine": (sum(fields[:8]) - idle) / hertz,
        "server": server / hertz,
        "backends": {pid: ticks / hertz for pid, ticks in _backends(database).items()},
        "bench": own.user + own.system,
        "wall": time.perf_counter(),
    }


# --- Figures ------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def figures(rows, kind, spans) -> dict:
    """A kind of request over the measured spans (start to deadline) of some windows: requests/s
    counts the answers received within them; the latencies and errors are those of the requests
    sent within them (the last of which may be answered after the deadline)."""
    inside = lambda moment: any(start <= moment <= deadline for start, deadline, _end in spans)  # noqa: E731
    answered = [r for r in rows if r[0] == kind and inside(r[2] + r[3])]
    sent = [r for r in rows if r[0] == kind and inside(r[2])]
    latencies = [r[3] * 1000 for r in sent if r[4]] or [0.0]
    seconds = sum(deadline - start for start, deadline, _end in spans)
    return {
        "requests": len(answered),
        "per_second": len(answered) / seconds if seconds else 0.0,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "errors": sum(1 for r in sent if not r[4]),
    }


def table_line(label, f) -> str:
    return (
        f"  {label:<26} {f['requests']:>8,} {f['per_second']:>8.1f} {f['p50']:>8.1f} "
        f"{f['p95']:>8.1f} {f['p99']:>8.1f} {f['errors']:>7}"
    )


# --- The run -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration", type=float, default=30, help="seconds of save load (and as many of trivial)"
    )
    parser.add_argument("--window", type=float, default=5, help="seconds per window; the modes alternate")
    parser.add_argument("--reviewers", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="sync")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread only)")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="CONN_MAX_AGE of the server: seconds a worker keeps its database connection (0: one per request)",
    )
    parser.add_argument("--assignments", type=int, default=40, help="assignments per reviewer")
    parser.add_argument("--per-proposal", type=int, default=8, help="reviewers per proposal")
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument(
        "--journey",
        choices=("autosave", "form"),
        default="autosave",
        help="how drafts are saved: in the background, as the sheet page does (autosave), or by the "
        "form's button with its redirect (form)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and the work folder")
    parser.add_argument("--phase", choices=("setup", "verify"), help=argparse.SUPPRESS)
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    parser.add_argument("--log", help=argparse.SUPPRESS)
    args = parser.parse_args()
    proposals = args.reviewers * args.assignments // args.per_proposal
    if args.phase == "setup":
        print(json.dumps(setup(proposals, args.reviewers, args.per_proposal, args.seed)))
        return
    if args.phase == "verify":
        plan = json.loads(Path(args.plan).read_text())
        print(json.dumps(verify(plan, json.loads(Path(args.log).read_text()))))
        return
    if args.reviewers * args.assignments % args.per_proposal:
        parser.error("--reviewers × --assignments must be a multiple of --per-proposal")

    database = f"gongmo_load_{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="load-bench-"))
    (workdir / f"{SETTINGS_MODULE}.py").write_text(
        f"from config.settings import *  # noqa: F403\n\nSTATIC_ROOT = {str(workdir / 'static')!r}\n"
    )
    env = environment(workdir, database, args.conn_max_age)
    postgres(f"CREATE DATABASE {database}")
    server = None
    try:
        plan = phase(["--phase", "setup", *setup_args(args)], env)
        plan["database"] = database
        (workdir / "plan.json").write_text(json.dumps(plan))
        print(
            f"database {database}: {plan['proposals']} proposals, {plan['assignments']:,} assignments "
            f"({args.assignments} per reviewer), {plan['criteria']} criteria (set up in {plan['seconds']:.1f} s)",
            flush=True,
        )
        port = free_port()
        server = start_gunicorn(env, port, args, workdir)
        code = measure(args, plan, port, server, env, workdir)
    finally:
        if server is not None:
            stop_gunicorn(server)
        if args.keep:
            print(f"kept: database {database} ({POSTGRES}/{database}), folder {workdir}")
        else:
            postgres(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(code)


def setup_args(args) -> list[str]:
    return [
        "--reviewers",
        str(args.reviewers),
        "--assignments",
        str(args.assignments),
        "--per-proposal",
        str(args.per_proposal),
        "--seed",
        str(args.seed),
    ]


def measure(args, plan, port, server, env, workdir) -> int:
    windows = max(1, round(args.duration / args.window))
    recorder = Recorder()
    run = Run(len(plan["reviewers"]), windows, args.duration / windows)
    reviewers = [
        Reviewer(port, recorder, run.clock, plan["slug"], entry["assignments"], args.seed + n, args.journey)
        for n, entry in enumerate(plan["reviewers"])
    ]
    official = Client(port, recorder, run.clock)
    signed_in = time.perf_counter()
    sign_ins = [
        threading.Thread(target=client.login, args=(name,))
        for client, name in [
            *((r, e["username"]) for r, e in zip(reviewers, plan["reviewers"], strict=True)),
            (official, plan["official"]),
        ]
    ]
    for thread in sign_ins:
        thread.start()
    for thread in sign_ins:
        thread.join()
    if recorder.errors:
        raise SystemExit(f"signing in failed: {recorder.errors[:3]}")
    # Warm-up, not counted (before the first window): every page in every worker's template cache;
    # each reviewer opens its first sheet.
    for reviewer in reviewers:
        reviewer.trivial()
        reviewer.step()
    official.timed(RANKING, "GET", f"/official/{plan['slug']}/ranking/")
    print(
        f"{len(reviewers)} reviewers and 1 official signed in ({time.perf_counter() - signed_in:.1f} s)",
        flush=True,
    )

    failures = []
    threads = [
        threading.Thread(target=reviewer_thread, args=(r, run, failures), daemon=True) for r in reviewers
    ]
    official_runner = threading.Thread(
        target=official_thread, args=(official, plan["slug"], run), daemon=True
    )
    before = cpu_snapshot(server.pid, plan["database"])
    run.started = time.perf_counter()
    for thread in threads:
        thread.start()
    official_runner.start()
    for thread in threads:
        thread.join()
    run.done.set()
    official_runner.join()
    after = cpu_snapshot(server.pid, plan["database"])
    if failures:
        raise SystemExit(f"the bench failed: {failures[0]}")

    log = {"acked": {}, "uncertain": {}}
    for reviewer in reviewers:
        log["acked"].update(reviewer.acked)
        log["uncertain"].update(reviewer.uncertain)
    (workdir / "log.json").write_text(json.dumps(log))
    stop_gunicorn(server)
    checked = phase(
        ["--phase", "verify", "--plan", str(workdir / "plan.json"), "--log", str(workdir / "log.json")], env
    )
    return report(args, plan, run, recorder, reviewers, checked, before, after)


def report(args, plan, run, recorder, reviewers, checked, before, after) -> int:
    rows = recorder.rows
    spans = {
        mode: [s for s, m in zip(run.spans, run.modes, strict=True) if m == mode]
        for mode in ("save", "trivial")
    }
    drained = {mode: sum(end - deadline for _start, deadline, end in spans[mode]) for mode in spans}
    server = f"{args.workers} {args.worker_class} workers" + (
        f" × {args.threads} threads" if args.worker_class == "gthread" else ""
    )
    server += f", CONN_MAX_AGE={args.conn_max_age}"
    print(
        f"\ndrafts saved by {'the background autosave' if args.journey == 'autosave' else 'the form button'}; "
        f"gunicorn {server}, PostgreSQL 127.0.0.1; {len(reviewers)} reviewers + 1 official; "
        f"{len(spans['save'])} save and {len(spans['trivial'])} trivial windows of {run.window_seconds:.1f} s, "
        f"alternating (answers in flight at a deadline took save {drained['save']:.1f} s, "
        f"trivial {drained['trivial']:.1f} s more, not counted)"
    )
    print(f"  {'':<26} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    print(" save windows")
    result = {}
    draft = AUTOSAVE if args.journey == "autosave" else SAVE
    for kind in (draft, SUBMIT, SHEET, RANKING):
        result[kind] = figures(rows, kind, spans["save"])
        print(table_line(kind, result[kind]))
    posts = figures([(SAVE, *r[1:]) for r in rows if r[0] in (draft, SUBMIT)], SAVE, spans["save"])
    print(table_line("save + submit (POST)", posts))
    print(" trivial windows")
    for kind in (TRIVIAL, RANKING):
        result[kind, "trivial"] = figures(rows, kind, spans["trivial"])
        print(table_line(kind, result[kind, "trivial"]))
    trivial = result[TRIVIAL, "trivial"]
    ratio = posts["per_second"] / trivial["per_second"] if trivial["per_second"] else 0.0
    met = ratio >= TARGET_RATIO
    print(
        f"\nsave throughput / trivial page: {posts['per_second']:.1f} / {trivial['per_second']:.1f} req/s = "
        f"{ratio:.0%}  (target ≥ {TARGET_RATIO:.0%}: {'met' if met else 'NOT met'})"
    )
    endpoint = posts["per_second"] + result[SHEET]["per_second"]
    follows = (
        "a draft is answered in JSON, a submission followed by the GET of its redirect"
        if args.journey == "autosave"
        else "each save is followed by the GET of its redirect"
    )
    print(
        f"  (the sheet's URLs, GET and POST: {endpoint:.1f} req/s = {endpoint / trivial['per_second']:.0%} "
        f"of the trivial page's; {follows})"
        if trivial["per_second"]
        else ""
    )
    wall = after["wall"] - before["wall"]
    used = {k: after[k] - before[k] for k in ("machine", "server", "bench")}
    used["database"] = sum(s - before["backends"].get(pid, 0.0) for pid, s in after["backends"].items())
    rest = used["machine"] - used["server"] - used["bench"] - used["database"]
    print(
        f"CPU over {wall:.1f} s on {os.cpu_count()} cores, in cores busy: machine {used['machine'] / wall:.2f} = "
        f"gunicorn {used['server'] / wall:.2f} + PostgreSQL backends {used['database'] / wall:.2f} + "
        f"load generator {used['bench'] / wall:.2f} + the rest (other processes, PostgreSQL's own) {rest / wall:.2f}"
    )
    errors = recorder.errors
    exhausted = sum(1 for r in reviewers if r.exhausted)
    print(
        f"\nacknowledged writes: {checked['acknowledged_writes']:,} on {checked['sheets']:,} sheets "
        f"({checked['submitted']:,} submitted); audit entries checked: {checked['audit_entries']:,}"
    )
    if exhausted:
        print(f"  note: {exhausted} reviewer(s) ran out of assignments (raise --assignments)")
    print(
        f"verified in the database: lost saves {len(checked['lost'])}, unacknowledged changes "
        f"{len(checked['unacknowledged'])}, unanswered writes {len(checked['uncertain'])}; errors {len(errors)}"
    )
    for kind, description in errors[:10]:
        print(f"  error: {kind}: {description}")
    for line in (checked["lost"] + checked["unacknowledged"])[:10]:
        print(f"  {line}")
    return 1 if errors or checked["lost"] or checked["unacknowledged"] else 0


if __name__ == "__main__":
    main()
