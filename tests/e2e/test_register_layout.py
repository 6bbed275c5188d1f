"""The register at phone width and at 200 % zoom: no sideways scroll, and the keyboard never
lands on something it cannot see (WCAG 2.2: 1.4.10 reflow, 2.4.7 focus visible, 2.4.11 focus
not obscured).

At a phone's width the register's table becomes one card per incident and its header row is
not shown; its sort links went with it visually but stayed in the tab order, so six Tab presses
landed on links nobody could see. Sorting at that width is the filter form's "Sort by".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from breaches.models import Incident, RegulatorDecision
from tests.conftest import World, build_world
from tests.e2e.conftest import login, screenshot
from tests.factories import IncidentFactory

pytestmark = pytest.mark.e2e

# Where each check runs: a small phone, a desktop browser at 400 % and at 200 % zoom (320 and
# 640 px layouts), and a desktop.
LAYOUTS = {
    "320": {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True},
    # 1280 px at 400 % zoom (WCAG 1.4.10's own case): a desktop browser 320 px wide.
    "zoom400": {"viewport": {"width": 320, "height": 225}, "device_scale_factor": 4},
    "zoom200": {"viewport": {"width": 640, "height": 450}, "device_scale_factor": 2},
    "1280": {"viewport": {"width": 1280, "height": 900}},
}
TAB_PRESSES = 40

# What the keyboard has landed on, and why it cannot be seen (or null when it can): no box,
# hidden, transparent, or clipped away by an ancestor (overflow or clip) or by the window.
FOCUS_PROBLEM = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const name = el.tagName.toLowerCase() + ' "' + (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 40) + '"';
  const style = getComputedStyle(el);
  if (style.visibility === 'hidden' || style.display === 'none') return name + ': hidden';
  if (el.checkVisibility && !el.checkVisibility({opacityProperty: true, visibilityProperty: true})) {
    return name + ': not rendered visibly';
  }
  const r = el.getBoundingClientRect();
  if (r.width < 1 || r.height < 1) return name + ': no size (' + r.width + 'x' + r.height + ')';
  let left = r.left, top = r.top, right = r.right, bottom = r.bottom;
  for (let a = el.parentElement; a; a = a.parentElement) {
    const s = getComputedStyle(a);
    const box = a.getBoundingClientRect();
    if (s.overflowX !== 'visible') { left = Math.max(left, box.left); right = Math.min(right, box.right); }
    if (s.overflowY !== 'visible') { top = Math.max(top, box.top); bottom = Math.min(bottom, box.bottom); }
    const clip = s.clip && s.clip.match(/rect\\(([-\\d.]+)px,? ([-\\d.]+)px,? ([-\\d.]+)px,? ([-\\d.]+)px\\)/);
    if (clip) {
      top = Math.max(top, box.top + +clip[1]); right = Math.min(right, box.left + +clip[2]);
      bottom = Math.min(bottom, box.top + +clip[3]); left = Math.max(left, box.left + +clip[4]);
    }
    if (s.clipPath && s.clipPath !== 'none') return name + ': clipped by ' + s.clipPath;
    if (+s.opacity === 0) return name + ': inside a transparent ' + a.tagName.toLowerCase();
  }
  left = Math.max(left, 0); top = Math.max(top, 0);
  right = Math.min(right, window.innerWidth); bottom = Math.min(bottom, window.innerHeight);
  if (right - left < 1 || bottom - top < 1) {
    return name + ': clipped out of sight (' + Math.round(right - left) + 'x' + Math.round(bottom - top) + ' visible)';
  }
  return null;
}
"""


@pytest.fixture
def live_world(transactional_db: None) -> World:
    """The personas, committed, and a register of 30 incidents for officer_a (two pages), with
    long summaries, badges and every kind of deadline cell."""
    world = build_world()
    now = timezone.now()
    for n in range(28):
        incident = IncidentFactory(
            reporter=world.reporter,
            business_unit=world.site_a1,
            summary=f"Care plan {n} for a whānau emailed to a caregiver's old Hotmail address "
            "instead of the new one",
            is_restricted=False,
        )
        Incident.objects.filter(pk=incident.pk).update(
            status=[Incident.Status.TRIAGE, Incident.Status.REMEDIATION][n % 2],
            # Half of them missed, so "Notifiable · Missed 2 Dec 09:30" is on the first page.
            regulator_deadline=now + timedelta(hours=(n % 6) * 9 - 20),
            decision_notify_regulator=["", RegulatorDecision.NOTIFY, RegulatorDecision.DO_NOT_NOTIFY][n % 3],
        )  # fmt: skip
    return world


