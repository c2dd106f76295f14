"""Server time per request of the pages that list every proposal (SPEC §4, §2): the officials'
ranking page, the officials' progress page of a stage and a reviewer's list of assignments, each
beside the trivial page (``/review/``, as in request_cost.py), at two sizes, in one run.

    .venv/bin/python bench/page_bench.py [--rows 2000] [--small 200] [--repeat 3] [--profile PAGE]

For each size a fresh SQLite file is built by rank_bench.build (``--rows`` proposals × 7 submitted
sheets × 15 criteria, one prepared INSERT per table; building is not measured). A process of its
own then serves the pages with Django's test client (no server, no network) under
``config.settings`` with DEBUG off: ``SECRET_KEY`` and ``ALLOWED_HOSTS=testserver`` from the
environment, every request made as HTTPS (``secure=True``) so the HTTPS settings stay on, and the
static files collected once into the run's folder for the manifest storage (STATIC_ROOT is the only
setting changed). An official (the official group) and the first reviewer (the reviewer group, the
security pledge accepted; every proposal is assigned to them, so they hold ``--rows``
assignments) are signed in with ``force_login``.

Each page: one warm-up request, one request counting its queries (CaptureQueriesContext), then
``--repeat`` timed requests, the pages taking turns so that machine noise hits them alike; the best
wall time (``time.perf_counter``) and the best CPU time of this process (``time.process_time``:
SQLite runs in-process, so its work is counted) are reported, with the ratio to the trivial page
and the HTML size. Targets: ≤ 200 ms per page at 2,000 rows, ≤ 15 queries for the ranking page, and
flat in N (the same queries at both sizes). ``--profile PAGE`` adds a cProfile of one request of
that page at ``--rows``, by cumulative time, to stderr. Not a timed test: it reports numbers.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

TRIVIAL = "trivial /review/"
# The ranking is computed once per change of the database (evaluation.ranking.current_ranking):
# "ranking" is the page as an official reloads it, "ranking, after a change" the first request
# after any change (the kept ranking is dropped before each of its requests).
FRESH_RANKING = "ranking, after a change"
PAGES = {  # name on the table: (--profile key, who asks)
    TRIVIAL: ("trivial", "reviewer"),
    "ranking": ("ranking", "official"),
    FRESH_RANKING: ("ranking-fresh", "official"),
    "progress (stage)": ("progress", "official"),
    "reviewer list": ("review", "reviewer"),
}
TARGET_MS = 200
TARGET_RANKING_QUERIES = 15


# --- Building the file (a process of its own) ------------------------------------------------


def build(rows: int) -> dict:
    """rank_bench's file: ``rows`` proposals × 7 submitted sheets × 15 criteria."""
    from rank_bench import build as rank_build

    return rank_build(rows)


# --- In the measuring process -----------------------------------------------------------------


def measure(repeat: int, profile: str | None) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import reverse
    from rank_bench import SLUG

    from accounts.roles import Role
    from evaluation.models import Assignment, Reviewer, SecurityPledge, Stage
    from evaluation.ranking import recent_rankings
    from proposals.models import Competition

    static_root = Path(connection.settings_dict["NAME"]).parent / "static"
    override_settings(STATIC_ROOT=str(static_root)).enable()
    if not (static_root / "staticfiles.json").exists():  # the first size's process collects
        call_command("collectstatic", interactive=False, verbosity=0)

    competition = Competition.objects.get(slug=SLUG)
    stage = Stage.objects.get(competition=competition, code="final")
    official = get_user_model().objects.create_user("page-bench-official")
    official.groups.add(Group.objects.get(name=Role.OFFICIAL.value))
    reviewer = Reviewer.objects.select_related("user").order_by("pk").first()
    reviewer.user.groups.add(Group.objects.get(name=Role.REVIEWER.value))
    SecurityPledge.objects.get_or_create(reviewer=reviewer, competition=competition)
    assigned = Assignment.objects.filter(reviewer=reviewer).count()

    clients = {"official": Client(), "reviewer": Client()}
    clients["official"].force_login(official)
    clients["reviewer"].force_login(reviewer.user)
    urls = {
        TRIVIAL: reverse("review:index"),
        "ranking": reverse("official:ranking", args=[competition.slug]),
        FRESH_RANKING: reverse("official:ranking", args=[competition.slug]),
        "progress (stage)": reverse("official:progress", args=[competition.slug, stage.code]),
        "reviewer list": reverse("review:competition", args=[competition.slug]),
    }

    def request(name):
        if name == FRESH_RANKING:
            recent_rankings.clear()
        response = clients[PAGES[name][1]].get(urls[name], secure=True)
        assert response.status_code == 200, (name, response.status_code, response.get("Location"))
        return response

    sizes, queries = {}, {}
    for name in PAGES:
        sizes[name] = len(request(name).content)  # warm-up
        reset_queries()  # each request resets the log at its start: begin the capture at 0
        with CaptureQueriesContext(connection) as captured:
            request(name)
        queries[name] = len(captured)
    walls = {name: [] for name in PAGES}
    cpus = {name: [] for name in PAGES}
    for _round in range(repeat):
        for name in PAGES:
            wall, cpu = time.perf_counter(), time.process_time()
            request(name)
            cpus[name].append(time.process_time() - cpu)
            walls[name].append(time.perf_counter() - wall)
    if profile:
        import cProfile
        import pstats

        name = next(name for name, (key, _who) in PAGES.items() if key == profile)
        profiler = cProfile.Profile()
        profiler.runcall(request, name)
        print(f"\nprofile of one request of {name} ({urls[name]}), cumulative:", file=sys.stderr)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
    return {
        "assigned": assigned,
        "urls": urls,
        "pages": {
            name: {
                "wall_ms": min(walls[name]) * 1000,
                "cpu_ms": min(cpus[name]) * 1000,
                "queries": queries[name],
                "kb": sizes[name] / 1024,
            }
            for name in PAGES
        },
    }


