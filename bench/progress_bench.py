"""The cost of an import's progress records (proposals/importing/progress.py): the web preview of an
N-row applicant file on a SQLite file database, without and with progress, twice each.

    .venv/bin/python bench/progress_bench.py [ROWS]      (default 50000)

Prints each preview's time, its progress writes and the longest gap between two of them (what a
waiting page may show unchanged). Not a timed test: it reports numbers.
"""

import itertools
import os
import sys
import tempfile
import time
import uuid
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main(rows: int) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from import_bench import build_file

    from accounts.roles import Role
    from proposals.domain.competition_file import load_competition_file
    from proposals.importing.progress import NO_PROGRESS, progress_saved, start_progress
    from proposals.importing.uploads import stage_upload
    from proposals.models import ImportUpload

    call_command("migrate", stdout=StringIO())
    competition = load_competition_file(
        ROOT / "fixtures/smartcity-2023/competition.toml", extra_keys={"stages": lambda _top, _spec: None}
    ).competition
    user = get_user_model().objects.create_user("bench-admin")
    user.groups.add(Group.objects.get(name=Role.ADMIN.value))
    path = Path(tempfile.mkdtemp()) / "applicants.xlsx"
    build_file(path, rows)
    content = path.read_bytes()
    writes = []
    progress_saved.connect(lambda sender, **_values: writes.append(time.monotonic()), weak=False)
    for label in ("without progress", "with progress") * 2:
        writes.clear()
        progress = NO_PROGRESS if label.startswith("without") else start_progress(uuid.uuid4(), user)
        started = time.perf_counter()
        upload = stage_upload(
            ImportUpload.Kind.PROPOSALS,
            competition,
            SimpleUploadedFile("a.xlsx", content),
            user,
            progress=progress,
        )
        elapsed = time.perf_counter() - started
        gaps = [later - earlier for earlier, later in itertools.pairwise(writes)]
        longest = f", longest gap {max(gaps):.2f} s" if gaps else ""
        print(
            f"{label}: {elapsed:.1f} s, {upload.summary['counts']['new']:,} rows, {len(writes)} writes{longest}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
