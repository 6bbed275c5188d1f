"""The reporting-culture figures on the dashboard in a real browser (issue 17): at 320 px
nothing scrolls sideways, at both widths axe finds no WCAG A/AA violation, with the flag, the
culture tables and the discovery chart on the page. Screenshots land in
``test-artifacts/screenshots/`` (not kept in the repository)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from accounts.models import User
from tests.e2e.conftest import login, screenshot
from tests.e2e.test_dashboard_layout import NARROW, WIDE, _no_axe_violations, _no_sideways_scroll
from tests.factories import UserFactory
from tests.reporting.test_culture_figures import Data, at, build_data, notice

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_data(transactional_db: None) -> Data:
    d = build_data()
    notice(d, created=at(2026, 7, 1), due=at(2026, 8, 10), sent=at(2026, 8, 12))
    notice(d, created=at(2026, 7, 1), due=at(2026, 9, 1))
    UserFactory(username="culture_exec", role=User.Role.EXECUTIVE, business_unit=d.units["Y"])
    return d


@pytest.mark.parametrize("width", [320, 1280])
def test_the_culture_figures_reflow_and_pass_axe(
    live_server: object,
    live_data: Data,
    browser: Browser,
    width: int,
) -> None:
    context = browser.new_context(**(NARROW if width == 320 else WIDE))  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        login(page, live_server, "culture_exec")
        page.goto(f"{live_server}/reports/dashboard/?quarter=2026Q3")
        expect(page.get_by_role("heading", name="Reporting culture")).to_be_visible()
        expect(page.locator("#notices-late")).to_contain_text("1 of 1")
        expect(page.get_by_role("region", name="By business unit, 2026 Q3")).to_contain_text(
            "Possible under-reporting"
        )
        if width == 320:
            _no_sideways_scroll(page)
        screenshot(page, f"dashboard-culture-{width}")
        _no_axe_violations(page)
    finally:
        context.close()