# --- The run ----------------------------------------------------------------------------------


def run(args: list[str], database: Path) -> dict:
    """A phase in a process of its own; its last line of output is JSON."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "page-bench-" + "x" * 40,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "testserver",
    }
    output = subprocess.run(
        [sys.executable, __file__, *args], env=env, check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000, help="proposals (and the reviewer's assignments)")
    parser.add_argument("--small", type=int, default=200, help="the second size, to show growth (0: skip)")
    parser.add_argument("--repeat", type=int, default=3, help="timed requests per page; the best is reported")
    parser.add_argument(
        "--profile",
        choices=sorted(key for key, _who in PAGES.values()),
        help="print a cProfile of one request of this page at --rows, to stderr",
    )
    parser.add_argument("--phase", choices=("build", "measure"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "build":
        print(json.dumps(build(args.rows)))
        return
    if args.phase == "measure":
        print(json.dumps(measure(args.repeat, args.profile)))
        return

    from rank_bench import CRITERIA, SHEETS

    workdir = Path(tempfile.mkdtemp(prefix="page-bench-"))
    sizes = sorted({args.rows, args.small} - {0})
    results = {}
    for rows in sizes:
        database = workdir / f"pages-{rows}.sqlite3"
        built = run(["--phase", "build", "--rows", str(rows)], database)
        print(
            f"file: {rows:,} proposals × {SHEETS} sheets × {CRITERIA} criteria = {built['sheets']:,} "
            f"sheets; {database.stat().st_size / 1048576:.0f} MB (built in {built['seconds']:.1f} s)",
            flush=True,
        )
        measured = ["--phase", "measure", "--repeat", str(args.repeat)]
        if args.profile and rows == args.rows:
            measured += ["--profile", args.profile]
        results[rows] = run(measured, database)
    urls = results[args.rows]["urls"]
    print(f"\npages ({', '.join(f'{name}: {url}' for name, url in urls.items())});")
    print(
        f"the reviewer holds {results[args.rows]['assigned']:,} assignments at {args.rows:,} rows; "
        f"best of {args.repeat} after one warm-up; DEBUG off, test client over HTTPS, SQLite file\n"
    )
    header = f"{'page':<26} {'rows':>6} {'wall ms':>8} {'CPU ms':>8} {'queries':>7} {'HTML KB':>8} {'× trivial (wall/CPU)':>21}"
    print(header)
    print("-" * len(header))
    for rows in sizes:
        pages = results[rows]["pages"]
        trivial = pages[TRIVIAL]
        for name, page in pages.items():
            ratio = f"{page['wall_ms'] / trivial['wall_ms']:.1f} / {page['cpu_ms'] / trivial['cpu_ms']:.1f}"
            print(
                f"{name:<26} {rows:>6,} {page['wall_ms']:>8.1f} {page['cpu_ms']:>8.1f} "
                f"{page['queries']:>7} {page['kb']:>8.0f} {ratio:>21}"
            )
    big = results[args.rows]["pages"]
    if len(sizes) == 2:
        small = results[sizes[0]]["pages"]
        print(f"\ngrowth from {sizes[0]:,} to {sizes[1]:,} rows (exponent: 0 flat, 1 linear in N):")
        for name in PAGES:
            growth = big[name]["wall_ms"] / small[name]["wall_ms"]
            exponent = math.log(growth) / math.log(sizes[1] / sizes[0])
            flat = "same" if big[name]["queries"] == small[name]["queries"] else "GROWS"
            print(
                f"  {name:<26} wall ×{growth:5.2f} (exponent {exponent:5.2f}); queries "
                f"{small[name]['queries']} → {big[name]['queries']} ({flat})"
            )
    print(f"\ntargets at {args.rows:,} rows (set for 2,000):")
    for name in PAGES:
        if name == TRIVIAL:
            continue
        met = "met" if big[name]["wall_ms"] <= TARGET_MS else "NOT met"
        print(f"  {name:<26} {big[name]['wall_ms']:7.1f} ms wall (≤ {TARGET_MS}: {met})")
    ranking = big["ranking"]["queries"]
    met = "met" if ranking <= TARGET_RANKING_QUERIES else "NOT met"
    print(f"  ranking queries    {ranking:7d}    (≤ {TARGET_RANKING_QUERIES}: {met})")
    print(f"(files in {workdir})")


if __name__ == "__main__":
    main()
