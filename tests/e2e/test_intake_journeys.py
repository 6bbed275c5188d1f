"""Reporting a breach or near miss on a phone, in a real browser, checked against the database.

Each journey asserts what the person sees *and* what was (or was not) stored: a near miss with
only the first step, a breach with every optional detail and a photo, a validation error that
keeps every value, an expired session that keeps the draft, a double submit that makes one
incident, a renamed program refused, the unsaved-input warning, "My reports", and scope.
"""

from __future__ import annotations

import hashlib
import re
import struct
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone
from playwright.sync_api import Dialog, FilePayload, Page, expect

from breaches.models import AffectedIndividual, Attachment, Incident
from tests.conftest import World, build_world
from tests.e2e.conftest import PASSWORD, login, screenshot

pytestmark = pytest.mark.e2e

FORM = "form.report-form"
EXPIRED = "Your session had expired, so nothing was sent yet."
PROGRAM = "This file is a program or script"


@pytest.fixture
def live_world(transactional_db: None) -> World:
    """The personas, committed, so the live server's thread can see them."""
    return build_world()


# --- helpers ----------------------------------------------------------------------------------


def tiny_png(width: int = 8, height: int = 8) -> bytes:
    """A small, valid RGB PNG built by hand (signature, IHDR, IDAT, IEND)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + bytes((200, 60, 40)) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def open_form(page: Page, live_server: object) -> None:
    response = page.goto(f"{live_server}/incidents/new/")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Report a breach or near miss")


def fill_first_step(page: Page, *, kind: str, summary: str, channel: str) -> None:
    """The required step as a person does it: tap the choice, type the line, pick the channel."""
    page.locator(f"input[name=kind][value={kind}]").check()
    page.locator("#id_summary").click()
    page.keyboard.type(summary)
    page.select_option("#id_channel", channel)


def open_details(page: Page) -> None:
    details = page.locator(f"{FORM} details")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    expect(details).to_have_attribute("open", "")


def send(page: Page) -> int:
    """Tap "Send report" and return the HTTP status of the page it leads to."""
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Send report").click()
    response = navigation.value
    assert response is not None
    return response.status


def accept_dialogs(page: Page) -> list[str]:
    """Accept every dialog (the beforeunload warning) and record its type."""
    seen: list[str] = []

    def handle(dialog: Dialog) -> None:
        seen.append(dialog.type)
        dialog.accept()

    page.on("dialog", handle)
    return seen


def new_incident(summary: str) -> Incident:
    return Incident.objects.get(summary=summary)


def file_near_miss(page: Page, live_server: object, summary: str) -> Incident:
    open_form(page, live_server)
    fill_first_step(page, kind="near_miss", summary=summary, channel="email")
    assert send(page) == 200
    return new_incident(summary)


# --- journeys ---------------------------------------------------------------------------------


def test_near_miss_with_only_the_first_step(
    live_server: object, live_world: World, phone_page: Page
) -> None:
    page = phone_page
    login(page, live_server, "reporter")
    open_form(page, live_server)

    # The optional part starts closed; aware_at and the unit come pre-filled.
    expect(page.locator(f"{FORM} details")).not_to_have_attribute("open", "")
    expect(page.locator("#id_aware_at")).not_to_have_value("")
    expect(page.locator("#id_business_unit")).to_have_value(str(live_world.site_a1.pk))
    screenshot(page, "intake-empty-form")

    summary = "Near miss: letter nearly posted to the wrong caregiver"
    fill_first_step(page, kind="near_miss", summary=summary, channel="post")
    assert send(page) == 200

    incidents = Incident.objects.filter(summary=summary)
    assert incidents.count() == 1
    incident = incidents.get()
    assert incident.kind == Incident.Kind.NEAR_MISS
    assert incident.channel == Incident.Channel.POST
    assert incident.reporter == live_world.reporter
    assert incident.business_unit == live_world.site_a1
    assert incident.status == Incident.Status.REPORTED
    assert incident.occurred_precision == Incident.OccurredPrecision.UNKNOWN
    assert incident.submission_token is not None
    # aware_at defaulted to "now" (to the minute, in local time).
    assert abs(timezone.now() - incident.aware_at).total_seconds() < 10 * 60
    assert Incident.objects.count() == 4  # the three of the world, and this one

    expect(page).to_have_url(re.compile(rf"/incidents/{incident.reference}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(incident.reference)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Near miss")
    expect(page.locator(".messages")).to_contain_text("Thank you")
    expect(page.locator(".messages")).to_contain_text(incident.reference)
    screenshot(page, "intake-confirmation")


def test_breach_with_details_and_a_photo(
    live_server: object,
    live_world: World,
    phone_page: Page,
    capsys: pytest.CaptureFixture[str],
) -> None:
    page = phone_page
    login(page, live_server, "reporter")
    png = tiny_png()
    summary = "Care plan e-mailed to the wrong caregiver"

    started = time.monotonic()
    open_form(page, live_server)
    fill_first_step(page, kind="breach", summary=summary, channel="email")
    open_details(page)
    page.locator("input[name=breach_types][value=unauthorised_disclosure]").check()
    page.locator("input[name=information_categories][value=care_protection]").check()
    page.locator("input[name=information_categories][value=children]").check()
    page.fill("#id_description", "Sent to the previous caregiver's address by autocomplete.")
    page.fill("#id_individuals_affected", "3")
    page.locator("#id_individuals_affected_is_estimate").check()
    page.fill("#id_affected-0-reference", "C-204816")
    page.select_option("#id_affected-0-role", "child")
    photo: FilePayload = {"name": "photo.png", "mimeType": "image/png", "buffer": png}
    page.set_input_files("#id_evidence", files=[photo])
    screenshot(page, "intake-details-filled")
    assert send(page) == 200
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(f"\n[intake] breach with details and a photo: filled and sent in {elapsed:.1f} s")

    incident = new_incident(summary)
    assert incident.kind == Incident.Kind.BREACH
    assert incident.reporter == live_world.reporter
    assert incident.business_unit == live_world.site_a1
    assert incident.description.startswith("Sent to the previous caregiver")
    assert incident.individuals_affected == 3
    assert incident.individuals_affected_is_estimate is True
    assert list(incident.breach_types.values_list("breach_type", flat=True)) == [
        "unauthorised_disclosure"
    ]
    assert set(incident.information_categories.values_list("category", flat=True)) == {
        "care_protection",
        "children",
    }
    assert list(incident.affected.values_list("reference", "role")) == [
        ("C-204816", AffectedIndividual.Role.CHILD)
    ]
    attachment = Attachment.objects.get(incident=incident)
    assert attachment.content_type == "image/png"
    assert attachment.original_name == "photo.png"
    assert attachment.size == len(png)
    assert attachment.sha256 == hashlib.sha256(png).hexdigest()
    assert attachment.uploaded_by == live_world.reporter
    assert Path(attachment.file.path).read_bytes() == png

    expect(page).to_have_url(re.compile(rf"/incidents/{incident.reference}/$"))
    expect(page.locator(".messages")).to_contain_text("Thank you")
    expect(page.locator(".attachments")).to_contain_text("photo.png")
    expect(page.locator("dl.facts")).to_contain_text("3 (estimate)")
    expect(page.locator("main")).to_contain_text("C-204816 — Child")
    assert elapsed < 120, f"reporting took {elapsed:.0f} s even for a robot"


def test_validation_error_keeps_every_value(
    live_server: object, live_world: World, phone_page: Page
) -> None:
    page = phone_page
    login(page, live_server, "reporter")
    open_form(page, live_server)

    summary = "Paper file left in the meeting room"
    description = "Found by the cleaner on Tuesday; it was the Smith file box."
    future = f"{timezone.localtime().year + 1}-01-15T09:30"
    fill_first_step(page, kind="breach", summary=summary, channel="paper")
    page.fill("#id_aware_at", future)
    open_details(page)
    page.fill("#id_description", description)
    page.fill("#id_affected-0-reference", "C-123456")
    page.select_option("#id_affected-0-role", "client")
    before = Incident.objects.count()

    assert send(page) == 400

    assert Incident.objects.count() == before
    assert not Incident.objects.filter(summary=summary).exists()

    # The error sits next to its field, and the summary at the top lists it and has focus.
    field_error = page.locator("#field-aware_at .field-error")
    expect(field_error).to_contain_text("This is in the future")
    expect(page.locator("#id_aware_at")).to_have_attribute("aria-describedby", re.compile("."))
    error_summary = page.locator("#error-summary")
    expect(error_summary).to_be_visible()
    expect(error_summary).to_contain_text("Please check 1 thing below")
    expect(error_summary).to_contain_text("This is in the future")
    expect(error_summary).to_be_focused()
    summary_box = error_summary.bounding_box()
    first_field_box = page.locator("#field-kind").bounding_box()
    assert summary_box is not None and first_field_box is not None
    assert summary_box["y"] < first_field_box["y"]

    # Every value is still there, and the optional part is open to show them.
    expect(page.locator("#id_summary")).to_have_value(summary)
    expect(page.locator("#id_channel")).to_have_value("paper")
    expect(page.locator("input[name=kind][value=breach]")).to_be_checked()
    expect(page.locator("#id_aware_at")).to_have_value(future)
    expect(page.locator(f"{FORM} details")).to_have_attribute("open", "")
    expect(page.locator("#id_description")).to_have_value(description)
    expect(page.locator("#id_affected-0-reference")).to_have_value("C-123456")
    expect(page.locator("#id_affected-0-role")).to_have_value("client")
    expect(page.locator("#id_business_unit")).to_have_value(str(live_world.site_a1.pk))
    screenshot(page, "intake-validation-error")

    # Correcting the one field is enough to send it.
    page.fill("#id_aware_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    assert send(page) == 200
    incident = new_incident(summary)
    assert incident.description == description
    assert list(incident.affected.values_list("reference", "role")) == [("C-123456", "client")]


def test_expired_session_keeps_the_draft(
    live_server: object, live_world: World, phone_page: Page
) -> None:
    page = phone_page
    accept_dialogs(page)
    login(page, live_server, "reporter")
    open_form(page, live_server)

    summary = "Laptop bag left on the bus"
    description = "Noticed at home; the bus company has been called."
    fill_first_step(page, kind="breach", summary=summary, channel="lost_device")
    open_details(page)
    page.fill("#id_description", description)

    # The session ends on the server while the person is still typing.
    Session.objects.all().delete()

    assert send(page) == 200
    expect(page).to_have_url(re.compile(r"/login/\?next=/incidents/new/%3Frestore%3D1$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.locator(".messages")).to_contain_text(EXPIRED)
    assert not Incident.objects.filter(summary=summary).exists()
    screenshot(page, "intake-session-expired-login")

    page.fill("#id_username", "reporter")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/incidents/new/\?restore=1$"))
    expect(page.locator(".messages")).to_contain_text("Here is your report as you left it")
    expect(page.locator("#id_summary")).to_have_value(summary)
    expect(page.locator("#id_channel")).to_have_value("lost_device")
    expect(page.locator("input[name=kind][value=breach]")).to_be_checked()
    expect(page.locator("#id_description")).to_have_value(description)
    expect(page.locator("#error-summary")).to_have_count(0)
    screenshot(page, "intake-session-restored")

    assert send(page) == 200
    incidents = Incident.objects.filter(summary=summary)
    assert incidents.count() == 1
    incident = incidents.get()
    assert incident.reporter == live_world.reporter
    assert incident.description == description
    assert incident.channel == Incident.Channel.LOST_DEVICE
    expect(page).to_have_url(re.compile(rf"/incidents/{incident.reference}/$"))
    expect(page.locator(".messages")).to_contain_text("Thank you")


def test_double_submit_makes_one_incident(
    live_server: object, live_world: World, phone_page: Page
) -> None:
    page = phone_page
    login(page, live_server, "reporter")
    open_form(page, live_server)
    summary = "Client list printed to the shared printer"
    fill_first_step(page, kind="breach", summary=summary, channel="paper")

    # What the browser would send, kept to replay it later as a resubmission would.
    fields: dict[str, str | float | bool] = page.locator(FORM).evaluate(
        """form => Object.fromEntries(
             [...new FormData(form)].filter(([, v]) => typeof v === "string"))"""
    )
    token = str(fields["submission_token"])
    assert token and fields["csrfmiddlewaretoken"]
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    # Two submits straight after each other: the page's script lets only the first through.
    with page.expect_navigation():
        page.locator(FORM).evaluate("form => { form.requestSubmit(); form.requestSubmit(); }")
    assert len(posts) == 1
    incident = new_incident(summary)
    expect(page).to_have_url(re.compile(rf"/incidents/{incident.reference}/$"))

    # The same form sent again (a retry, the back button, a second tab): no second incident.
    response = page.request.post(f"{live_server}/incidents/new/", form=fields, max_redirects=0)
    assert response.status == 302
    assert response.headers["location"] == incident.get_absolute_url()
    assert Incident.objects.filter(summary=summary).count() == 1
    assert Incident.objects.filter(submission_token=token).count() == 1


def test_two_identical_posts_at_once_make_one_incident(
    live_server: object, live_world: World, phone_page: Page
) -> None:
    """Without the page's script (two fetches in parallel) the server still makes one."""
    if connection.vendor == "sqlite":
        # The in-memory test database uses SQLite's shared cache, whose table locks fail at
        # once instead of waiting: a real race needs a server database (`make test`).
        pytest.skip("concurrent writes need a server database: run `make test`")
    page = phone_page
    login(page, live_server, "reporter")
    open_form(page, live_server)
    summary = "Two taps on a slow connection"
    fill_first_step(page, kind="near_miss", summary=summary, channel="verbal")

    statuses: list[int] = page.locator(FORM).evaluate(
        """async form => {
             const send = () => fetch(form.action || location.href, {
               method: "POST", body: new FormData(form), redirect: "manual"});
             const responses = await Promise.all([send(), send()]);
             return responses.map(r => r.status);
           }"""
    )
    # redirect: "manual" gives an opaque redirect (status 0) for each 302.
    assert statuses == [0, 0], statuses
    assert Incident.objects.filter(summary=summary).count() == 1


