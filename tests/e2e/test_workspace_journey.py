"""The privacy officer's workspace in a real browser, from the register to a closed incident.

At a desktop viewport and at a phone's, officer_a filters the register (the filters stay in the
address), exports exactly the rows shown (the export is logged), opens Incident A, starts triage,
assesses it as notifiable and signs the decision, records the notification to the regulator (on
time), adds an action for its reporter, and moves it on to closed (saying the open action is
done), with every step checked on the page and in the database. Then another region's officer
and an executive try the incident, its access log and the export; and officer_a reads the
access log.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.models import AccessEvent
from breaches.models import Action, Assessment, Decision, Incident, Notification
from breaches.register.exports import CSV_HEADER
from tests.conftest import World, build_world
from tests.e2e.conftest import PHONE, login, screenshot

pytestmark = pytest.mark.e2e

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
S = Incident.Status


@pytest.fixture
def live_world(transactional_db: None) -> World:
    """The personas, committed, so the live server's thread can see them."""
    return build_world()


@pytest.fixture(params=["desktop", "phone"])
def viewport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def new_context(browser: Browser, viewport: str) -> BrowserContext:
    context = browser.new_context(**VIEWPORTS[viewport], accept_downloads=True)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def officer_page(browser: Browser, viewport: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    """officer_a's page: a 1280×900 desktop context, or the phone_page fixture."""
    if viewport == "phone":
        yield request.getfixturevalue("phone_page")
        return
    context = new_context(browser, viewport)
    try:
        yield context.new_page()
    finally:
        context.close()


# --- helpers ----------------------------------------------------------------------------------


def click_and_wait(page: Page, name: str, *, scope: object = None) -> int:
    """Press the button ``name`` (within ``scope``) and return the status of the next page."""
    where = scope or page
    with page.expect_navigation() as navigation:
        where.get_by_role("button", name=name, exact=True).click()  # type: ignore[attr-defined]
    response = navigation.value
    assert response is not None
    return response.status


def move(page: Page, incident: Incident, button: str, status: str) -> None:
    """Press a workflow button; the page says so and the database agrees."""
    workflow = page.locator(".workflow")
    expect(workflow.get_by_role("button", name=button, exact=True)).to_be_visible()
    assert click_and_wait(page, button, scope=workflow) == 200
    # Back at the workflow buttons, where the next move is.
    expect(page).to_have_url(re.compile(rf"/incidents/{incident.reference}/#workflow$"))
    label = S(status).label
    expect(page.locator(".messages")).to_contain_text(f"is now {label.lower()}")
    expect(page.locator(".facts .status")).to_have_text(label)
    incident.refresh_from_db()
    assert incident.status == status


def open_details(page: Page, summary: str) -> None:
    details = page.locator("details", has=page.locator("summary", has_text=summary))
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    expect(details).to_have_attribute("open", "")


def fits_the_screen(page: Page) -> bool:
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def register_references(page: Page) -> list[str]:
    return page.locator("table.incidents tbody a.ref").all_inner_texts()


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


# --- the journey ------------------------------------------------------------------------------


def test_officer_works_an_incident_from_the_register_to_closed(
    live_server: object, live_world: World, officer_page: Page, browser: Browser, viewport: str
) -> None:
    page = officer_page
    incident = live_world.incident_a
    reference = incident.reference
    incident_url = f"{live_server}/incidents/{reference}/"

    # 1. Sign in: the officer lands on what needs them now.
    login(page, live_server, "officer_a")
    expect(page.get_by_role("heading", level=1)).to_have_text("What needs you now")

    # The register, filtered by kind and free text through the form.
    nav = page.get_by_role("navigation", name="Main")
    register_link = nav.get_by_role("link", name="Register", exact=True)
    expect(register_link).to_be_visible()
    with page.expect_navigation():
        register_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register")
    # officer_a sees A's incidents only; B's is another region, R is restricted to `named`.
    assert register_references(page) == [reference]
    open_details(page, "Filter and sort")
    form = page.locator("form.filter-form")
    form.get_by_label("Kind").select_option("breach")
    form.get_by_label("Reference or summary").fill("Incident A")
    with page.expect_navigation():
        form.get_by_role("button", name="Apply").click()
    query = parse_qs(urlsplit(page.url).query)
    assert query["kind"] == ["breach"]
    assert query["q"] == ["Incident A"]
    # Filters on: the panel closes so the results come first, and its heading names them.
    expect(page.locator("details.filters")).not_to_have_attribute("open", "")
    expect(page.locator("details.filters summary")).to_contain_text("kind")
    expect(page.locator("details.filters summary")).to_contain_text("reference or summary")
    # Empty filters stay out of the URL (a shared link carries only what is on).
    assert set(query) == {"kind", "q"}
    expect(form.get_by_label("Kind")).to_have_value("breach")
    expect(form.get_by_label("Reference or summary")).to_have_value("Incident A")
    rows = page.locator("table.incidents tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Incident A")
    assert register_references(page) == [reference]
    expect(page.locator(".register-tools")).to_contain_text("1 incident")
    assert fits_the_screen(page), "the filtered register scrolls sideways"
    screenshot(page, f"workspace-{viewport}-register-filtered")

    # 2. Export exactly the rows shown; the export is an access event.
    export = page.get_by_role("link", name="Export these as CSV")
    assert "kind=breach" in (export.get_attribute("href") or "")
    with page.expect_download() as info:
        export.click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".csv")
    exported = csv_rows(download.path().read_text(encoding="utf-8"))
    assert exported[0] == CSV_HEADER
    assert [row[0] for row in exported[1:]] == register_references(page)
    assert exported[1][CSV_HEADER.index("Summary")] == "Incident A"
    exports = AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT, incident__isnull=True)
    assert exports.count() == 1
    event = exports.get()
    assert event.user == live_world.officer_a
    assert event.detail["filters"]["kind"] == ["breach"]
    assert event.detail["filters"]["q"] == ["Incident A"]

    # 3. Open the incident from the filtered register; start triage.
    with page.expect_navigation():
        page.locator("table.incidents").get_by_role("link", name=reference).click()
    expect(page).to_have_url(re.compile(rf"/incidents/{reference}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(page.locator(".workflow").get_by_role("button")).to_have_count(1)
    assert AccessEvent.objects.filter(
        incident=incident, user=live_world.officer_a, action=AccessEvent.Action.VIEW
    ).exists()
    move(page, incident, "Start triage", S.TRIAGE)
    # Not assessed yet: the next move is offered but says what is missing.
    blocked = page.locator(".workflow form", has=page.get_by_role("button", name="Mark assessed"))
    expect(blocked).to_contain_text("Save a triage assessment first.")
    screenshot(page, f"workspace-{viewport}-in-triage")

    # Triage: the report's facts, changed to clearly notifiable.
    with page.expect_navigation():
        page.get_by_role("link", name="Triage and decide").click()
    expect(page).to_have_url(re.compile(rf"/incidents/{reference}/triage/$"))
    page.get_by_label("Someone who may harm an affected person").check()
    page.get_by_label("Harm has already occurred").check()
    expect(page.locator("#recommendation .answer-yes")).to_have_count(2)
    assert click_and_wait(page, "Save assessment") == 200
    expect(page.locator(".messages")).to_contain_text("Assessment saved")
    assessment = Assessment.objects.get(incident=incident)
    assert (assessment.notify_regulator, assessment.notify_individuals) == ("yes", "yes")
    assert assessment.facts["recipient"] == "person_posing_risk"
    assert assessment.facts["harm_occurred"] is True
    decision_form = page.locator("form[action$='/triage/decision/']")
    decision_form.get_by_label("Notify the regulator").check()
    decision_form.get_by_label("Notify affected individuals").check()
    assert click_and_wait(page, "Sign decision") == 200
    expect(page).to_have_url(re.compile(rf"/incidents/{reference}/$"))
    expect(page.locator(".messages")).to_contain_text("Decision signed")
    decision = Decision.objects.get(incident=incident)
    assert (decision.notify_regulator, decision.notify_individuals) == ("yes", "yes")
    assert decision.differs_from_recommendation is False
    assert decision.decided_by == live_world.officer_a
    incident.refresh_from_db()
    assert incident.decision_notify_regulator == "yes"
    assert incident.regulator_deadline is not None
    expect(page.locator(".clock")).to_contain_text("hours left")

    move(page, incident, "Mark assessed", S.ASSESSED)
    # Decided to notify: "Start notifying" is open; remediation waits for the notification.
    workflow = page.locator(".workflow")
    expect(workflow.get_by_role("button", name="Start notifying")).to_be_visible()
    blocked = workflow.locator("[aria-disabled=true]")
    expect(blocked).to_have_count(1)
    expect(blocked).to_have_text("Move to remediation")
    expect(workflow).to_contain_text("Record the notification to the regulator")
    move(page, incident, "Start notifying", S.NOTIFYING)

    # 4. Record the notification to the regulator, made a moment ago.
    notifications = page.locator("section[aria-labelledby=notifications-heading]")
    expect(notifications).to_contain_text("None recorded.")
    open_details(page, "Record a notification (or why not)")
    notified_at = timezone.localtime().replace(second=0, microsecond=0)
    notify_form = notifications.locator("form")
    notify_form.get_by_label("The regulator", exact=True).check()
    notify_form.get_by_label("How").select_option(label="Online form")
    notify_form.get_by_label("When").fill(notified_at.strftime("%Y-%m-%dT%H:%M"))
    notify_form.get_by_label("Their reference number").fill("OPC-2026-1")
    assert click_and_wait(page, "Record", scope=notify_form) == 200
    expect(page.locator(".messages")).to_contain_text("Notification recorded")
    notifications = page.locator("section[aria-labelledby=notifications-heading]")
    entry = notifications.locator("ul.notifications > li")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("The regulator")
    expect(entry).to_contain_text("Online form")
    expect(entry).to_contain_text("ref OPC-2026-1")
    expect(entry.locator(".badge-ontime")).to_have_text("On time")
    notification = Notification.objects.get(incident=incident)
    assert notification.recipient == Notification.Recipient.REGULATOR
    assert notification.method == Notification.Method.ONLINE_FORM
    assert notification.reference_number == "OPC-2026-1"
    assert notification.notified_at == notified_at
    assert notification.on_time is True
    assert notification.recorded_by == live_world.officer_a
    incident.refresh_from_db()
    assert incident.regulator_notified_at == notified_at
    # The clock has stopped: no "hours left" any more.
    expect(page.locator(".clock")).not_to_contain_text("hours left")
    screenshot(page, f"workspace-{viewport}-notified")

    # 5. Add an action for the incident's reporter (the owner list holds only people who can
    # see the incident), due in a week.
    due = timezone.localdate() + timedelta(days=7)
    actions = page.locator("section[aria-labelledby=actions-heading]")
    expect(actions).to_contain_text("No actions.")
    open_details(page, "Add an action")
    action_form = actions.locator("form.inline-form")
    action_form.get_by_label("What needs doing").fill("Retrain the team")
    action_form.get_by_label("Owner").select_option("reporter")
    action_form.get_by_label("Due").fill(due.isoformat())
    assert click_and_wait(page, "Add action", scope=action_form) == 200
    expect(page.locator(".messages")).to_contain_text("Action added")
    listed = page.locator("section[aria-labelledby=actions-heading] ul.actions-list > li")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Retrain the team")
    expect(listed).to_contain_text(str(live_world.reporter))
    expect(listed).to_contain_text(f"due {due.day} {due:%b %Y}")
    expect(listed).not_to_contain_text("Overdue")
    action = Action.objects.get(incident=incident)
    assert action.title == "Retrain the team"
    assert action.owner == live_world.reporter
    assert action.due_date == due
    assert action.status == Action.Status.OPEN
    assert action.created_by == live_world.officer_a

    # 6. On to remediation, then closed: closing asks what happens to the open action (done);
    # the timeline shows every move.
    move(page, incident, "Move to remediation", S.REMEDIATION)
    closing = page.locator("#workflow form", has=page.get_by_role("button", name="Close"))
    expect(closing).to_contain_text("what happens to each open action")
    closing.get_by_label("What happens to it: Retrain the team").select_option("done")
    move(page, incident, "Close", S.CLOSED)
    action.refresh_from_db()
    assert action.status == Action.Status.DONE
    workflow = page.locator(".workflow")
    expect(workflow.get_by_role("button")).to_have_count(1)
    expect(workflow.get_by_role("button", name="Reopen")).to_be_visible()
    timeline = page.locator("ol.timeline")
    steps = [
        ("Reported", "In triage"),
        ("In triage", "Assessed"),
        ("Assessed", "Notifying"),
        ("Notifying", "Remediation"),
        ("Remediation", "Closed"),
    ]
    for old, new in steps:
        expect(timeline).to_contain_text(f"Status: {old} → {new}")
    expect(timeline).to_contain_text("assessed notifiability")
    expect(timeline).to_contain_text("signed a decision")
    changes = timeline.locator("ul.changes li", has_text="Status:")
    expect(changes).to_have_count(len(steps))
    statuses = list(
        incident.history.order_by("history_date", "history_id").values_list("status", flat=True)
    )
    moves = [s for i, s in enumerate(statuses) if i == 0 or statuses[i - 1] != s]
    assert moves == [S.REPORTED, S.TRIAGE, S.ASSESSED, S.NOTIFYING, S.REMEDIATION, S.CLOSED]
    assert fits_the_screen(page), "the closed incident scrolls sideways"
    screenshot(page, f"workspace-{viewport}-closed")

    # The register shows it closed, notified on time.
    page.goto(f"{live_server}/incidents/?q={reference}")
    row = page.locator("table.incidents tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td[data-label=Status]")).to_have_text("Closed")
    expect(row.locator("td[data-label='Regulator deadline']")).to_have_text("Notified on time")

    # 7. Another region's officer and an executive cannot reach any of it.
    for username in ("officer_b", "executive"):
        context = new_context(browser, viewport)
        try:
            other = context.new_page()
            login(other, live_server, username)
            response = other.goto(incident_url)
            assert response is not None and response.status == 404, username
            expect(other.locator("body")).not_to_contain_text("Incident A")
            if username == "officer_b":
                screenshot(other, f"workspace-{viewport}-officer-b-404")
            response = other.goto(f"{incident_url}access-log/")
            assert response is not None and response.status == 404, username
            expect(other.locator("body")).not_to_contain_text("Incident A")
            # The export: fetched in the same session (a download is not a page).
            answer = other.request.get(f"{live_server}/incidents/export.csv?q={reference}")
            if username == "executive":
                assert answer.status == 404
            else:
                assert answer.status == 200
                answered = csv_rows(answer.text())
                assert answered[0] == CSV_HEADER
                assert answered[1:] == [], answered
                assert reference not in answer.text()
                assert "Incident A" not in answer.text()
            for path in ("", "access-log/"):
                assert other.request.get(f"{incident_url}{path}").status == 404
        finally:
            context.close()
    others = AccessEvent.objects.filter(
        incident=incident, user__username__in=["officer_b", "executive"]
    )
    assert not others.exists()

    # 8. officer_a reads the access log: their own openings (the export: see the next test).
    page.goto(incident_url)
    with page.expect_navigation():
        page.get_by_role("link", name="Who has read this incident (access log)").click()
    expect(page).to_have_url(re.compile(rf"/incidents/{reference}/access-log/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Who read {reference}")
    log_rows = page.locator("table tbody tr")
    opened = log_rows.filter(has_text="Opened incident")
    views = AccessEvent.objects.filter(incident=incident, action=AccessEvent.Action.VIEW)
    assert set(views.values_list("user__username", flat=True)) == {"officer_a"}
    expect(opened).to_have_count(views.count())
    expect(opened.first).to_contain_text("officer_a")
    expect(page.locator("table")).not_to_contain_text("officer_b")
    expect(page.locator("table")).not_to_contain_text("executive")
    assert fits_the_screen(page), "the access log scrolls sideways"
    screenshot(page, f"workspace-{viewport}-access-log")


def test_the_access_log_shows_the_export_that_included_the_incident(
    live_server: object, live_world: World, browser: Browser
) -> None:
    """The issue: the access log says who opened it, downloaded what, *exported* it."""
    incident = live_world.incident_a
    context = new_context(browser, "desktop")
    try:
        page = context.new_page()
        login(page, live_server, "officer_a")
        page.goto(f"{live_server}/incidents/?kind=breach&q=Incident+A")
        with page.expect_download() as info:
            page.get_by_role("link", name="Export these as CSV").click()
        assert info.value.failure() is None
        # One event for the export, and one on each incident it contained.
        assert AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT).count() == 2
        response = page.goto(f"{live_server}/incidents/{incident.reference}/access-log/")
        assert response is not None and response.status == 200
        exported = page.locator("table tbody tr").filter(has_text="Exported register")
        expect(exported).to_have_count(1)
        expect(exported).to_contain_text("officer_a")
    finally:
        context.close()


def test_a_refused_action_or_notification_comes_back_with_the_error_at_the_field(
    live_server: object, live_world: World, officer_page: Page, viewport: str
) -> None:
    """Issue 11, finding 2: the section stays open, everything typed comes back, the error sits
    beside its field and focus moves to the summary at the form."""
    page = officer_page
    login(page, live_server, "officer_a")
    page.goto(f"{live_server}/incidents/{live_world.incident_a.reference}/")

    open_details(page, "Add an action")
    action_form = page.locator("form[action$='/actions/']")
    action_form.get_by_label("What needs doing").fill("Lock the filing cabinet on level 3")
    action_form.get_by_label("Owner").select_option("reporter")
    action_form.get_by_label("Due").fill("1999-01-01")
    action_form.get_by_label("Details").fill("Key is with facilities")
    assert click_and_wait(page, "Add action", scope=action_form) == 400
    action_form = page.locator("form[action$='/actions/']")
    summary = action_form.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("The action was not added")
    expect(action_form.locator("#field-action_due_date .field-error")).to_contain_text("year")
    expect(action_form.get_by_label("What needs doing")).to_have_value(
        "Lock the filing cabinet on level 3"
    )
    expect(action_form.get_by_label("Details")).to_have_value("Key is with facilities")
    screenshot(page, f"action-error-{viewport}")
    assert not Action.objects.exists()

    page.goto(f"{live_server}/incidents/{live_world.incident_a.reference}/")
    open_details(page, "Record a notification (or why not)")
    notify_form = page.locator("form[action$='/notifications/']")
    notify_form.get_by_label("The regulator", exact=True).check()
    notify_form.get_by_label("How").select_option("not_notified")
    notify_form.get_by_label("Their reference number").fill("OPC-2026-118")
    assert click_and_wait(page, "Record", scope=notify_form) == 400
    notify_form = page.locator("form[action$='/notifications/']")
    expect(notify_form.locator("#error-summary")).to_be_focused()
    expect(notify_form.locator("#field-notify_reason .field-error")).to_contain_text("why")
    expect(notify_form.get_by_label("Their reference number")).to_have_value("OPC-2026-118")
    assert not Notification.objects.exists()
