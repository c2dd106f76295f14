"""What the benchmarks share: each measurement runs in a process of its own (the script again,
with ``--phase …``) on a SQLite file, and reports one JSON line; and a process's peak memory."""

import json
import os
import resource
import subprocess
import sys
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident memory, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_phase(script: str, args: list[str], database: Path, stderr=None, timeout=None) -> dict | None:
    """Run ``script`` with ``args`` in a process of its own on the SQLite file ``database``; its
    last line of output, as JSON. None if it did not finish within ``timeout`` seconds."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "bench-only",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    try:
        output = subprocess.run(
            [sys.executable, script, *args],
            env=env,
            check=True,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            timeout=timeout,
        ).stdout
    except subprocess.TimeoutExpired:
        return None
    return json.loads(output.strip().splitlines()[-1])
