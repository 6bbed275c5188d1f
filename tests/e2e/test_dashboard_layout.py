"""The dashboard at 320 px wide does not scroll sideways (issue 13), and reads at 1280 px.

The figures, the quarter picker and the tables are laid out for the narrowest phone WCAG 1.4.10
(Reflow) names: 320 CSS px. Wide content (tables) scrolls inside its own labelled container,
never the page. Screenshots at both widths land in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from breaches.models import Incident, IncidentBreachType
from reporting.figures import Quarter
from tests.conftest import World, build_world
from tests.e2e.conftest import login, screenshot
from tests.factories import BusinessUnitFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.e2e

# axe is the test's own script: these contexts bypass the CSP so it can be injected.
NARROW = {"viewport": {"width": 320, "height": 720}, "device_scale_factor": 1, "bypass_csp": True}
WIDE = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1, "bypass_csp": True}
AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => (await axe.run(document, {runOnly: {type: 'tag',
    values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}}))
  .violations.map(v => `${v.id}: ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target)}`)"""


@pytest.fixture
def live_world(transactional_db: None) -> World:
    """The personas, and a last complete quarter with the longest labels the figures can show:
    a long unit name, several causes and types, notified late and missed deadlines."""
    world = build_world()
    start, _ = Quarter.containing(timezone.localdate()).previous().bounds()
    unit = BusinessUnitFactory(
        name="Oranga Tamariki Whangārei Residential Care and Youth Justice Services",
        code="long-unit",
    )
    staff = UserFactory(business_unit=unit)
    causes = ["wrong_recipient", "papers_unsecured", "system_fault", "other"]
    for n, cause in enumerate(causes):
        reported = start + timedelta(days=3 + 7 * n, hours=10)
        incident = IncidentFactory(
            reporter=staff, business_unit=unit, kind=Incident.Kind.BREACH, reported_at=reported,
            aware_at=reported - timedelta(hours=2), cause_category=cause,
            regulator_deadline=reported + timedelta(hours=70),
            decision_notify_regulator="yes" if n % 2 else "",
            regulator_notified_at=reported + timedelta(hours=90) if n == 1 else None,
        )  # fmt: skip
        IncidentBreachType.objects.create(incident=incident, breach_type="unauthorised_disclosure")
    return world


def _no_sideways_scroll(page: Page) -> None:
    scroll_width, inner_width, wide = page.evaluate(
        """() => [document.documentElement.scrollWidth, window.innerWidth,
            [...document.querySelectorAll("body *")]
              .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
              .slice(0, 8)
              .map(e => `${e.tagName.toLowerCase()}.${e.className} ${e.getBoundingClientRect().right}`)]"""
    )
    assert scroll_width <= inner_width, (
        f"the page scrolls sideways by {scroll_width - inner_width}px; too wide: {wide}"
    )


def _no_axe_violations(page: Page) -> None:
    """axe-core (tests/e2e/axe, from npm) finds no WCAG A/AA violation, with the data shown."""
    if not AXE.exists():
        pytest.skip("run: npm ci --prefix tests/e2e/axe")
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(AXE_RUN) == []


VIEWS = {"": "last-quarter", "?quarter=current": "to-date", "?quarter=1900Q1": "bad-quarter"}


@pytest.mark.parametrize("width", [320, 1280])
@pytest.mark.parametrize("query", VIEWS)
def test_the_dashboard_reflows_at_320px_and_passes_axe(
    live_server: object, live_world: World, browser: Browser, query: str, width: int
) -> None:
    """At 320 px no view scrolls sideways (it did by 53–70 px); at both widths axe finds
    nothing, with figures, flags, tables and charts on the page."""
    context = browser.new_context(**(NARROW if width == 320 else WIDE))  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        login(page, live_server, "executive")
        asked = query.replace("current", Quarter.containing(timezone.localdate()).code)
        page.goto(f"{live_server}/reports/dashboard/{asked}")
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_be_visible()
        if not query:
            # The last complete quarter, with its figures flagged in words.
            expect(page.locator("#on-time-status")).to_contain_text("Below target (100 %)")
        elif "1900" in query:
            expect(page.locator("#field-quarter .field-error")).to_be_visible()
        else:
            expect(heading).to_contain_text("to date")
        if width == 320:
            _no_sideways_scroll(page)
        screenshot(page, f"dashboard-{width}-{VIEWS[query]}")
        _no_axe_violations(page)
    finally:
        context.close()


def test_the_quarter_picker_works_by_keyboard_without_javascript(
    live_server: object, live_world: World, browser: Browser
) -> None:
    context = browser.new_context(**WIDE, java_script_enabled=False)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        login(page, live_server, "executive")
        page.goto(f"{live_server}/reports/dashboard/")
        last = Quarter.containing(timezone.localdate()).previous()
        expect(page.get_by_role("heading", level=1)).to_contain_text(last.label)
        picker = page.get_by_role("combobox", name="Quarter")
        picker.focus()
        # One step up the list is the quarter in progress; Enter is not needed: the button is.
        page.keyboard.press("ArrowUp")
        expect(picker).to_have_value(last.next().code)
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Show")).to_be_focused()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"{last.next().label} to date")
        _no_sideways_scroll(page)
    finally:
        context.close()
