"""Every officer form keeps what was typed, in a real browser, at a desktop and a phone width.

For each form of the officer's work (a notification, an action, a restriction, a workflow step,
the triage facts, the triage decision, a report request), two journeys:

(a) the session expires while the officer is typing; pressing the button leads to the sign-in
    page, which says nothing was sent; signing in leads back to the same form (``?restore=1``
    and its anchor) with everything typed back in place and its section open, nothing stored
    meanwhile; pressing the button then does the work;
(b) a refused form comes back (400) with what was typed, the error beside its field, and focus
    on the error summary.

Also: on the triage page, changing a fact without saving it blocks signing and leaving warns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from playwright.sync_api import Dialog, Locator, Page, expect
from pytest_django.fixtures import Settings

from breaches.models import Action, Assessment, Decision, Incident, Notification
from breaches.triage.engine import parse_facts
from breaches.triage.services import assessment_create
from reporting.models import QuarterlyReport
from tests.breaches.triage.engine.test_facts import VALID
from tests.conftest import World
from tests.e2e import test_workspace_journey as workspace
from tests.e2e.conftest import PASSWORD, screenshot
from tests.e2e.test_workspace_journey import click_and_wait, fits_the_screen, open_details

pytestmark = pytest.mark.e2e

EXPIRED = "Your session had expired, so nothing was sent yet"
S = Incident.Status

# The workspace journey's fixtures, by name: the committed world, the viewport (desktop and
# phone) and the page at that viewport.
live_world = workspace.live_world
viewport = workspace.viewport
officer_page = workspace.officer_page


# --- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
def dialogs(officer_page: Page) -> list[str]:
    """Every dialog of the page (the "leave the page?" warning) is accepted and recorded."""
    seen: list[str] = []

    def handle(dialog: Dialog) -> None:
        seen.append(dialog.type)
        dialog.accept()

    officer_page.on("dialog", handle)
    return seen


@pytest.fixture
def report_storage(settings: Settings, tmp_path: Path) -> None:
    """Report PDFs go to a temporary directory, not the project's private files."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "config.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }


def incident_url(live_server: object, incident: Incident, path: str = "") -> str:
    return f"{live_server}/incidents/{incident.reference}/{path}"


def sign_in_at(page: Page, live_server: object, username: str, url: str) -> None:
    """Sign in through the login form and go straight on to ``url``."""
    page.goto(f"{live_server}/login/?next={quote(urlsplit(url).path)}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Sign in").click()
    response = navigation.value
    assert response is not None and response.status == 200
    expect(page).to_have_url(url)


def expire_submit_and_sign_in(
    page: Page, press: Callable[[], int], username: str, back_to: str
) -> None:
    """The session ends on the server while the person is typing; they press the button, read
    the warning on the sign-in page, sign in, and land on ``back_to`` (path, query, anchor)."""
    Session.objects.all().delete()
    assert press() == 200
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    assert parse_qs(urlsplit(page.url).query)["next"] == [back_to]
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.locator(".messages")).to_contain_text(EXPIRED)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(back_to) + "$"))


def refused_at_field(page: Page, field: str, text: str, *, within: Locator | None = None) -> None:
    """The error sits beside ``field`` (its ``#field-…`` wrapper) and the field points screen
    readers at it; the error summary (inside ``within`` when given) says it, links to the field
    and has focus."""
    wrapper = page.locator(f"#field-{field}")
    expect(wrapper).to_have_count(1)
    expect(wrapper).to_have_class(re.compile(r"\bhas-error\b"))
    error = wrapper.locator(".field-error")
    expect(error).to_contain_text(text)
    # The errors sit in one element whose id the field's aria-describedby names (<id>_error).
    holder = wrapper.locator("[id$='_error']", has=page.locator(".field-error"))
    error_id = holder.first.get_attribute("id")
    assert error_id, f"the error beside {field} has no id to point at"
    expect(wrapper.locator(f"[aria-describedby~='{error_id}']")).to_have_count(1)
    summary = (within or page).locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text(text)
    expect(summary.locator(f"a[href='#field-{field}']")).to_have_count(1)
    expect(summary).to_be_focused()


