"""Printing a page (issue 13, item 5): IN CONFIDENCE on every sheet, no navigation.

Chromium prints the incident page to PDF with the print stylesheet; pypdf reads each sheet.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import pytest
from pypdf import PdfReader

from breaches.models import Comment
from tests.conftest import World, build_world
from tests.e2e.conftest import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture
def live_world(transactional_db: None) -> World:
    world = build_world()
    # Enough on the page to run to several sheets.
    for i in range(40):
        Comment.objects.create(
            incident=world.incident_a, author=world.officer_a,
            body=f"Follow-up note {i}: called the recipient, letter recovered and shredded.",
        )  # fmt: skip
    return world


def test_a_printed_incident_is_marked_in_confidence_on_every_sheet(
    live_server: Any, live_world: World, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/login/")
    page.fill("#id_username", "officer_a")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}{live_world.incident_a.get_absolute_url()}")
    page.emulate_media(media="print")
    assert not page.locator(".site-header nav").is_visible()
    assert page.locator(".print-marking").is_visible()
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    assert len(pdf.pages) >= 2, "the fixture should print to several sheets"
    for number, sheet in enumerate(pdf.pages, start=1):
        text = sheet.extract_text()
        assert text.count("IN CONFIDENCE") >= 2, f"sheet {number} is not marked top and bottom"
        assert "My actions" not in text and "Sign out" not in text, f"sheet {number} has the nav"
    context.close()
