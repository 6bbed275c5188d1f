"""WCAG 2.2 AA as a property of the suite (issue 13, item 4).

Every page of the matrix that someone may open is opened in Chromium, as a person allowed to see
it, at desktop width and at 320 px (the narrowest width WCAG's reflow criterion asks for), and:

- axe-core (``tests/e2e/axe``, from the npm registry) finds no WCAG 2.0/2.1/2.2 A or AA
  violation on it;
- every ``aria-describedby`` names an element that exists (help and errors are heard);
- at 320 px it does not scroll sideways;
- tabbing through it never puts the focus on something invisible.

The admin (Django's own) and the API's documentation page (drf-spectacular's) are not the
product's pages and are left out; everything else the matrix lists is in.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from breaches.triage.engine import parse_facts
from breaches.triage.services import assessment_create
from tests.breaches.triage.engine.test_facts import VALID
from tests.conftest import World, add_action, add_evidence, build_world
from tests.e2e.conftest import PASSWORD
from tests.test_matrix import MATRIX, Post

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 320, "height": 720}}
# Who opens a page when several may: the person it is mostly for.
PREFERRED = ["officer_a", "cpo", "executive", "reporter", "admin", "named", "reporter2"]
TAB_STOPS = 30


@pytest.fixture
def live_world(transactional_db: None) -> World:
    world = build_world()
    add_evidence(world)
    add_action(world)
    return world


def product_pages(world: World) -> dict[str, list[tuple[str, str]]]:
    """persona → [(row name, URL)] for every page of the matrix someone may open."""
    pages: dict[str, list[tuple[str, str]]] = {}
    for row in MATRIX:
        name, target, allowed = row[0], row[1], row[2]
        if isinstance(target, Post) or not allowed:
            continue
        url = str(target(world))
        if url.startswith(("/admin/", "/api/")):
            continue
        persona = next(p for p in PREFERRED if p in allowed)
        pages.setdefault(persona, []).append((name, url))
    return pages


def sign_in(context: BrowserContext, live_server: Any, username: str) -> Page:
    page = context.new_page()
    page.goto(f"{live_server}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    return page


AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
  }));
}"""
MISSING_DESCRIBEDBY = """() => [...document.querySelectorAll('[aria-describedby]')].flatMap(el =>
  el.getAttribute('aria-describedby').split(/\\s+/).filter(id => id && !document.getElementById(id))
    .map(id => (el.id || el.name || el.tagName) + ' → #' + id))"""
FOCUS_VISIBLE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  const shown = box.width > 0 && box.height > 0 && style.visibility !== 'hidden'
    && !el.closest('[hidden]') && style.opacity !== '0'
    && box.right > 0 && box.left < window.innerWidth;
  return shown ? '' : (el.outerHTML.slice(0, 120));
}"""


def check_page(page: Page, width: str) -> list[str]:
    """What is wrong with the page now open, in words."""
    problems = []
    page.add_script_tag(path=str(AXE))
    for v in page.evaluate(AXE_RUN, WCAG_TAGS):
        problems.append(f"axe {v['id']} ({v['impact']}): {v['help']} at {v['nodes']}")
    problems += [f"aria-describedby names nothing: {m}" for m in page.evaluate(MISSING_DESCRIBEDBY)]
    if width == "phone":
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            problems.append(f"scrolls sideways by {overflow}px at 320px")
    page.locator("body").focus()
    for stop in range(TAB_STOPS):
        page.keyboard.press("Tab")
        hidden = page.evaluate(FOCUS_VISIBLE)
        if hidden is None and stop > 0:
            break  # back at the start
        if hidden:
            problems.append(f"tab stop {stop + 1} is invisible: {hidden}")
            break
    return problems


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_passes_axe_and_the_checks_axe_cannot_make(
    live_server: Any, live_world: World, browser: Browser, width: str
) -> None:
    assert AXE.exists(), "run: npm ci --prefix tests/e2e/axe"
    failures: dict[str, list[str]] = {}
    visited = 0

    def context() -> BrowserContext:
        # The CSP refuses injected scripts: axe is the test's, so this context bypasses it.
        made = browser.new_context(viewport=WIDTHS[width], bypass_csp=True)  # type: ignore[arg-type]
        made.set_default_timeout(15_000)
        return made

    anonymous = context()
    page = anonymous.new_page()
    page.goto(f"{live_server}/login/")
    failures["anonymous /login/"] = check_page(page, width)
    anonymous.close()
    for persona, pages in product_pages(live_world).items():
        ctx = context()
        page = sign_in(ctx, live_server, persona)
        for name, url in pages:
            head = page.request.get(f"{live_server}{url}")
            if "text/html" not in head.headers.get("content-type", ""):
                continue  # PDFs, CSV and downloads: not pages
            page.goto(f"{live_server}{url}")
            visited += 1
            problems = check_page(page, width)
            if problems:
                failures[f"{persona} {name} {url}"] = problems
        ctx.close()
    failures = {k: v for k, v in failures.items() if v}
    assert visited >= 20, f"only {visited} pages were checked"
    assert not failures, "\n".join(f"{page}:\n  " + "\n  ".join(p) for page, p in failures.items())


def _luminance(css: str) -> float:
    r, g, b = (int(x) / 255 for x in re.findall(r"\d+", css)[:3])

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_the_focus_ring_stands_out_from_what_it_sits_on(
    live_server: Any, live_world: World, browser: Browser
) -> None:
    ctx = browser.new_context(viewport=WIDTHS["desktop"])  # type: ignore[arg-type]
    page = sign_in(ctx, live_server, "officer_a")
    page.goto(f"{live_server}/incidents/")
    for selector, background in [("main a", "body"), (".site-header a", ".site-header")]:
        page.locator(selector).first.focus()
        ring = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
        behind = page.evaluate(
            "(sel) => getComputedStyle(document.querySelector(sel)).backgroundColor", background
        )
        assert contrast(ring, behind) >= 3, (selector, ring, behind)
    ctx.close()


def test_the_decision_is_a_few_key_presses_from_the_top_of_triage(
    live_server: Any, live_world: World, browser: Browser
) -> None:
    ctx = browser.new_context(viewport=WIDTHS["desktop"])  # type: ignore[arg-type]
    page = sign_in(ctx, live_server, "officer_a")
    assessment_create(
        incident=live_world.incident_a, facts=parse_facts(VALID), actor=live_world.officer_a
    )
    page.goto(f"{live_server}/incidents/{live_world.incident_a.reference}/triage/")
    # Skip to main content, skip the facts, into the decision: five key presses, not ~90.
    keys = ["Tab", "Enter", "Tab", "Enter", "Tab"]
    for key in keys[:3]:
        page.keyboard.press(key)
    assert page.evaluate("document.activeElement.classList.contains('skip-to-decision')")
    for key in keys[3:]:
        page.keyboard.press(key)
    assert page.evaluate("!!document.activeElement.closest('#decision-form')")
    assert page.evaluate("document.activeElement.name") == "notify_regulator"
    ctx.close()
