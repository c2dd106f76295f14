"""Debian's Chromium, which the browser tests drive (Playwright cannot download a browser here)."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_executable(path: Path = CHROMIUM) -> str:
    """The system Chromium, or a failure (never a skip) that says how to install it."""
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(
            f"The browser tests need Debian's Chromium at {path}, which is missing. "
            "Install it with: apt-get install chromium  (or: make chromium; .ci/run does it for CI).",
            pytrace=False,
        )
    return str(path)