@pytest.fixture(params=list(LAYOUTS))
def layout(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def officer_page(browser: Browser, layout: str, live_server: object, live_world: World) -> Iterator[Page]:  # fmt: skip
    context = browser.new_context(**LAYOUTS[layout])  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        login(page, live_server, "officer_a")
        yield page
    finally:
        context.close()


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page scrolls sideways (0 when it fits). Against the layout width
    (``clientWidth``) as well as the window: a mobile browser widens ``innerWidth`` to the
    content, so ``scrollWidth <= innerWidth`` alone holds even while the page scrolls."""
    return int(
        page.evaluate(
            "document.documentElement.scrollWidth -"
            " Math.min(window.innerWidth, document.documentElement.clientWidth)"
        )
    )


def what_overflows(page: Page) -> list[str]:
    """The elements that reach past the window's right edge, to say why it scrolls."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right >
                             document.documentElement.clientWidth + 0.5)
                .filter(e => ![...document.querySelectorAll('*')].some(
                    a => a.contains(e) && getComputedStyle(a).clip !== 'auto'))
                .slice(0, 8)
                .map(e => e.tagName.toLowerCase() + '.' + e.className + ' → ' +
                          Math.round(e.getBoundingClientRect().right))"""
        )
    )


def tab_through(page: Page, presses: int = TAB_PRESSES) -> tuple[list[str], list[str]]:
    """Press Tab ``presses`` times; return what got focus and every focus nobody could see."""
    page.locator("body").focus()
    seen, problems = [], []
    for _ in range(presses):
        page.keyboard.press("Tab")
        seen.append(
            page.evaluate(
                "() => { const e = document.activeElement; return e.tagName.toLowerCase() + ' ' +"
                " (e.innerText || e.value || '').trim().slice(0, 30); }"
            )
        )
        problem = page.evaluate(FOCUS_PROBLEM)
        if problem:
            problems.append(problem)
    return seen, problems


def test_the_register_fits_the_screen_and_focus_is_never_on_something_hidden(
    officer_page: Page, live_server: object, layout: str
) -> None:
    page = officer_page
    page.goto(f"{live_server}/incidents/")
    expect(page.get_by_role("heading", name="Register", exact=True)).to_be_visible()
    expect(page.locator("table.incidents tbody tr")).to_have_count(25)
    screenshot(page, f"register-layout-{layout}")

    assert horizontal_overflow(page) <= 0, what_overflows(page)

    seen, problems = tab_through(page)
    assert problems == [], "\n".join(problems)
    # The walk got past the header and the filters into the incidents themselves.
    assert sum(1 for s in seen if s.startswith("a PBR-2000-")) >= 5, seen

    header_links = page.locator("table.incidents thead a")
    if layout == "1280":
        # On a wide screen the column headings sort, and say how.
        assert header_links.count() == 6
        expect(header_links.first).to_be_visible()
        assert any(s.startswith("a Reference") for s in seen), seen
    else:
        # Cards, not columns: no sort link in the tab order; the filter form sorts instead.
        assert not any(s.startswith(("a Reference", "a Kind", "a Unit")) for s in seen), seen
        page.get_by_text("Filter and sort").click()
        sort = page.get_by_label("Sort by")
        expect(sort).to_be_visible()
        sort.select_option(label="Reference")
        with page.expect_navigation():
            page.get_by_role("button", name="Apply").click()
        assert "ordering=reference" in page.url
        refs = page.locator("table.incidents tbody a.ref").all_inner_texts()
        assert refs == sorted(refs)
        assert horizontal_overflow(page) <= 0, what_overflows(page)
        screenshot(page, f"register-layout-{layout}-sorted")


def test_the_filters_open_fit_the_screen_and_keep_focus_visible(
    officer_page: Page, live_server: object, layout: str
) -> None:
    page = officer_page
    page.goto(f"{live_server}/incidents/?kind=breach&page=2")
    page.get_by_text("Filter and sort").click()
    expect(page.get_by_label("Sort by")).to_be_visible()
    screenshot(page, f"register-layout-{layout}-filters")
    assert horizontal_overflow(page) <= 0, what_overflows(page)
    seen, problems = tab_through(page, 30)
    assert problems == [], "\n".join(problems)
    assert any(s.startswith("select") for s in seen), seen
    # The last page, reached from a stale link, paginates back.
    page.goto(f"{live_server}/incidents/?kind=breach&page=99")
    expect(page.locator(".pagination")).to_contain_text("Page 2 of 2")
    assert horizontal_overflow(page) <= 0, what_overflows(page)
