"""CPU cost per request of the reviewer's pages, in one process (no server, no load): the trivial
page (`/review/`), the sheet page (GET), a draft saved by the form's button (POST, answered by a
redirect) and a draft saved in the background (POST to ``autosave/``, answered in JSON), with
their query counts.

Run it against a database kept by the load benchmark::

    .venv/bin/python bench/load_bench.py --duration 2 --window 1 --keep   # prints "kept: database …, folder …"
    .venv/bin/python bench/request_cost.py --folder /tmp/load-bench-XXXX [--requests 100]
    psql -h 127.0.0.1 -U postgres -c 'DROP DATABASE gongmo_load_NNNN'       # when done

It signs in as the last reviewer of the plan (Django's test client, ``force_login``), warms up, then
times ``--requests`` requests of each kind with ``time.process_time`` (CPU of this process only: the
database's own work is not counted, as it is not in gunicorn's CPU). ``--profile`` adds a cProfile
of the background saves (``--profile-form``: of the form's saves).
"""

import argparse
import cProfile
import json
import os
import pstats
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", required=True, help="the work folder load_bench.py --keep printed")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-form", action="store_true", help="profile the form's saves instead")
    args = parser.parse_args()
    folder = Path(args.folder)
    plan = json.loads((folder / "plan.json").read_text())
    sys.path[:0] = [str(ROOT), str(folder)]
    os.environ.update(
        DJANGO_SETTINGS_MODULE="load_bench_settings",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{plan['database']}",
        SECRET_KEY="request-cost-" + "x" * 40,
        DEBUG="0",
        ALLOWED_HOSTS="testserver",
        CONN_MAX_AGE="60",
    )
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.SECURE_SSL_REDIRECT = False  # the test client speaks plain http
    reviewer = plan["reviewers"][-1]
    assignment = reviewer["assignments"][-1]
    client = Client()
    client.force_login(get_user_model().objects.get(username=reviewer["username"]))
    url = f"/review/{plan['slug']}/{assignment['id']}/"
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    version = int(re.search(r'name="version" value="(\d+)"', page.content.decode()).group(1))

    def draft() -> dict:
        form = {"version": version, "action": "draft", "comment": f"종합 의견 {random.random()}"}
        for criterion_id, maximum, _step in assignment["criteria"]:
            form[f"points_{criterion_id}"] = str(random.randint(0, int(float(maximum))))
            form[f"comment_{criterion_id}"] = f"의견 {random.random()}"
        return form

    def save():
        nonlocal version
        response = client.post(url, draft())
        assert response.status_code == 302, response.status_code
        version += 1

    def autosave():
        nonlocal version
        response = client.post(url + "autosave/", draft())
        assert response.status_code == 200 and response.json()["version"] == version + 1, response.content
        version += 1

    def trivial():
        assert client.get("/review/").status_code == 200

    def sheet_page():
        assert client.get(url).status_code == 200

    kinds = {
        "trivial /review/ (GET)": trivial,
        "sheet page (GET)": sheet_page,
        "save draft (POST)": save,
        "autosave draft (POST)": autosave,
    }
    for function in kinds.values():
        for _ in range(5):
            function()
    costs = {}
    for name, function in kinds.items():
        with CaptureQueriesContext(connection) as queries:
            function()
        count = len(queries)  # now: each request resets the connection's query log
        started = time.process_time()
        for _ in range(args.requests):
            function()
        costs[name] = ((time.process_time() - started) / args.requests * 1000, count)
    print(f"CPU per request, mean of {args.requests} (this process only):")
    for name, (ms, count) in costs.items():
        print(f"  {name:<24} {ms:6.1f} ms  {count:3d} queries")
    trivial_ms = costs["trivial /review/ (GET)"][0]
    for name in ("save draft (POST)", "autosave draft (POST)"):
        print(f"{name} / trivial page: {trivial_ms / costs[name][0]:.0%} of its throughput")
    if args.profile or args.profile_form:
        profiled = save if args.profile_form else autosave
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            profiled()
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
