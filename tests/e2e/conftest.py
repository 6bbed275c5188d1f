"""Fixtures for the end-to-end journeys: a real Chromium driven through Playwright.

The browser is Debian's Chromium (``CHROMIUM_PATH``, else ``chromium`` on ``PATH``); Playwright's
own browser downloads are never used. Screenshots land in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# Playwright's sync API runs an event loop in the test thread, so Django's async-safety check
# would refuse every database query the test itself makes. The queries are not concurrent.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "correct horse battery staple"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    # 1, not a phone's real 2 or 3, to keep the screenshots small.
    "device_scale_factor": 1,
    "is_mobile": True,
    "has_touch": True,
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e/ drives a browser: mark it ``e2e``."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dev dependency
        pytest.skip("playwright is not installed: pip install -e '.[dev]'")
    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not executable or not Path(executable).exists():
        pytest.skip("no Chromium found: install Debian's chromium or set CHROMIUM_PATH")
    with sync_playwright() as p:
        # launch() starts Chromium with a fresh temporary profile every run (Playwright refuses
        # --user-data-dir in args), so no state leaks between runs or from a desktop profile.
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh context (no cookies) at a phone's viewport."""
    context = browser.new_context(**PHONE)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG of ``page`` as ``test-artifacts/screenshots/<name>.png``."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page: Page, live_server: object, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real login form and wait for the page it leads to."""
    page.goto(f"{live_server}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
