"""Real-browser tests: Debian's Chromium driven by Playwright."""

import os
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.support.browser import Device, opened_device

# Playwright's sync API runs an event loop in the test thread; the ORM calls
# made by the tests themselves are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def desktop(browser: Browser, live_server) -> Iterator[Device]:
    with opened_device(browser, live_server.url + "/", "desktop") as opened:
        yield opened


@pytest.fixture
def phone(browser: Browser, live_server) -> Iterator[Device]:
    with opened_device(browser, live_server.url + "/", "phone") as opened:
        yield opened


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)
            # What the browser shows does not depend on the database behind it.
            item.add_marker(pytest.mark.one_pass)
