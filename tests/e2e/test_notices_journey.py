"""Notices to people, told safely (SPEC §4.4), in a real browser, checked against the database.

At a desktop viewport and at the narrowest phone's (320 px): an officer opens the notices of a
breach whose facts say a person posing risk received the file, plans a notice for each person,
tries to mark one sent and is refused beside the field, records the safety check and a safe
channel, marks it sent, withholds the other with its ground; the incident page then says nobody
is still to be told and the register's badge has gone. The reporter cannot reach the page.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from breaches.models import AffectedIndividual, Incident, IndividualNotice
from breaches.response.notices import SAFETY_FIRST
from breaches.triage.engine import parse_facts
from breaches.triage.services import assessment_create, decision_record
from tests.breaches.triage.engine.test_facts import VALID
from tests.conftest import World, build_world
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "narrow": {
        "viewport": {"width": 320, "height": 720},
        "device_scale_factor": 1,
        "is_mobile": True,
        "has_touch": True,
    },
}
# Where to keep screenshots for a person to look at (never in the repository): optional.
SHOTS = os.environ.get("NOTICE_SHOTS")


@pytest.fixture
def live_world(transactional_db: None) -> World:
    return build_world()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def page(browser: Browser, viewport: str) -> Iterator[Page]:
    context = browser.new_context(**VIEWPORTS[viewport])  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def shot(page: Page, name: str, viewport: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}-{viewport}.png", full_page=True)


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width  # type: ignore[index]


def at_risk_breach(world: World) -> Incident:
    """Incident A: a person posing risk received it; notify individuals; two people affected."""
    incident = world.incident_a
    aware = (timezone.now() - timedelta(hours=3)).isoformat()
    assessment = assessment_create(
        incident=incident, facts=parse_facts({**VALID, "aware_at": aware}), actor=world.officer_a
    )
    decision_record(
        incident=incident, assessment=assessment, actor=world.officer_a, notify_regulator="yes",
        notify_individuals="yes", rationale="As recommended.",
    )  # fmt: skip
    for reference, role in [("C-204816", "client"), ("C-204817", "child")]:
        AffectedIndividual.objects.create(incident=incident, reference=reference, role=role)
    incident.refresh_from_db()
    return incident


def test_a_notice_to_a_person_at_risk_waits_for_the_safety_check(
    live_server: object, live_world: World, page: Page, viewport: str
) -> None:
    incident = at_risk_breach(live_world)
    login(page, live_server, "officer_a")
    page.goto(f"{live_server}/incidents/")
    row = page.locator("tr", has=page.get_by_role("link", name=incident.reference))
    expect(row.get_by_text("2 to tell")).to_be_visible()
    shot(page, "register-badge", viewport)

    page.goto(f"{live_server}{incident.get_absolute_url()}")
    expect(page.locator("#notices-to-tell")).to_contain_text("2 of 2 people still to be told")
    page.locator("#notices-heading").scroll_into_view_if_needed()
    shot(page, "incident-summary", viewport)
    with page.expect_navigation():
        page.get_by_role("link", name="Manage notices").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Plan a notice for each person still without one").click()
    expect(page.locator(".message-success")).to_contain_text("2 notices planned")
    mother = IndividualNotice.objects.get(affected__reference="C-204816")
    child = IndividualNotice.objects.get(affected__reference="C-204817")
    assert mother.safety_check_required and child.safety_check_required
    card = page.locator(f"#notice-{mother.pk}")
    expect(card.get_by_text("Safety check needed")).to_be_visible()
    shot(page, "notices-planned", viewport)
    if viewport == "narrow":
        no_sideways_scroll(page)

    # Marking it sent first: refused, beside the field, and nothing sent.
    card.locator("summary", has_text="Mark it sent").click()
    card.get_by_label("How it was sent").select_option("letter")
    with page.expect_navigation():
        card.get_by_role("button", name="Mark sent").click()
    card = page.locator(f"#notice-{mother.pk}")
    expect(card.locator(f"#n{mother.pk}_sent_channel_error")).to_have_text(SAFETY_FIRST)
    expect(card.get_by_label("How it was sent")).to_have_value("letter")
    shot(page, "notices-refused", viewport)
    if viewport == "narrow":
        no_sideways_scroll(page)
    mother.refresh_from_db()
    assert mother.outcome == "planned" and mother.sent_at is None

    # The safety check and the safe channel, then sent.
    card.get_by_label("What was checked").fill("The father has only her old address.")
    card.get_by_label("The safe channel").fill("A phone call to her own mobile.")
    with page.expect_navigation():
        card.get_by_role("button", name="Record the safety check").click()
    card = page.locator(f"#notice-{mother.pk}")
    expect(card).to_contain_text("A phone call to her own mobile.")
    card.locator("summary", has_text="Mark it sent").click()
    card.get_by_label("How it was sent").select_option("phone")
    with page.expect_navigation():
        card.get_by_role("button", name="Mark sent").click()
    expect(page.locator(".message-success")).to_contain_text("Notice marked sent")
    mother.refresh_from_db()
    assert (mother.outcome, mother.channel) == ("sent", "phone")
    assert mother.safety_checked_by == live_world.officer_a and mother.sent_at is not None

    # The child's notice is withheld, with its ground.
    card = page.locator(f"#notice-{child.pk}")
    card.locator("summary", has_text="Withhold it").click()
    card.get_by_label("What became of it").select_option("withheld")
    card.get_by_label("Ground for withholding it").fill("s116: telling him would endanger her.")
    with page.expect_navigation():
        card.get_by_role("button", name="Record the outcome").click()
    child.refresh_from_db()
    assert child.outcome == "withheld"
    expect(page.locator("h1 + .lede")).to_contain_text("0 of 2 people still to be told")
    shot(page, "notices-done", viewport)
    if viewport == "narrow":
        no_sideways_scroll(page)

    page.goto(f"{live_server}{incident.get_absolute_url()}")
    expect(page.locator("#notices-to-tell")).to_contain_text("0 of 2 people still to be told")
    if viewport == "narrow":
        no_sideways_scroll(page)
    page.goto(f"{live_server}/incidents/")
    row = page.locator("tr", has=page.get_by_role("link", name=incident.reference))
    expect(row).to_be_visible()
    expect(row.get_by_text("to tell")).to_have_count(0)


def test_the_reporter_cannot_reach_the_notices(
    live_server: object, live_world: World, browser: Browser
) -> None:
    incident = at_risk_breach(live_world)
    context = browser.new_context(**VIEWPORTS["narrow"])  # type: ignore[arg-type]
    try:
        page = context.new_page()
        login(page, live_server, "reporter")
        response = page.goto(f"{live_server}/incidents/{incident.reference}/notices/")
        assert response is not None and response.status == 404
    finally:
        context.close()
