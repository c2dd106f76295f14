"""Browser tests: pytest-playwright driving Debian's Chromium against Django's ``live_server``.

Nothing needs a command-line flag: the launch options (the system Chromium, headless, no sandbox,
no background networking) are set here. Playwright cannot download a browser of its own on our
machines, so a missing /usr/bin/chromium fails the tests with the command that installs it.

pytest-playwright's fixtures that hold the browser are session-scoped; here they are scoped to
this package, so that Playwright's event loop (the sync API marks it running in the main thread
between calls) is gone before any other test runs. While it runs, Django's ORM in the test
thread needs DJANGO_ALLOW_ASYNC_UNSAFE: the test and the live server thread take turns, never
touching the database at the same time.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser.chromium import CHROMIUM_ARGS, chromium_executable

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "browser"


@pytest.fixture(scope="package", autouse=True)
def _orm_next_to_playwright():
    """Allow Django's ORM in the test thread while Playwright's sync API holds an event loop,
    for this package only."""
    name = "DJANGO_ALLOW_ASYNC_UNSAFE"
    had = name in os.environ
    os.environ.setdefault(name, "true")
    yield
    if not had:
        os.environ.pop(name, None)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's options (``--headed``, ``--slowmo``) plus the system Chromium."""
    return {
        "headless": True,
        **browser_type_launch_args,
        "executable_path": chromium_executable(),
        "args": CHROMIUM_ARGS,
    }


# pytest-playwright's session-scoped browser fixtures, scoped to this package (see above).


@pytest.fixture(scope="package")
def playwright(_orm_next_to_playwright, _pw_api_request_contexts):
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    if _pw_api_request_contexts:
        _pw_api_request_contexts.instrument(pw)
    yield pw
    pw.stop()


@pytest.fixture(scope="package")
def browser_type(playwright, browser_name):
    if browser_name not in (None, "chromium"):
        pytest.fail(f"The browser tests run in Chromium only, not {browser_name}.", pytrace=False)
    return playwright.chromium


@pytest.fixture(scope="package")
def launch_browser(browser_type_launch_args, browser_type):
    def launch(**kwargs):
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="package")
def browser(launch_browser):
    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture(scope="package")
def browser_context_args(live_server):
    """Every context opens the live server in Korean, the site's default language."""
    return {
        "base_url": live_server.url,
        "locale": "ko-KR",
        "timezone_id": "Asia/Seoul",
        "viewport": {"width": 1280, "height": 900},
        "accept_downloads": True,
    }


@pytest.fixture(scope="session")
def artifacts_dir():
    """test-artifacts/browser/ at the repository root, emptied once per run."""
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS
