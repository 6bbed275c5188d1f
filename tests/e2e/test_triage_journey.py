"""The privacy officer's triage journey in a real browser, checked against the database.

At a desktop viewport and at a phone's: open the triage page from the incident, change facts and
watch the recommendation follow without a reload, save an assessment (the clock appears),
disagree with the engine (the rationale is demanded beside its field, then signed), supersede the
decision, download both drafts (read back with pypdf, access recorded). Also: the page works with
JavaScript off, and the reporter cannot reach it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pypdf import PdfReader

from accounts.models import AccessEvent
from breaches.models import Assessment, Decision, Incident
from tests.conftest import World, build_world
from tests.e2e.conftest import PHONE, ROOT, login, screenshot

pytestmark = pytest.mark.e2e

ARTIFACTS = ROOT / "test-artifacts"
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
RULE_SET = "nz-privacy-act-2020@2"
RATIONALE_ERROR = "Your decision differs from the recommendation"
REGULATOR_PDF = "Notification to the Privacy Commissioner (NotifyUs, s114, s117(1)) (PDF)"
LETTER_PDF = "Notice to an affected person (s115, s117(2)) (PDF)"
# Raw codes of the §4.1 facts that must never reach a person (page or PDF).
RAW_CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")


@pytest.fixture
def live_world(transactional_db: None) -> World:
    """The personas, committed, so the live server's thread can see them."""
    return build_world()


def new_context(browser: Browser, viewport: str, **options: object) -> BrowserContext:
    context = browser.new_context(**VIEWPORTS[viewport], **options)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    return context


@pytest.fixture(params=["desktop", "phone"])
def viewport(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def any_page(browser: Browser, viewport: str) -> Iterator[Page]:
    """A page in a fresh context at the desktop or the phone viewport."""
    context = new_context(browser, viewport, accept_downloads=True)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def no_js_page(browser: Browser, viewport: str) -> Iterator[Page]:
    """The same, with JavaScript switched off."""
    context = new_context(browser, viewport, java_script_enabled=False)
    try:
        yield context.new_page()
    finally:
        context.close()


# --- helpers ----------------------------------------------------------------------------------


def triage_url(live_server: object, incident: Incident) -> str:
    return f"{live_server}/incidents/{incident.reference}/triage/"


def make_it_critical(page: Page) -> None:
    """A person who may harm someone obtained family-violence information; harm has occurred."""
    page.get_by_label("Someone who may harm an affected person").check()
    page.locator("input[name=info_categories][value=family_violence]").check()
    page.get_by_label("Harm has already occurred").check()


def click_and_wait(page: Page, name: str) -> int:
    """Press the button ``name`` and return the HTTP status of the page it leads to."""
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=name).click()
    response = navigation.value
    assert response is not None
    return response.status


def download(page: Page, link: str, target: Path) -> Path:
    with page.expect_download() as info:
        page.get_by_role("link", name=link).click()
    dl = info.value
    assert dl.failure() is None
    assert dl.suggested_filename.endswith(".pdf")
    target.parent.mkdir(parents=True, exist_ok=True)
    dl.save_as(target)
    return target


def fits_the_screen(page: Page) -> bool:
    """No sideways scrolling: the document is no wider than the viewport."""
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def pdf_pages(path: Path) -> list[str]:
    assert path.read_bytes().startswith(b"%PDF-")
    return [p.extract_text() or "" for p in PdfReader(path).pages]


# --- the journey ------------------------------------------------------------------------------