def test_renamed_program_is_refused_and_the_report_kept(
    live_server: object, live_world: World, phone_page: Page
) -> None:
    page = phone_page
    login(page, live_server, "reporter")
    open_form(page, live_server)
    summary = "Wrong attachment sent to a partner agency"
    fill_first_step(page, kind="breach", summary=summary, channel="email")
    # A program whose name and declared type say PDF: only its content tells the truth.
    program: FilePayload = {
        "name": "evidence.pdf",
        "mimeType": "application/pdf",
        "buffer": Path("/bin/ls").read_bytes(),
    }
    page.set_input_files("#id_evidence", files=[program])
    before = Incident.objects.count()

    assert send(page) == 400

    assert Incident.objects.count() == before
    assert not Incident.objects.filter(summary=summary).exists()
    assert not Attachment.objects.exists()

    expect(page.locator("#field-evidence .field-error")).to_contain_text(PROGRAM)
    expect(page.locator("#error-summary")).to_contain_text(PROGRAM)
    expect(page.locator("#error-summary")).to_contain_text("Files need choosing again")
    expect(page.locator("#id_summary")).to_have_value(summary)
    expect(page.locator("#id_channel")).to_have_value("email")
    expect(page.locator("input[name=kind][value=breach]")).to_be_checked()
    screenshot(page, "intake-program-refused")

    # Sending again without the file works and makes exactly one incident.
    assert send(page) == 200
    assert Incident.objects.filter(summary=summary).count() == 1
    assert not Attachment.objects.exists()


