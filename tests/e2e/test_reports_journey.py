"""An executive asks for the quarterly report, sees it finish and downloads it (issue 7)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from accounts.models import AccessEvent
from reporting.models import QuarterlyReport
from tests.conftest import World, build_world
from tests.e2e.conftest import login, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_world(transactional_db: None, settings, tmp_path: Path) -> World:  # type: ignore[no-untyped-def]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "config.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return build_world()


def test_an_executive_requests_watches_and_downloads_a_report(
    live_server: object, live_world: World, phone_page: Page
) -> None:
    page = phone_page
    login(page, live_server, "executive")
    with page.expect_navigation():
        page.get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quarterly reports")
    with page.expect_navigation():
        page.get_by_role("button", name="Prepare the report").click()
    # The page follows the job; in the tests the job runs as soon as it is queued.
    link = page.get_by_role("link", name="Download PDF")
    expect(link).to_be_visible(timeout=30000)
    screenshot(page, "reports-executive")
    with page.expect_download() as info:
        link.click()
    download = info.value
    pages = PdfReader(io.BytesIO(Path(download.path()).read_bytes())).pages
    assert all("IN CONFIDENCE" in p.extract_text() for p in pages)
    report = QuarterlyReport.objects.get()
    assert report.status == "done" and report.requested_by == live_world.executive
    assert (
        AccessEvent.objects.filter(
            action=AccessEvent.Action.REPORT_DOWNLOAD, user=live_world.executive
        ).count()
        == 1
    )
    # The dashboard shows the same figures, with its charts.
    page.goto(f"{live_server}/reports/dashboard/")
    expect(page.locator("svg[role=img]:visible")).to_have_count(
        4
    )  # trend, causes, breach types, how found
    screenshot(page, "dashboard-executive")