def open_triage_from_incident(page: Page, live_server: object, incident: Incident) -> None:
    page.goto(f"{live_server}/incidents/{incident.reference}/")
    button = page.get_by_role("link", name="Triage and decide")
    expect(button).to_be_visible()
    with page.expect_navigation():
        button.click()
    expect(page).to_have_url(re.compile(rf"/incidents/{incident.reference}/triage/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(incident.reference)


def test_recommendation_follows_the_facts_without_a_reload(
    live_server: object, live_world: World, any_page: Page, viewport: str
) -> None:
    page = any_page
    incident = live_world.incident_a
    login(page, live_server, "officer_a")

    # 1. From the incident to the triage page.
    open_triage_from_incident(page, live_server, incident)
    recommendation = page.locator("#recommendation")
    expect(recommendation.locator(".severity-badge")).to_have_text("Medium")  # the report alone
    expect(recommendation).to_contain_text("s113(a)")
    url = page.url
    page.evaluate("window.__stillTheSamePage = true")

    # The facts change, the recommendation follows, nothing is submitted.
    page.get_by_label("Someone who may harm an affected person").check()
    expect(recommendation).to_contain_text("uncertain")
    expect(recommendation.locator(".rec-uncertain")).to_contain_text("you decide")
    expect(recommendation).to_contain_text("the officer must decide, weighing")
    screenshot(page, f"triage-{viewport}-uncertain")
    page.locator("input[name=info_categories][value=family_violence]").check()
    page.get_by_label("Harm has already occurred").check()
    expect(recommendation.locator(".severity-badge")).to_have_text("Critical")
    expect(recommendation.locator(".answer-yes")).to_have_count(2)
    expect(recommendation).to_contain_text("sensitive information: family violence")
    expect(recommendation).not_to_contain_text("uncertain")
    expect(recommendation.locator("h1")).to_have_count(0)  # a fragment, not a whole page
    assert page.url == url
    assert page.evaluate("window.__stillTheSamePage") is True  # no reload
    assert not Assessment.objects.filter(incident=incident).exists()
    expect(page.locator(".clock")).to_have_count(0)  # no deadline before an assessment
    screenshot(page, f"triage-{viewport}-live-recommendation")


def test_officer_assesses_disagrees_and_downloads_drafts(
    live_server: object, live_world: World, any_page: Page, viewport: str
) -> None:
    page = any_page
    incident = live_world.incident_a
    reference = incident.reference
    login(page, live_server, "officer_a")
    open_triage_from_incident(page, live_server, incident)
    make_it_critical(page)

    # 2. Save the assessment: stored with its rule set; the clock appears.
    assert click_and_wait(page, "Save assessment") == 200
    expect(page).to_have_url(re.compile(rf"/incidents/{reference}/triage/#decision$"))
    expect(page.locator(".messages")).to_contain_text("Assessment saved")
    assessment = Assessment.objects.get(incident=incident)
    assert assessment.rule_set == RULE_SET
    assert assessment.severity == "critical"
    assert (assessment.notify_regulator, assessment.notify_individuals) == ("yes", "yes")
    assert assessment.created_by == live_world.officer_a
    assert assessment.facts["recipient"] == "person_posing_risk"
    assert assessment.facts["info_categories"] == ["family_violence"]
    assert assessment.facts["harm_occurred"] is True
    incident.refresh_from_db()
    assert incident.severity == "critical"
    assert incident.regulator_deadline == assessment.regulator_deadline
    clock = page.locator(".clock")
    expect(clock).to_contain_text("hours left")
    expect(clock).to_have_class(re.compile(r"clock-ok"))
    # The facts form now starts from the saved assessment.
    expect(page.get_by_label("Someone who may harm an affected person")).to_be_checked()
    expect(page.locator("#recommendation .severity-badge")).to_have_text("Critical")
    decision_form = page.locator("form[action$='/triage/decision/']")
    # Nothing is pre-selected: the engine's advice stands beside the choices.
    for name in ("notify_regulator", "notify_individuals"):
        expect(decision_form.locator(f"input[name={name}]:checked")).to_have_count(0)
    expect(page.locator(".decision-guide")).to_contain_text("The engine recommends")
    expect(page.locator(".decision-guide")).to_contain_text("a rationale is required")
    assert fits_the_screen(page)
    screenshot(page, f"triage-{viewport}-assessed")

    # 3. Disagree without a rationale: refused, the error beside the rationale field.
    decision_form.get_by_label("Not notifiable").check()
    decision_form.get_by_label("Do not notify individuals").check()
    assert click_and_wait(page, "Sign decision") == 400
    # Said at the top (the field may be a long scroll away), and beside the field.
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Your decision was not signed")
    expect(summary.get_by_role("link", name=re.compile("^Rationale"))).to_be_visible()
    field = page.locator("#field-rationale")
    expect(field).to_have_class(re.compile(r"has-error"))
    expect(field.locator(".field-error")).to_contain_text(RATIONALE_ERROR)
    expect(page.locator("#id_rationale")).to_have_attribute("aria-describedby", re.compile("."))
    assert not Decision.objects.filter(incident=incident).exists()
    decision_form = page.locator("form[action$='/triage/decision/']")
    # What was chosen is kept.
    expect(decision_form.locator("input[name=notify_regulator][value=no]")).to_be_checked()
    expect(decision_form.locator("input[name=notify_individuals][value=no]")).to_be_checked()
    screenshot(page, f"triage-{viewport}-rationale-required")

    rationale = "The recipient is the victim's advocate, not the abuser; no risk remains."
    page.locator("#id_rationale").fill(rationale)
    assert click_and_wait(page, "Sign decision") == 200
    expect(page).to_have_url(re.compile(rf"/incidents/{reference}/$"))
    expect(page.locator(".messages")).to_contain_text("Decision signed")
    first = Decision.objects.get(incident=incident)
    assert first.differs_from_recommendation is True
    assert (first.notify_regulator, first.notify_individuals) == ("no", "no")
    assert first.rationale == rationale
    assert first.assessment == assessment
    assert first.decided_by == live_world.officer_a
    assert first.supersedes is None
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("signed a decision")
    expect(timeline).to_contain_text(rationale)
    # Decided not notifiable: the clock stops.
    expect(page.locator(".clock")).to_contain_text("decided not notifiable")

    # A second decision supersedes the first; nothing is overwritten.
    with page.expect_navigation():
        page.get_by_role("link", name="Triage and decide").click()
    decision_form = page.locator("form[action$='/triage/decision/']")
    decision_form.get_by_label("Notify the regulator").check()
    decision_form.get_by_label("Notify affected individuals").check()
    assert click_and_wait(page, "Sign decision") == 200
    expect(page.locator("ol.timeline")).to_contain_text("superseding the previous one")
    assert Decision.objects.filter(incident=incident).count() == 2
    second = Decision.objects.get(incident=incident, supersedes=first)
    assert second.differs_from_recommendation is False
    first.refresh_from_db()
    assert first.rationale == rationale  # unchanged
    assert first.superseded_by == second
    expect(page.locator(".clock")).to_contain_text("hours left")  # running again

    page.goto(triage_url(live_server, incident))
    decisions = page.locator("ol.decisions > li")
    expect(decisions).to_have_count(2)
    expect(decisions.nth(0)).not_to_have_class(re.compile("superseded"))
    expect(decisions.nth(0)).to_contain_text("Notify the regulator")
    expect(decisions.nth(1)).to_have_class(re.compile("superseded"))
    expect(decisions.nth(1)).to_contain_text("superseded")
    expect(decisions.nth(1)).to_contain_text("differs from the recommendation")
    expect(decisions.nth(1)).to_contain_text(rationale)
    screenshot(page, f"triage-{viewport}-superseded")

    # 5. Both drafts: downloaded, readable, marked, recorded.
    suffix = "" if viewport == "desktop" else f"-{viewport}"
    regulator = download(page, REGULATOR_PDF, ARTIFACTS / f"draft-commissioner{suffix}.pdf")
    letter = download(page, LETTER_PDF, ARTIFACTS / f"draft-letter{suffix}.pdf")
    for path in (regulator, letter):
        pages = pdf_pages(path)
        text = "\n".join(pages)
        assert reference in text
        for number, page_text in enumerate(pages, start=1):
            assert "IN CONFIDENCE" in page_text, f"{path.name} page {number}"
            assert f"Page {number} of {len(pages)}" in page_text, f"{path.name} page {number}"
        # (The personas have no full name, so their username stands in for it.)
        codes = RAW_CODE.findall(text.replace("officer_a", "Officer A"))
        assert not codes, f"{path.name}: {codes}"
    regulator_text = "\n".join(pdf_pages(regulator))
    assert "Someone who may harm an affected person" in regulator_text
    assert "family violence" in regulator_text.lower()
    assert "Notify affected individuals" in regulator_text
    assert "call 111" in "\n".join(pdf_pages(letter))
    events = AccessEvent.objects.filter(
        incident=incident, action=AccessEvent.Action.DRAFT_DOWNLOAD
    ).order_by("at", "id")
    assert [e.detail for e in events] == [{"draft": "regulator"}, {"draft": "letter"}]
    assert {e.user for e in events} == {live_world.officer_a}


# --- without JavaScript -----------------------------------------------------------------------


def test_triage_works_without_javascript(
    live_server: object, live_world: World, no_js_page: Page, viewport: str
) -> None:
    page = no_js_page
    incident = live_world.incident_a
    login(page, live_server, "officer_a")
    response = page.goto(triage_url(live_server, incident))
    assert response is not None and response.status == 200
    recommendation = page.locator("#recommendation")
    expect(recommendation.locator(".severity-badge")).to_have_text("Medium")

    make_it_critical(page)
    # Nothing changes until the button is pressed: no script runs.
    expect(recommendation.locator(".severity-badge")).to_have_text("Medium")
    assert click_and_wait(page, "Update recommendation") == 200
    expect(page).to_have_url(re.compile(rf"/incidents/{incident.reference}/triage/$"))
    expect(recommendation.locator(".severity-badge")).to_have_text("Critical")
    expect(recommendation.locator(".answer-yes")).to_have_count(2)
    # The reloaded page keeps the facts as changed.
    expect(page.get_by_label("Someone who may harm an affected person")).to_be_checked()
    expect(page.get_by_label("Harm has already occurred")).to_be_checked()
    assert not Assessment.objects.filter(incident=incident).exists()
    screenshot(page, f"triage-{viewport}-no-js-preview")

    assert click_and_wait(page, "Save assessment") == 200
    assessment = Assessment.objects.get(incident=incident)
    assert assessment.rule_set == RULE_SET
    assert assessment.severity == "critical"
    expect(page.locator(".clock")).to_contain_text("hours left")


def test_facts_can_still_be_saved_after_a_refused_decision(
    live_server: object, live_world: World, no_js_page: Page, viewport: str
) -> None:
    """The page a refused decision comes back on must not send the facts to the wrong place."""
    page = no_js_page
    incident = live_world.incident_a
    login(page, live_server, "officer_a")
    page.goto(triage_url(live_server, incident))
    make_it_critical(page)
    assert click_and_wait(page, "Save assessment") == 200
    decision_form = page.locator("form[action$='/triage/decision/']")
    decision_form.get_by_label("Not notifiable").check()
    assert click_and_wait(page, "Sign decision") == 400  # no rationale

    page.get_by_label("Children or people at risk are among them").check()
    assert click_and_wait(page, "Save assessment") == 200
    expect(page.locator(".messages")).to_contain_text("Assessment saved")
    assert Assessment.objects.filter(incident=incident).count() == 2
    latest = Assessment.objects.filter(incident=incident).latest("created_at", "id")
    assert latest.facts["vulnerable_individuals"] is True


# --- scope ------------------------------------------------------------------------------------


def test_reporter_cannot_reach_triage(
    live_server: object, live_world: World, any_page: Page, viewport: str
) -> None:
    page = any_page
    incident = live_world.incident_a
    login(page, live_server, "reporter")

    response = page.goto(f"{live_server}/incidents/{incident.reference}/")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text(incident.reference)
    expect(page.get_by_role("link", name=re.compile("Triage", re.I))).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Triage", re.I))).to_have_count(0)
    expect(page.locator(".clock")).to_have_count(0)

    for path in ("triage/", "drafts/commissioner.pdf", "drafts/letter.pdf"):
        response = page.goto(f"{live_server}/incidents/{incident.reference}/{path}")
        assert response is not None and response.status == 404, path
    expect(page.locator("body")).not_to_contain_text("Triage and decide")
    assert not Assessment.objects.filter(incident=incident).exists()
    assert not AccessEvent.objects.filter(action=AccessEvent.Action.DRAFT_DOWNLOAD).exists()
    if viewport == "phone":
        screenshot(page, "triage-reporter-404")
