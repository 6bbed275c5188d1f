"""Signing in with the agency account and the second factor, in a real browser.

The identity provider is a real OpenID provider process (``tests/oidc_support.py``) on loopback;
the register is the live server; Chromium goes from one to the other as a person would. At a
desktop width (1280) and at a phone's (390):

1. single sign-on: the first sign-in creates the person with the role of their groups and the
   unit of their ``unit`` claim; a move at the provider shows at the next sign-in; someone
   removed at the provider cannot sign in; someone no longer in any register group is refused
   by the register;
2. with ``MFA_REQUIRED``: a privacy officer whose provider asked for a second factor reaches the
   officer pages; one whose provider did not is sent to set one up;
3. with ``MFA_REQUIRED``: a privacy officer signing in with a password enrols an authenticator
   app (QR code, secret, a wrong code then the right one), sees ten recovery codes and then
   reaches the register;
4. someone with an authenticator app is asked for its code after the password: a wrong code
   leaves them signed out, the right one lets them in;
5. with ``MFA_REQUIRED``: a reporter with only a password reaches "My reports".
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.core.cache import cache
from playwright.sync_api import Browser, Page, Response, expect
from pytest_django.fixtures import Settings

from accounts.models import User
from tests.conftest import World, build_world
from tests.e2e.conftest import PHONE, login, screenshot
from tests.oidc_support import CALLBACK_PATH, DEFAULT_PASSWORD, OidcProvider, start_oidc_provider

pytestmark = pytest.mark.e2e

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}

NOT_IN_A_GROUP = "not in any group that uses the Privacy Breach Register"
UNKNOWN_AT_PROVIDER = "Unknown user or wrong password"
SET_UP = "Set up your second factor"


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    running = start_oidc_provider(tmp_path_factory.mktemp("oidc-e2e"))
    yield running
    running.stop()


@pytest.fixture
def live_world(transactional_db: None) -> World:
    """The personas, committed, so the live server's thread can see them."""
    return build_world()


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    """allauth remembers used TOTP codes (and axes failed sign-ins) in the cache."""
    cache.clear()


@pytest.fixture
def sso_on(provider: OidcProvider, settings: Settings) -> OidcProvider:
    """The register signs in through the provider; nobody has an account there yet."""
    provider.set_accounts({})
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_CLIENT_ID = "pbr"
    settings.OIDC_CLIENT_SECRET = provider.clients["pbr"]
    settings.MFA_REQUIRED = False
    return provider


@pytest.fixture
def mfa_required(settings: Settings) -> None:
    settings.MFA_REQUIRED = True


@pytest.fixture(params=["desktop", "phone"])
def viewport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def page(browser: Browser, viewport: str) -> Iterator[Page]:
    """A page in a fresh context (no cookies) at the viewport's size."""
    context = browser.new_context(**VIEWPORTS[viewport])  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


# --- helpers ----------------------------------------------------------------------------------


def shot(page: Page, viewport: str, name: str) -> Path:
    return screenshot(page, f"identity-{viewport}-{name}")


def code_for(secret: str, offset: int = 0) -> str:
    """The authenticator app's code now (``offset`` periods of 30 s later or earlier)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def wrong_code(secret: str) -> str:
    """A six-digit code that is none of those accepted now (allauth allows one period of drift
    either side)."""
    accepted = {code_for(secret, offset) for offset in (-1, 0, 1)}
    candidate = int(code_for(secret))
    while f"{candidate:06d}" in accepted:
        candidate = (candidate + 1) % 1_000_000
    return f"{candidate:06d}"


def fits_the_screen(page: Page) -> bool:
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def is_signed_in(page: Page, live_server: object) -> bool:
    """Whether the page's cookies open a signed-in page (without moving the page itself)."""
    response = page.request.get(f"{live_server}/incidents/mine/", max_redirects=0)
    return response.status == 200


def go_to_provider(page: Page, live_server: object, provider: OidcProvider) -> None:
    """From the sign-in page, press "Sign in with ..." and arrive at the provider's form."""
    page.goto(f"{live_server}/login/")
    button = page.locator("#sso-sign-in")
    expect(button).to_have_text("Sign in with your agency account")
    button.click()
    page.wait_for_url(f"{provider.issuer}/**")
    expect(page.locator("#username")).to_be_visible()