def test_leaving_with_unsaved_input_warns(
    live_server: object, live_world: World, phone_page: Page
) -> None:
    page = phone_page
    login(page, live_server, "reporter")
    seen: list[str] = []
    answer: dict[str, Callable[[Dialog], None]] = {"with": lambda d: d.accept()}

    def handle(dialog: Dialog) -> None:
        seen.append(dialog.type)
        answer["with"](dialog)

    page.on("dialog", handle)

    # A form that was only looked at (and tapped) leaves without a warning.
    open_form(page, live_server)
    page.get_by_role("heading", level=1).click()
    page.goto(f"{live_server}/incidents/mine/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My reports")
    assert seen == []

    # Typing something, then tapping "Cancel" by mistake: the warning lets the person stay.
    open_form(page, live_server)
    summary = "Half-typed summary"
    page.locator("#id_summary").click()
    page.keyboard.type(summary)
    answer["with"] = lambda d: d.dismiss()
    page.get_by_role("link", name="Cancel").click()
    for _ in range(20):
        if seen:
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(300)  # had the navigation gone ahead, it would have by now
    assert seen == ["beforeunload"]
    expect(page).to_have_url(re.compile(r"/incidents/new/$"))
    expect(page.locator("#id_summary")).to_have_value(summary)

    # Going elsewhere and confirming leaves the page; nothing was stored.
    answer["with"] = lambda d: d.accept()
    page.goto(f"{live_server}/incidents/mine/")
    assert seen == ["beforeunload", "beforeunload"]
    expect(page.get_by_role("heading", level=1)).to_have_text("My reports")
    assert not Incident.objects.filter(summary=summary).exists()


