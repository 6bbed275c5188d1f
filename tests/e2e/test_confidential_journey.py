"""A confidential report in a real browser (issue 17, docs/reporting-without-fear.md).

A reporter files a report choosing "only the chief privacy officer"; the officer of their unit
opens it, triages it (saves an assessment) and reads "Confidential reporter", never the name;
the reporter follows it under "My reports"; the chief privacy officer reads the name. At
1280 px and at 320 px, with no sideways scrolling; screenshots land in ``SHOTS``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from breaches.models import Assessment, Incident
from tests.conftest import World, build_world
from tests.e2e.conftest import login
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e

# Outside the repository: screenshots are looked at, not committed.
SHOTS = Path(os.environ.get("CONFIDENTIAL_SHOTS", "/tmp/shots/confidential"))
WIDTHS = {"desktop": 1280, "narrow": 320}
SUMMARY = "Client letter handed to the wrong family at reception"


@pytest.fixture
def live_world(transactional_db: None) -> World:
    return build_world()


@pytest.fixture(params=sorted(WIDTHS))
def width(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def pages(browser: Browser, width: str) -> Iterator[dict[str, Page]]:
    """One browser context per person (their own cookies), at the width under test."""
    contexts = []
    opened: dict[str, Page] = {}
    for who in ("reporter", "officer", "cpo"):
        context = browser.new_context(
            viewport={"width": WIDTHS[width], "height": 900}, device_scale_factor=1
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        opened[who] = context.new_page()
    try:
        yield opened
    finally:
        for context in contexts:
            context.close()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fits(page: Page) -> bool:
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def test_confidential_report_triaged_without_the_name_and_followed_by_its_reporter(
    live_server: object, live_world: World, pages: dict[str, Page], width: str
) -> None:
    zephyrine: User = UserFactory(
        username="zq-reporter-7",
        first_name="Zephyrine",
        last_name="Quillback",
        business_unit=live_world.site_a1,
    )

    # 1. The reporter files it, choosing confidential.
    page = pages["reporter"]
    login(page, live_server, zephyrine.username)
    page.goto(f"{live_server}/incidents/new/")
    page.locator("input[name=kind][value=breach]").check()
    page.locator("#id_summary").fill(SUMMARY)
    page.select_option("#id_channel", "paper")
    who = page.locator("#who-may-know")
    expect(who).to_contain_text("Who may see that you reported this?")
    expect(who.locator("input[name=reporting][value=named]")).to_be_checked()
    who.get_by_label("Only the chief privacy officer (confidential)").check()
    assert fits(page)
    shot(page, f"report-form-{width}")
    with page.expect_navigation():
        page.get_by_role("button", name="Send report").click()
    expect(page.locator(".messages")).to_contain_text(
        "Only the chief privacy officer can see that you reported it."
    )
    incident = Incident.objects.get(summary=SUMMARY)
    assert incident.reporting == Incident.Reporting.CONFIDENTIAL
    assert incident.reporter == zephyrine and not incident.is_restricted

    # 2. The unit's officer opens it and triages it, never reading who sent it.
    officer = pages["officer"]
    login(officer, live_server, "officer_a")
    officer.goto(f"{live_server}/incidents/{incident.reference}/")
    facts = officer.locator(".facts")
    expect(facts).to_contain_text("Confidential reporter")
    expect(officer.locator(".timeline")).to_contain_text("Confidential reporter")
    assert fits(officer)
    shot(officer, f"incident-officer-{width}")
    with officer.expect_navigation():
        officer.get_by_role("link", name="Triage and decide").click()
    officer.get_by_label("Someone who may harm an affected person").check()
    with officer.expect_navigation():
        officer.get_by_role("button", name="Save assessment").click()
    expect(officer.locator(".messages")).to_contain_text("Assessment saved")
    assert Assessment.objects.filter(incident=incident, created_by=live_world.officer_a).exists()
    officer.goto(f"{live_server}/incidents/{incident.reference}/")
    expect(officer.locator("main")).to_contain_text("assessed notifiability")
    for text in (officer.content(), officer.locator("body").inner_text()):
        assert not re.search(r"zephyrine|quillback|zq-reporter-7", text, re.I)

    # 3. The reporter follows it under My reports.
    page.goto(f"{live_server}/incidents/mine/")
    expect(page.locator("main")).to_contain_text(incident.reference)
    page.goto(f"{live_server}/incidents/{incident.reference}/")
    expect(page.locator(".facts")).to_contain_text("Zephyrine Quillback")

    # 4. The chief privacy officer reads the name.
    cpo = pages["cpo"]
    login(cpo, live_server, "cpo")
    cpo.goto(f"{live_server}/incidents/{incident.reference}/")
    expect(cpo.locator(".facts")).to_contain_text("Zephyrine Quillback")
    expect(cpo.locator(".facts")).not_to_contain_text("Confidential reporter")
    assert fits(cpo)
    shot(cpo, f"incident-cpo-{width}")