def sign_in_at_provider(
    page: Page, username: str, *, password: str = DEFAULT_PASSWORD, mfa: bool = False
) -> None:
    page.fill("#username", username)
    page.fill("#password", password)
    if mfa:
        page.check("#mfa")


def submit_and_come_back(page: Page) -> Response:
    """Press the provider's "Sign in" and return the register's answer at the callback."""
    with page.expect_response(lambda r: CALLBACK_PATH in r.url) as answer:
        page.click("#sign-in")
    page.wait_for_load_state()
    return answer.value


def sso_sign_in(
    page: Page, live_server: object, provider: OidcProvider, username: str, *, mfa: bool = False
) -> Response:
    go_to_provider(page, live_server, provider)
    sign_in_at_provider(page, username, mfa=mfa)
    return submit_and_come_back(page)


def sign_out(page: Page) -> None:
    with page.expect_navigation():
        page.locator(".site-header").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/$"))


def expect_header(page: Page, viewport: str, name: str, role: str) -> None:
    """The header names the person; at a desktop width it also shows the role (the phone
    layout hides the role to save room, by design: ``.whoami-role`` in app.css)."""
    expect(page.locator(".whoami")).to_contain_text(name)
    role_label = page.locator(".whoami-role")
    expect(role_label).to_have_text(f" · {role}")
    if viewport == "desktop":
        expect(role_label).to_be_visible()


# --- 1. single sign-on ------------------------------------------------------------------------


def test_sso_sign_in_follows_the_provider_for_role_unit_and_removal(
    live_server: object, live_world: World, sso_on: OidcProvider, page: Page, viewport: str
) -> None:
    provider = sso_on
    provider.add_account("aroha", name="Aroha Ngata", groups=["pbr-staff"], unit="site-a1")

    # The sign-in page offers the agency account first.
    page.goto(f"{live_server}/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.locator("#sso-sign-in")).to_be_visible()
    expect(page.get_by_role("heading", name="Or with a register password")).to_be_visible()
    assert fits_the_screen(page)
    shot(page, viewport, "01-sign-in-with-sso")

    go_to_provider(page, live_server, provider)
    shot(page, viewport, "02-provider-sign-in")
    sign_in_at_provider(page, "aroha")
    answer = submit_and_come_back(page)
    assert answer.status == 302, answer.status

    # Back in the register, signed in as a reporter of site A1.
    expect(page).to_have_url(f"{live_server}/incidents/mine/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My reports")
    expect_header(page, viewport, "Aroha Ngata", "Staff member (reporter)")
    expect(
        page.locator(".site-header").get_by_role("link", name="Register", exact=True)
    ).to_have_count(0)
    assert fits_the_screen(page)
    shot(page, viewport, "03-landed-after-sso")
    assert is_signed_in(page, live_server)
    aroha = User.objects.get(username="aroha")
    assert aroha.sso_issuer == provider.issuer and aroha.sso_subject == "aroha"
    assert aroha.role == User.Role.REPORTER
    assert aroha.business_unit == live_world.site_a1

    # A new job in another region at the provider: it shows at the next sign-in.
    provider.update_account("aroha", groups=["pbr-privacy-officers", "pbr-staff"], unit="site-b1")
    sign_out(page)
    assert not is_signed_in(page, live_server)
    answer = sso_sign_in(page, live_server, provider, "aroha")
    assert answer.status == 302, answer.status
    expect(page).to_have_url(f"{live_server}/incidents/home/")
    expect(page.get_by_role("heading", level=1)).to_have_text("What needs you now")
    expect_header(page, viewport, "Aroha Ngata", "Privacy officer")
    expect(
        page.locator(".site-header").get_by_role("link", name="Register", exact=True)
    ).to_be_visible()
    shot(page, viewport, "04-landed-after-new-role")
    aroha.refresh_from_db()
    assert aroha.role == User.Role.PRIVACY_OFFICER
    assert aroha.business_unit == live_world.site_b1
    assert User.objects.filter(username="aroha").count() == 1

    # Removed at the provider: the provider refuses, and the register never hears of it.
    provider.remove_account("aroha")
    sign_out(page)
    go_to_provider(page, live_server, provider)
    sign_in_at_provider(page, "aroha")
    with page.expect_navigation():
        page.click("#sign-in")
    assert page.url.startswith(provider.issuer), page.url
    expect(page.locator("#error")).to_have_text(UNKNOWN_AT_PROVIDER)
    shot(page, viewport, "05-provider-refuses-removed-person")
    assert not is_signed_in(page, live_server)
    page.goto(f"{live_server}/incidents/mine/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/incidents/mine/$"))


