"""Foundation journeys in a real browser at a phone's viewport: sign in, lists, detail, scope."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import World, build_world
from tests.e2e.conftest import PASSWORD, login, screenshot

pytestmark = pytest.mark.e2e

BAD_LOGIN = "Please enter a correct username and password"


@pytest.fixture
def live_world(transactional_db: None) -> World:
    """The personas, committed, so the live server's thread can see them."""
    return build_world()


def test_officer_signs_in_and_opens_an_incident_in_scope(
    live_server: object, live_world: World, phone_page: Page
) -> None:
    page = phone_page
    login(page, live_server, "officer_a")

    # Officers start on "what needs you now", then open the register.
    expect(page).to_have_url(re.compile(r"/incidents/home/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("What needs you now")
    expect(page.locator("main")).to_contain_text("Incident A")
    screenshot(page, "officer-home")
    with page.expect_navigation():
        page.get_by_role("link", name="Register", exact=True).click()
    expect(page).to_have_url(re.compile(r"/incidents/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Register")
    table = page.locator("table.incidents")
    expect(table).to_contain_text("Incident A")
    expect(table).not_to_contain_text("Incident B")
    expect(table).not_to_contain_text("Incident R")
    screenshot(page, "officer-register")

    reference = live_world.incident_a.reference
    with page.expect_navigation():
        page.get_by_role("link", name=reference, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/incidents/{reference}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(page.locator(".lede")).to_have_text("Incident A")
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    screenshot(page, "officer-incident-detail")


def test_reporter_sees_own_reports_and_not_anothers_incident(
    live_server: object, live_world: World, phone_page: Page
) -> None:
    page = phone_page
    login(page, live_server, "reporter")

    expect(page).to_have_url(re.compile(r"/incidents/mine/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My reports")
    expect(page.locator("table.incidents")).to_contain_text("Incident A")
    screenshot(page, "reporter-my-reports")

    response = page.goto(f"{live_server}/incidents/{live_world.incident_b.reference}/")
    assert response is not None
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text("Incident B")


def test_login_page_has_no_console_errors_and_its_stylesheet_loads(
    live_server: object, phone_page: Page
) -> None:
    page = phone_page
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    # CSP violations also reach the console, but record the DOM event too, to be sure.
    page.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', e =>"
        " window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )

    response = page.goto(f"{live_server}/login/")
    assert response is not None and response.status == 200
    assert "content-security-policy" in response.headers
    page.wait_for_load_state("networkidle")

    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    background = page.evaluate(
        "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
    )
    assert background not in ("", "transparent", "rgba(0, 0, 0, 0)"), background
    screenshot(page, "login")

    assert page.evaluate("window.__cspViolations") == []
    assert errors == []


def test_wrong_password_shows_the_form_error_and_keeps_the_username(
    live_server: object, live_world: World, phone_page: Page
) -> None:
    page = phone_page
    page.goto(f"{live_server}/login/")
    page.fill("#id_username", "reporter")
    for attempt in range(3):
        # Only the password is typed again: the username must survive each failed attempt.
        page.fill("#id_password", f"not the password {attempt}")
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/login/$"))
        expect(page.get_by_role("alert")).to_contain_text(BAD_LOGIN)
        expect(page.locator("#id_username")).to_have_value("reporter")
        expect(page.locator("#id_password")).to_have_value("")
    screenshot(page, "login-wrong-password")

    # Three failures are under the lockout limit: the right password still gets in.
    login(page, live_server, "reporter", password=PASSWORD)
    expect(page).to_have_url(re.compile(r"/incidents/mine/$"))
