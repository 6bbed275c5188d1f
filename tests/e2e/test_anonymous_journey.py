"""An anonymous report and its follow-up, in a real browser (issue 17 item 2).

Someone with no account sends a report from the sign-in page's link and copies the follow-up
code off the page; an officer signs in, opens the report and asks a shared question; the person
enters the code, reads the question and answers; the officer sees the answer on the timeline.
Each page is checked as the accessibility suite checks every page (axe, 320 px without sideways
scroll, visible tab stops) and photographed at 1280 and 320 px.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from breaches.intake import anonymous
from breaches.models import AnonymousFollowUp, Comment, Incident
from tests.conftest import World, build_world
from tests.e2e.conftest import login
from tests.e2e.test_accessibility import AXE, check_page

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.e2e

# Screenshots for the person building the pages to look at; never in the repository.
SHOTS = Path(os.environ.get("ANONYMOUS_SHOTS", "/tmp/shots/anonymous"))
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 320, "height": 720}}


@pytest.fixture
def live_world(transactional_db: None) -> World:
    cache.clear()
    return build_world()


def new_context(browser: Browser, width: str) -> BrowserContext:
    # bypass_csp: only so the check can inject axe; the pages' own scripts obey the CSP.
    context = browser.new_context(viewport=WIDTHS[width], bypass_csp=True)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    return context


def look(page: Page, name: str, width: str) -> None:
    """Photograph the page and hold it to the accessibility suite's checks."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{WIDTHS[width]['width']}.png"), full_page=True)
    if AXE.exists():
        assert check_page(page, width) == [], name


@pytest.mark.parametrize("width", WIDTHS)
def test_anonymous_report_question_and_answer(
    live_server: Any, live_world: World, browser: Browser, width: str
) -> None:
    world = live_world
    person = new_context(browser, width)
    page = person.new_page()

    # From the sign-in page, without signing in.
    page.goto(f"{live_server}/login/")
    page.get_by_role("link", name="Report a breach or near miss anonymously").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Report a breach or near miss anonymously"
    )
    look(page, "anonymous-report", width)
    page.locator("input[name=kind][value=breach]").check()
    page.fill("#id_summary", "Case notes forwarded to a private e-mail address")
    page.select_option("#id_channel", "email")
    page.select_option("#id_business_unit", str(world.site_a1.pk))
    details = page.locator("form.report-form details")
    details.locator("summary").click()
    page.fill("#id_description", "Seen on a shared screen in the team room last week.")
    page.locator("input[name=breach_types][value=unauthorised_disclosure]").check()
    # A field left wrong: the error is shown at the field, nothing typed is lost.
    page.fill("#id_individuals_affected", "-4")
    page.get_by_role("button", name="Send anonymously").click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#id_summary")).to_have_value(
        "Case notes forwarded to a private e-mail address"
    )
    look(page, "anonymous-report-error", width)
    page.fill("#id_individuals_affected", "4")
    page.get_by_role("button", name="Send anonymously").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your report has been sent"
    )
    code = page.locator("#follow-up-code").inner_text().strip()
    assert re.fullmatch(r"([2-9A-HJ-NP-Z]{4}-){6}[2-9A-HJ-NP-Z]{4}", code)
    look(page, "anonymous-sent", width)
    incident = Incident.objects.get(summary__startswith="Case notes forwarded")
    assert incident.reporting == Incident.Reporting.ANONYMOUS
    assert AnonymousFollowUp.objects.get(incident=incident).code_hash != code
    # Reloading the page sends nothing new and shows no code again; going to the form shows none.
    page.goto(f"{live_server}/report-anonymously/")
    expect(page.locator("#follow-up-code")).to_have_count(0)
    person.close()

    # An officer of the unit opens it and asks a shared question.
    officer = new_context(browser, width)
    office = officer.new_page()
    login(office, live_server, world.officer_a.username)
    office.goto(f"{live_server}{incident.get_absolute_url()}")
    office.fill("#id_body", "Which team room was it, and on which day?")
    office.locator("input[name=visibility][value=shared]").check()
    office.get_by_role("button", name="Add comment").click()
    expect(office.locator(".timeline")).to_contain_text("Which team room was it")
    assert Comment.objects.filter(incident=incident, visibility="shared").count() == 1

    # The person comes back with the code, in a fresh browser.
    person = new_context(browser, width)
    page = person.new_page()
    page.goto(f"{live_server}/follow-up/")
    look(page, "anonymous-code", width)
    page.fill("#id_code", anonymous.new_code())
    page.get_by_role("button", name="Open my report").click()
    expect(page.locator("#error-summary")).to_contain_text("No report has that code")
    page.fill("#id_code", code.lower().replace("-", " "))
    page.get_by_role("button", name="Open my report").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(incident.reference)
    expect(page.locator("#thread")).to_contain_text("Which team room was it, and on which day?")
    expect(page.locator("#report-status")).to_have_text("Reported")
    assert "Seen on a shared screen" not in page.content()
    assert page.url.removeprefix(str(live_server)) == "/follow-up/"  # the code is in no URL
    look(page, "anonymous-follow-up", width)
    page.fill("#id_body", "The second-floor room, on Tuesday morning.")
    page.get_by_role("button", name="Send answer").click()
    expect(page.locator(".message-success")).to_contain_text("your answer has been sent")
    expect(page.locator("#thread")).to_contain_text("The second-floor room, on Tuesday morning.")
    look(page, "anonymous-answered", width)
    person.close()

    # The officer sees the answer on the incident's timeline.
    office.reload()
    expect(office.locator(".timeline")).to_contain_text(
        "The second-floor room, on Tuesday morning."
    )
    officer.close()