def test_my_reports_lists_the_new_report_as_reported(
    live_server: object, live_world: World, phone_page: Page
) -> None:
    page = phone_page
    login(page, live_server, "reporter")
    incident = file_near_miss(page, live_server, "Fax sent to an old number")
    assert incident.status == Incident.Status.REPORTED

    with page.expect_navigation():
        page.get_by_role("link", name="Back to the list").click()
    expect(page).to_have_url(re.compile(r"/incidents/mine/$"))
    row = page.locator("table.incidents tbody tr").filter(
        has=page.get_by_role("link", name=incident.reference, exact=True)
    )
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Fax sent to an old number")
    expect(row).to_contain_text("Near miss")
    expect(row.locator(".status")).to_have_text("Reported")
    # Newest first.
    expect(page.locator("table.incidents tbody tr").first).to_contain_text(incident.reference)
    screenshot(page, "intake-my-reports")


def test_another_reporter_cannot_open_the_new_report(
    live_server: object, live_world: World, phone_page: Page
) -> None:
    page = phone_page
    login(page, live_server, "reporter")
    summary = "Whiteboard photo posted in the team chat"
    incident = file_near_miss(page, live_server, summary)
    assert not Incident.objects.visible_to(live_world.reporter2).filter(pk=incident.pk).exists()

    page.context.clear_cookies()
    login(page, live_server, "reporter2")
    response = page.goto(f"{live_server}/incidents/{incident.reference}/")
    assert response is not None
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text(summary)
    page.goto(f"{live_server}/incidents/mine/")
    expect(page.locator("table.incidents")).not_to_contain_text(incident.reference)