def details_of(page: Page, summary: str) -> Locator:
    return page.locator("details", has=page.locator("summary", has_text=summary))


def assess(world: World) -> Assessment:
    """A saved assessment of incident A (the facts of the spec's example: notify both)."""
    incident = world.incident_a
    facts = parse_facts({**VALID, "aware_at": timezone.localtime(incident.aware_at).isoformat()})
    assessment = assessment_create(incident=incident, facts=facts, actor=world.officer_a)
    assert (assessment.notify_regulator, assessment.notify_individuals) == ("yes", "yes")
    return assessment


def status_of(incident: Incident) -> str:
    """The incident's status as stored now."""
    return Incident.objects.values_list("status", flat=True).get(pk=incident.pk)


def a_while_ago() -> str:
    """An hour ago, to the minute, as a datetime-local input holds it."""
    return (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")


# --- 1. Record a notification -----------------------------------------------------------------

NOTIFY = "form[action$='/notifications/']"


def test_notification_kept_across_an_expired_session(
    live_server: object, live_world: World, officer_page: Page, dialogs: list[str], viewport: str
) -> None:
    page = officer_page
    incident = live_world.incident_a
    sign_in_at(page, live_server, "officer_a", incident_url(live_server, incident))
    open_details(page, "Record a notification (or why not)")
    form = page.locator(NOTIFY)
    when = a_while_ago()
    form.get_by_label("The regulator", exact=True).check()
    page.select_option("#notify_method", "email")
    page.fill("#notify_notified_at", when)
    page.fill("#notify_reference_number", "OPC-2026-77")
    page.fill("#notify_reason", "Sent a day late: waited for the police.")

    expire_submit_and_sign_in(
        page,
        lambda: click_and_wait(page, "Record", scope=form),
        "officer_a",
        f"/incidents/{incident.reference}/?restore=1#notifications-heading",
    )
    assert not Notification.objects.exists()
    expect(details_of(page, "Record a notification")).to_have_attribute("open", "")
    form = page.locator(NOTIFY)
    expect(form.locator("#notify_recipient_0")).to_be_checked()
    expect(form.locator("#notify_recipient_0")).to_have_value("regulator")
    expect(page.locator("#notify_method")).to_have_value("email")
    expect(page.locator("#notify_notified_at")).to_have_value(when)
    expect(page.locator("#notify_reference_number")).to_have_value("OPC-2026-77")
    expect(page.locator("#notify_reason")).to_have_value("Sent a day late: waited for the police.")
    expect(page.locator("#error-summary")).to_have_count(0)
    expect(page.locator("#notify_reference_number")).to_be_in_viewport()
    assert fits_the_screen(page)
    screenshot(page, f"officer-forms-notification-restored-{viewport}")

    assert click_and_wait(page, "Record", scope=form) == 200
    expect(page.locator(".messages")).to_contain_text("Notification recorded")
    notification = Notification.objects.get()
    assert notification.incident == incident
    assert notification.recipient == Notification.Recipient.REGULATOR
    assert notification.method == Notification.Method.EMAIL
    assert timezone.localtime(notification.notified_at).strftime("%Y-%m-%dT%H:%M") == when
    assert notification.reference_number == "OPC-2026-77"
    assert notification.reason == "Sent a day late: waited for the police."
    assert notification.recorded_by == live_world.officer_a
    assert dialogs == []


def test_notification_refused_with_the_error_at_the_field(
    live_server: object, live_world: World, officer_page: Page, dialogs: list[str], viewport: str
) -> None:
    page = officer_page
    incident = live_world.incident_a
    sign_in_at(page, live_server, "officer_a", incident_url(live_server, incident))
    open_details(page, "Record a notification (or why not)")
    form = page.locator(NOTIFY)
    form.get_by_label("Affected individuals").check()
    page.select_option("#notify_method", "not_notified")
    page.fill("#notify_reference_number", "none-yet")

    assert click_and_wait(page, "Record", scope=form) == 400
    refused_at_field(page, "notify_reason", "why", within=page.locator(NOTIFY))
    expect(details_of(page, "Record a notification")).to_have_attribute("open", "")
    expect(page.locator("#notify_recipient_1")).to_be_checked()
    expect(page.locator("#notify_method")).to_have_value("not_notified")
    expect(page.locator("#notify_reference_number")).to_have_value("none-yet")
    assert fits_the_screen(page)
    screenshot(page, f"officer-forms-notification-error-{viewport}")
    assert not Notification.objects.exists()


# --- 2. Add an action -------------------------------------------------------------------------

ACTION = "form[action$='/actions/']"


def test_action_kept_across_an_expired_session(
    live_server: object, live_world: World, officer_page: Page, dialogs: list[str], viewport: str
) -> None:
    page = officer_page
    incident = live_world.incident_a
    due = (timezone.localdate() + timedelta(days=10)).isoformat()
    sign_in_at(page, live_server, "officer_a", incident_url(live_server, incident))
    open_details(page, "Add an action")
    form = page.locator(ACTION)
    page.locator("#action_title").click()
    page.keyboard.type("Change the printer's default tray")
    page.select_option("#action_kind", "prevention")
    page.select_option("#action_owner", "reporter")
    page.fill("#action_due_date", due)
    page.fill("#action_description", "Tray 2 holds the letterhead.")

    expire_submit_and_sign_in(
        page,
        lambda: click_and_wait(page, "Add action", scope=form),
        "officer_a",
        f"/incidents/{incident.reference}/?restore=1#actions-heading",
    )
    assert not Action.objects.exists()
    expect(details_of(page, "Add an action")).to_have_attribute("open", "")
    expect(page.locator("#action_title")).to_have_value("Change the printer's default tray")
    expect(page.locator("#action_kind")).to_have_value("prevention")
    expect(page.locator("#action_owner")).to_have_value("reporter")
    expect(page.locator("#action_due_date")).to_have_value(due)
    expect(page.locator("#action_description")).to_have_value("Tray 2 holds the letterhead.")
    expect(page.locator("#error-summary")).to_have_count(0)
    expect(page.locator("#action_title")).to_be_in_viewport()
    assert fits_the_screen(page)
    screenshot(page, f"officer-forms-action-restored-{viewport}")

    assert click_and_wait(page, "Add action", scope=page.locator(ACTION)) == 200
    expect(page.locator(".messages")).to_contain_text("Action added")
    action = Action.objects.get()
    assert action.incident == incident
    assert action.title == "Change the printer's default tray"
    assert action.kind == Action.Kind.PREVENTION
    assert action.owner == live_world.reporter
    assert action.due_date.isoformat() == due
    assert action.description == "Tray 2 holds the letterhead."
    assert dialogs == []


def test_action_refused_with_the_error_at_the_field(
    live_server: object, live_world: World, officer_page: Page, dialogs: list[str], viewport: str
) -> None:
    page = officer_page
    incident = live_world.incident_a
    sign_in_at(page, live_server, "officer_a", incident_url(live_server, incident))
    open_details(page, "Add an action")
    page.fill("#action_title", "Lock the filing cabinet on level 3")
    page.select_option("#action_owner", "reporter")
    page.fill("#action_due_date", "1999-01-01")
    page.fill("#action_description", "Key is with facilities")

    assert click_and_wait(page, "Add action", scope=page.locator(ACTION)) == 400
    refused_at_field(page, "action_due_date", "year", within=page.locator(ACTION))
    expect(details_of(page, "Add an action")).to_have_attribute("open", "")
    expect(page.locator("#action_title")).to_have_value("Lock the filing cabinet on level 3")
    expect(page.locator("#action_owner")).to_have_value("reporter")
    expect(page.locator("#action_due_date")).to_have_value("1999-01-01")
    expect(page.locator("#action_description")).to_have_value("Key is with facilities")
    assert fits_the_screen(page)
    screenshot(page, f"officer-forms-action-error-{viewport}")
    assert not Action.objects.exists()


# --- 3. Restriction (the chief privacy officer) -----------------------------------------------

RESTRICT = "form[action$='/restriction/']"


def person(page: Page, user_pk: int) -> Locator:
    return page.locator(f"#field-restrict_people input[value='{user_pk}']")


def test_restriction_kept_across_an_expired_session(
    live_server: object, live_world: World, officer_page: Page, dialogs: list[str], viewport: str
) -> None:
    page = officer_page
    incident = live_world.incident_a
    officer, reporter = live_world.officer_a, live_world.reporter
    sign_in_at(page, live_server, "cpo", incident_url(live_server, incident))
    open_details(page, "Restrict to named people")
    person(page, officer.pk).check()
    person(page, reporter.pk).check()
    reason = "The reporter's own manager is involved."
    page.fill("#restrict_reason", reason)

    expire_submit_and_sign_in(
        page,
        lambda: click_and_wait(page, "Restrict", scope=page.locator(RESTRICT)),
        "cpo",
        f"/incidents/{incident.reference}/?restore=1#restriction-heading",
    )
    incident.refresh_from_db()
    assert incident.is_restricted is False
    assert not incident.restricted_to.exists()
    expect(details_of(page, "Restrict to named people")).to_have_attribute("open", "")
    expect(person(page, officer.pk)).to_be_checked()
    expect(person(page, reporter.pk)).to_be_checked()
    expect(page.locator("#field-restrict_people input:checked")).to_have_count(2)
    expect(page.locator("#restrict_reason")).to_have_value(reason)
    expect(page.locator("#error-summary")).to_have_count(0)
    expect(page.locator("#restriction-heading")).to_be_in_viewport()
    assert fits_the_screen(page)
    screenshot(page, f"officer-forms-restriction-restored-{viewport}")

    assert click_and_wait(page, "Restrict", scope=page.locator(RESTRICT)) == 200
    expect(page.locator(".messages")).to_contain_text("Incident restricted")
    incident.refresh_from_db()
    assert incident.is_restricted is True
    assert set(incident.restricted_to.all()) == {officer, reporter}
    assert dialogs == []


def test_restriction_refused_with_the_error_at_the_field(
    live_server: object, live_world: World, officer_page: Page, dialogs: list[str], viewport: str
) -> None:
    page = officer_page
    incident = live_world.incident_a
    sign_in_at(page, live_server, "cpo", incident_url(live_server, incident))
    open_details(page, "Restrict to named people")
    person(page, live_world.officer_a.pk).check()

    assert click_and_wait(page, "Restrict", scope=page.locator(RESTRICT)) == 400
    refused_at_field(page, "restrict_reason", "required", within=page.locator(RESTRICT))
    expect(details_of(page, "Restrict to named people")).to_have_attribute("open", "")
    expect(person(page, live_world.officer_a.pk)).to_be_checked()
    expect(page.locator("#field-restrict_people input:checked")).to_have_count(1)
    assert fits_the_screen(page)
    screenshot(page, f"officer-forms-restriction-error-{viewport}")
    incident.refresh_from_db()
    assert incident.is_restricted is False


# --- 4. A workflow step -----------------------------------------------------------------------


def step_form(page: Page, button: str) -> Locator:
    return page.locator("#workflow form", has=page.get_by_role("button", name=button, exact=True))


def test_workflow_step_kept_across_an_expired_session(
    live_server: object, live_world: World, officer_page: Page, dialogs: list[str], viewport: str
) -> None:
    page = officer_page
    incident = live_world.incident_a
    assert incident.status == S.REPORTED
    sign_in_at(page, live_server, "officer_a", incident_url(live_server, incident))
    expect(step_form(page, "Start triage")).to_have_count(1)
    expect(page.locator("#workflow .notice")).to_have_count(0)

    expire_submit_and_sign_in(
        page,
        lambda: click_and_wait(page, "Start triage", scope=page.locator("#workflow")),
        "officer_a",
        f"/incidents/{incident.reference}/?restore=1#workflow",
    )
    assert status_of(incident) == S.REPORTED
    expect(page.locator(".facts .status")).to_have_text(S.REPORTED.label)
    notice = step_form(page, "Start triage").locator(".notice")
    expect(notice).to_contain_text("You were doing this when your session expired")
    expect(page.locator("#workflow .notice")).to_have_count(1)
    expect(notice).to_be_in_viewport()
    expect(page.locator("#error-summary")).to_have_count(0)
    assert fits_the_screen(page)
    screenshot(page, f"officer-forms-workflow-restored-{viewport}")

    assert click_and_wait(page, "Start triage", scope=page.locator("#workflow")) == 200
    expect(page.locator(".messages")).to_contain_text("is now in triage")
    assert status_of(incident) == S.TRIAGE
    expect(page.locator("#workflow .notice")).to_have_count(0)
    assert dialogs == []


def test_workflow_step_refused_with_the_error_at_the_field(
    live_server: object, live_world: World, officer_page: Page, dialogs: list[str], viewport: str
) -> None:
    page = officer_page
    incident = live_world.incident_a
    incident.status = S.CLOSED
    incident.save()
    sign_in_at(page, live_server, "officer_a", incident_url(live_server, incident))

    assert click_and_wait(page, "Reopen", scope=page.locator("#workflow")) == 400
    reopen = step_form(page, "Reopen")
    refused_at_field(page, "move_reason", "Say why", within=reopen)
    expect(reopen.locator("#field-move_reason")).to_have_count(1)
    expect(reopen.locator(".notice")).to_have_count(0)
    assert fits_the_screen(page)
    screenshot(page, f"officer-forms-workflow-error-{viewport}")
    assert status_of(incident) == S.CLOSED

    page.fill("#move_reason", "The regulator asked a new question.")
    assert click_and_wait(page, "Reopen", scope=page.locator("#workflow")) == 200
    expect(page.locator(".messages")).to_contain_text("is now reopened")
    assert status_of(incident) == S.REOPENED


# --- 5. Triage facts --------------------------------------------------------------------------


def test_triage_facts_kept_across_an_expired_session(
    live_server: object, live_world: World, officer_page: Page, dialogs: list[str], viewport: str
) -> None:
    page = officer_page
    incident = live_world.incident_a
    assess(live_world)
    sign_in_at(page, live_server, "officer_a", incident_url(live_server, incident, "triage/"))
    expect(page.locator("#facts-unsaved")).to_be_hidden()
    expect(page.locator("#sign-decision")).to_be_enabled()
    page.fill("#id_individuals_affected", "42")
    page.get_by_label("The key or password was exposed too").check()

    expire_submit_and_sign_in(
        page,
        lambda: click_and_wait(page, "Save assessment"),
        "officer_a",
        f"/incidents/{incident.reference}/triage/?restore=1#facts-heading",
    )
    assert Assessment.objects.filter(incident=incident).count() == 1
    expect(page.locator("#id_individuals_affected")).to_have_value("42")
    expect(page.get_by_label("The key or password was exposed too")).to_be_checked()
    expect(page.get_by_label("Someone who may harm an affected person")).to_be_checked()
    # The recommendation beside them is the restored facts', not the saved assessment's.
    expect(page.locator("#recommendation")).to_contain_text("42 people affected")
    expect(page.locator("#facts-unsaved")).to_be_visible()
    expect(page.locator("#facts-unsaved")).to_contain_text(
        "You have changed the facts without saving them"
    )
    expect(page.locator("#sign-decision")).to_be_disabled()
    expect(page.locator("#error-summary")).to_have_count(0)
    expect(page.locator("#facts-heading")).to_be_in_viewport()
    assert fits_the_screen(page)
    screenshot(page, f"officer-forms-facts-restored-{viewport}")

    assert click_and_wait(page, "Save assessment") == 200
    expect(page.locator(".messages")).to_contain_text("Assessment saved")
    latest = Assessment.objects.filter(incident=incident).latest("created_at", "id")
    assert Assessment.objects.filter(incident=incident).count() == 2
    assert latest.facts["individuals_affected"] == 42
    assert latest.facts["key_compromised"] is True
    expect(page.locator("#facts-unsaved")).to_be_hidden()
    expect(page.locator("#sign-decision")).to_be_enabled()
    assert dialogs == []


def test_triage_facts_refused_with_the_error_at_the_field(
    live_server: object, live_world: World, officer_page: Page, dialogs: list[str], viewport: str
) -> None:
    page = officer_page
    incident = live_world.incident_a
    assess(live_world)
    sign_in_at(page, live_server, "officer_a", incident_url(live_server, incident, "triage/"))
    page.fill("#id_individuals_affected", "")
    page.get_by_label("Harm has already occurred").uncheck()

    assert click_and_wait(page, "Save assessment") == 400
    refused_at_field(page, "individuals_affected", "required")
    expect(page.locator("#id_individuals_affected")).to_have_value("")
    expect(page.get_by_label("Harm has already occurred")).not_to_be_checked()
    expect(page.get_by_label("Someone who may harm an affected person")).to_be_checked()
    # Facts on the page are not the saved ones: signing waits.
    expect(page.locator("#sign-decision")).to_be_disabled()
    assert fits_the_screen(page)
    screenshot(page, f"officer-forms-facts-error-{viewport}")
    assert Assessment.objects.filter(incident=incident).count() == 1


def test_unsaved_facts_block_signing_and_leaving_warns(
    live_server: object, live_world: World, officer_page: Page, dialogs: list[str], viewport: str
) -> None:
    page = officer_page
    incident = live_world.incident_a
    assess(live_world)
    sign_in_at(page, live_server, "officer_a", incident_url(live_server, incident, "triage/"))
    decision = page.locator("#decision-form")
    expect(page.locator("#facts-unsaved")).to_be_hidden()
    expect(page.locator("#sign-decision")).to_be_enabled()
    decision.get_by_label("Notify the regulator").check()
    decision.get_by_label("Notify affected individuals").check()

    # A fact changed, not saved: the decision would be about facts no longer on the page.
    page.get_by_label("Harm has already occurred").uncheck()
    expect(page.locator("#facts-unsaved")).to_be_visible()
    expect(page.locator("#sign-decision")).to_be_disabled()
    screenshot(page, f"officer-forms-facts-unsaved-{viewport}")
    # Even a submit by other means (Enter in a field) sends nothing.
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    decision.evaluate("form => form.requestSubmit()")
    page.wait_for_timeout(300)  # a submit that went ahead would have posted by now
    assert not [url for url in posts if "/decision/" in url], posts
    expect(page).to_have_url(re.compile(rf"/incidents/{incident.reference}/triage/$"))
    assert not Decision.objects.exists()

    # Leaving the page warns (accepted here, so the officer leaves).
    assert dialogs == []
    page.goto(incident_url(live_server, incident))
    assert dialogs == ["beforeunload"]
    expect(page).to_have_url(re.compile(rf"/incidents/{incident.reference}/$"))
    assert Assessment.objects.filter(incident=incident).count() == 1
    assert not Decision.objects.exists()


# --- 6. Triage decision -----------------------------------------------------------------------


def test_triage_decision_kept_across_an_expired_session(
    live_server: object, live_world: World, officer_page: Page, dialogs: list[str], viewport: str
) -> None:
    page = officer_page
    incident = live_world.incident_a
    assessment = assess(live_world)
    sign_in_at(page, live_server, "officer_a", incident_url(live_server, incident, "triage/"))
    decision = page.locator("#decision-form")
    for name in ("notify_regulator", "notify_individuals"):
        expect(decision.locator(f"input[name={name}]:checked")).to_have_count(0)
    decision.get_by_label("Not notifiable").check()
    decision.get_by_label("Do not notify individuals").check()
    rationale = "The recipient is the victim's advocate; no risk remains."
    page.locator("#id_rationale").click()
    page.keyboard.type(rationale)

    expire_submit_and_sign_in(
        page,
        lambda: click_and_wait(page, "Sign decision"),
        "officer_a",
        f"/incidents/{incident.reference}/triage/?restore=1#decision",
    )
    assert not Decision.objects.exists()
    decision = page.locator("#decision-form")
    expect(decision.locator("input[name=notify_regulator][value=no]")).to_be_checked()
    expect(decision.locator("input[name=notify_individuals][value=no]")).to_be_checked()
    expect(decision.locator("input:checked")).to_have_count(2)
    expect(page.locator("#id_rationale")).to_have_value(rationale)
    expect(page.locator("#facts-unsaved")).to_be_hidden()
    expect(page.locator("#sign-decision")).to_be_enabled()
    expect(page.locator("#error-summary")).to_have_count(0)
    expect(page.locator("#decision")).to_be_in_viewport()
    assert fits_the_screen(page)
    screenshot(page, f"officer-forms-decision-restored-{viewport}")

    assert click_and_wait(page, "Sign decision") == 200
    expect(page).to_have_url(re.compile(rf"/incidents/{incident.reference}/$"))
    expect(page.locator(".messages")).to_contain_text("Decision signed")
    signed = Decision.objects.get()
    assert signed.assessment == assessment
    assert (signed.notify_regulator, signed.notify_individuals) == ("no", "no")
    assert signed.rationale == rationale
    assert signed.differs_from_recommendation is True
    assert signed.decided_by == live_world.officer_a
    assert dialogs == []


def test_triage_decision_refused_with_the_error_at_the_field(
    live_server: object, live_world: World, officer_page: Page, dialogs: list[str], viewport: str
) -> None:
    page = officer_page
    incident = live_world.incident_a
    assess(live_world)
    sign_in_at(page, live_server, "officer_a", incident_url(live_server, incident, "triage/"))
    decision = page.locator("#decision-form")
    decision.get_by_label("Not notifiable").check()
    decision.get_by_label("Notify affected individuals").check()
    page.fill("#id_ground", "None claimed.")

    assert click_and_wait(page, "Sign decision") == 400
    refused_at_field(page, "rationale", "differs from the recommendation")
    decision = page.locator("#decision-form")
    expect(decision.locator("input[name=notify_regulator][value=no]")).to_be_checked()
    expect(decision.locator("input[name=notify_individuals][value=yes]")).to_be_checked()
    expect(page.locator("#id_ground")).to_have_value("None claimed.")
    expect(page.locator("#sign-decision")).to_be_enabled()
    assert fits_the_screen(page)
    screenshot(page, f"officer-forms-decision-error-{viewport}")
    assert not Decision.objects.exists()


# --- 7. Report request ------------------------------------------------------------------------


def test_report_request_kept_across_an_expired_session(
    live_server: object,
    live_world: World,
    report_storage: None,
    officer_page: Page,
    dialogs: list[str],
    viewport: str,
) -> None:
    page = officer_page
    sign_in_at(page, live_server, "executive", f"{live_server}/reports/")
    select = page.locator("#id_quarter")
    offered: list[str] = select.locator("option").evaluate_all("os => os.map(o => o.value)")
    default = select.input_value()
    older = offered[-2]
    assert older not in (default, offered[0])
    select.select_option(older)

    expire_submit_and_sign_in(
        page, lambda: click_and_wait(page, "Prepare the report"), "executive", "/reports/?restore=1"
    )
    assert not QuarterlyReport.objects.exists()
    expect(page.locator("#id_quarter")).to_have_value(older)
    expect(page.locator("#error-summary")).to_have_count(0)
    assert fits_the_screen(page)
    screenshot(page, f"officer-forms-report-restored-{viewport}")

    assert click_and_wait(page, "Prepare the report") == 200
    expect(page.locator(".messages")).to_contain_text("report is being prepared")
    report = QuarterlyReport.objects.get()
    assert report.quarter == older
    assert report.requested_by == live_world.executive
    assert dialogs == []


def test_report_request_refused_with_the_error_at_the_field(
    live_server: object,
    live_world: World,
    report_storage: None,
    officer_page: Page,
    dialogs: list[str],
    viewport: str,
) -> None:
    page = officer_page
    sign_in_at(page, live_server, "executive", f"{live_server}/reports/")
    # A request no page offers (a stale tab, a crafted form): the form says so at the field.
    page.locator("#id_quarter").evaluate(
        """select => { select.add(new Option("The year 1", "0001Q1")); }"""
    )
    page.locator("#id_quarter").select_option("0001Q1")

    assert click_and_wait(page, "Prepare the report") == 400
    refused_at_field(page, "quarter", "Choose a quarter like")
    assert fits_the_screen(page)
    screenshot(page, f"officer-forms-report-error-{viewport}")
    assert not QuarterlyReport.objects.exists()