def test_someone_no_longer_in_a_register_group_is_refused_by_the_register(
    live_server: object, live_world: World, sso_on: OidcProvider, page: Page, viewport: str
) -> None:
    provider = sso_on
    provider.add_account("wiremu", name="Wiremu Tane", groups=["pbr-staff"], unit="site-a1")
    answer = sso_sign_in(page, live_server, provider, "wiremu")
    assert answer.status == 302
    expect(page).to_have_url(f"{live_server}/incidents/mine/")
    sign_out(page)

    # Moved to a job outside the register's groups: the provider still signs them in.
    provider.update_account("wiremu", groups=["payroll-staff"])
    answer = sso_sign_in(page, live_server, provider, "wiremu")
    assert answer.status == 403, answer.status
    expect(page).to_have_url(re.compile(r"/login/sso/callback/\?"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    refusal = page.locator("#error-summary")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text(NOT_IN_A_GROUP)
    expect(page.locator(".whoami")).to_have_count(0)
    assert fits_the_screen(page)
    shot(page, viewport, "06-refused-not-in-a-group")

    assert not is_signed_in(page, live_server)
    assert not User.objects.get(username="wiremu").is_active


# --- 2. single sign-on with a second factor required ------------------------------------------


def test_sso_with_mfa_required_trusts_the_providers_second_factor_only(
    live_server: object,
    live_world: World,
    sso_on: OidcProvider,
    mfa_required: None,
    browser: Browser,
    page: Page,
    viewport: str,
) -> None:
    provider = sso_on
    provider.add_account(
        "rangi", name="Rangi Parata", groups=["pbr-privacy-officers"], unit="site-a1"
    )

    # "I used my second factor" ticked at the provider: straight to the officer's pages.
    go_to_provider(page, live_server, provider)
    sign_in_at_provider(page, "rangi", mfa=True)
    expect(page.locator("#mfa")).to_be_checked()
    answer = submit_and_come_back(page)
    assert answer.status == 302
    expect(page).to_have_url(f"{live_server}/incidents/home/")
    response = page.goto(f"{live_server}/incidents/")
    assert response is not None and response.status == 200
    expect(page).to_have_url(f"{live_server}/incidents/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Register")
    expect_header(page, viewport, "Rangi Parata", "Privacy officer")
    shot(page, viewport, "07-sso-with-provider-mfa-register")

    # Not ticked (a fresh browser): the register asks them to set up their own factor.
    context = browser.new_context(**VIEWPORTS[viewport])  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    try:
        other = context.new_page()
        answer = sso_sign_in(other, live_server, provider, "rangi")
        assert answer.status == 302
        expect(other).to_have_url(f"{live_server}/account/two-factor/")
        expect(other.get_by_role("heading", level=1)).to_have_text(SET_UP)
        other.goto(f"{live_server}/incidents/")
        expect(other).to_have_url(f"{live_server}/account/two-factor/")
        shot(other, viewport, "08-sso-without-provider-mfa-set-up")
    finally:
        context.close()


# --- 3. enrolling an authenticator app --------------------------------------------------------


def test_officer_enrols_an_authenticator_app_at_first_sign_in(
    live_server: object, live_world: World, mfa_required: None, page: Page, viewport: str
) -> None:
    login(page, live_server, "officer_a")

    # Every page leads to setting up the second factor.
    page.goto(f"{live_server}/incidents/")
    expect(page).to_have_url(f"{live_server}/account/two-factor/")
    expect(page.get_by_role("heading", level=1)).to_have_text(SET_UP)
    expect(page.locator("main .warning")).to_contain_text("your role needs a second factor")
    expect(page.locator("#add-passkey")).to_be_visible()
    assert fits_the_screen(page)
    shot(page, viewport, "09-second-factor-set-up")

    with page.expect_navigation():
        page.locator("#set-up-totp").click()
    expect(page).to_have_url(f"{live_server}/account/two-factor/totp/activate/")
    qr = page.locator("main img")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR code did not load"
    box = qr.bounding_box()
    width = VIEWPORTS[viewport]["viewport"]["width"]  # type: ignore[index]
    assert box is not None and box["width"] >= 150 and box["x"] + box["width"] <= width, box
    secret_field = page.locator("#authenticator_secret")
    expect(secret_field).to_be_disabled()
    secret = secret_field.input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    assert fits_the_screen(page)
    shot(page, viewport, "10-totp-qr-code")

    # A wrong code is refused beside the field; nothing is enrolled.
    page.fill("input[name=code]", wrong_code(secret))
    with page.expect_navigation():
        page.get_by_role("button", name="Turn it on").click()
    expect(page).to_have_url(f"{live_server}/account/two-factor/totp/activate/")
    expect(page.locator("main")).to_contain_text("Incorrect code")
    assert not Authenticator.objects.filter(user=live_world.officer_a, type="totp").exists()
    # The same secret is offered again, so the app already set up still works.
    assert page.locator("#authenticator_secret").input_value() == secret

    page.fill("input[name=code]", code_for(secret))
    with page.expect_navigation():
        page.get_by_role("button", name="Turn it on").click()
    expect(page).to_have_url(f"{live_server}/account/two-factor/recovery-codes/")
    expect(page.locator("main")).to_contain_text("10 of 10 one-time codes left")
    assert fits_the_screen(page)
    shot(page, viewport, "11-recovery-codes")

    # The ten codes are on the page, where the person can read or copy them.
    stored = Authenticator.objects.get(user=live_world.officer_a, type="recovery_codes")
    codes = RecoveryCodes(stored).get_unused_codes()
    assert len(codes) == 10
    shown = page.locator("main").inner_text() + "\n".join(
        page.locator(
            "main textarea, main input[type=text], main input[type=textarea]"
        ).evaluate_all("fields => fields.map(f => f.value)")
    )
    missing = [code for code in codes if code not in shown]

    # Enrolled, the register opens.
    page.goto(f"{live_server}/incidents/")
    expect(page).to_have_url(f"{live_server}/incidents/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Register")

    # Checked last, so that the rest of the journey is proved even if this fails.
    assert not missing, f"recovery codes not shown on the recovery-codes page: {missing}"


# --- 4. the second-factor step at sign-in -----------------------------------------------------


def test_the_code_step_after_the_password_lets_in_only_the_right_code(
    live_server: object, live_world: World, mfa_required: None, page: Page, viewport: str
) -> None:
    secret = generate_totp_secret()
    TOTP.activate(live_world.officer_b, secret)

    login(page, live_server, "officer_b")
    expect(page).to_have_url(f"{live_server}/account/two-factor/authenticate/")
    code_field = page.locator("input[name=code]")
    expect(code_field).to_be_visible()
    expect(page.locator(".whoami")).to_have_count(0)
    assert not is_signed_in(page, live_server)
    assert fits_the_screen(page)
    shot(page, viewport, "12-second-factor-step")

    code_field.fill(wrong_code(secret))
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(f"{live_server}/account/two-factor/authenticate/")
    expect(page.locator("main")).to_contain_text("Incorrect code")
    assert not is_signed_in(page, live_server)
    shot(page, viewport, "13-second-factor-wrong-code")

    page.locator("input[name=code]").fill(code_for(secret))
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(f"{live_server}/incidents/home/")
    expect(page.locator(".whoami")).to_contain_text(str(live_world.officer_b))
    assert is_signed_in(page, live_server)
    page.goto(f"{live_server}/incidents/")
    expect(page).to_have_url(f"{live_server}/incidents/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Register")


# --- 5. a reporter needs no second factor -----------------------------------------------------


def test_a_reporter_with_only_a_password_reaches_my_reports(
    live_server: object, live_world: World, mfa_required: None, page: Page, viewport: str
) -> None:
    login(page, live_server, "reporter")
    expect(page).to_have_url(f"{live_server}/incidents/mine/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My reports")
    expect(page.locator("table.incidents")).to_contain_text("Incident A")
    assert not Authenticator.objects.filter(user=live_world.reporter).exists()
    # The sign-in page said who needs a factor; the reporter is not among them.
    sign_out(page)
    expect(page.locator("#second-factor-note")).to_contain_text(
        "confirm each sign-in with a second factor"
    )
