"""Issue 13: the owner list of an action, in a real browser, at a phone's width and a desktop's.

It offers only the people who can see the incident, grouped by business unit; typing in its
search box narrows it (accents and case ignored); the arrow keys choose in it; the form is sent
from the keyboard and the action is made with the person chosen.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from breaches.models import Action
from tests.conftest import World
from tests.e2e import test_workspace_journey as workspace
from tests.e2e.conftest import login, screenshot
from tests.e2e.test_workspace_journey import fits_the_screen, open_details
from tests.factories import BusinessUnitFactory, UserFactory

pytestmark = pytest.mark.e2e

viewport = workspace.viewport
officer_page = workspace.officer_page


@pytest.fixture
def live_world(transactional_db: None) -> World:
    """The personas, committed, and more people who can see incident A: officers of region A
    in two offices of their own (one with a macron in its name), and one of the whole agency."""
    world = workspace.build_world()
    whangarei = BusinessUnitFactory(name="Whangārei", code="whangarei", parent=world.region_a)
    kaitaia = BusinessUnitFactory(name="Kaitāia", code="kaitaia", parent=world.region_a)
    people = [
        ("tama", "Tama", "Rāwiri", whangarei, [world.region_a]),
        ("aroha", "Aroha", "Smith", whangarei, [world.region_a]),
        ("hine", "Hine", "Walker", kaitaia, [world.region_a]),
        ("mere", "Mere", "Parata", world.national, [world.national]),
    ]
    for username, first, last, unit, assigned in people:
        UserFactory(
            username=username, first_name=first, last_name=last, business_unit=unit,
            role=User.Role.PRIVACY_OFFICER, assigned_units=assigned,
        )  # fmt: skip
    return world


def owner_values(page: Page) -> list[str]:
    return page.locator("#action_owner option").evaluate_all("os => os.map(o => o.value)")


def group_labels(page: Page) -> list[str]:
    return page.locator("#action_owner optgroup").evaluate_all("gs => gs.map(g => g.label)")


def test_the_owner_is_found_by_typing_and_chosen_with_the_keyboard(
    live_server: object, live_world: World, officer_page: Page, viewport: str
) -> None:
    page = officer_page
    incident = live_world.incident_a
    login(page, live_server, "officer_a")
    page.goto(f"{live_server}/incidents/{incident.reference}/")
    open_details(page, "Add an action")
    form = page.locator("form[action$='/actions/']")

    # Only the people who can see incident A, grouped by their business unit.
    owner = form.locator("#action_owner")
    expect(owner).to_be_visible()
    everyone = sorted(owner_values(page))
    assert everyone == sorted(["reporter", "officer_a", "cpo", "tama", "aroha", "hine", "mere"])
    for outsider in ("reporter2", "officer_b", "executive", "admin", "named"):
        assert outsider not in everyone
    assert group_labels(page) == ["National Office", "Region A", "Kaitāia", "Site A1", "Whangārei"]
    search = form.get_by_label("Search by name or business unit")
    expect(search).to_be_visible()
    status = form.locator(".owner-search-status")
    expect(status).to_have_text("7 people can see this incident.")

    form.get_by_label("What needs doing").fill("Lock the filing cabinet")
    due = timezone.localdate() + timedelta(days=3)
    form.get_by_label("Due").fill(due.isoformat())

    # Typing narrows the list: "whanga" (no macron) finds the Whangārei office's two officers.
    search.click()
    search.press_sequentially("whanga")
    expect(status).to_have_text("2 of 7 people shown.")
    assert owner_values(page) == ["tama", "aroha"]
    assert group_labels(page) == ["Whangārei"]
    assert fits_the_screen(page), "the action form scrolls sideways"
    screenshot(page, f"owner-picker-narrowed-{viewport}")

    # A name narrows it further; clearing the search brings everyone back.
    search.press_sequentially(" smi")
    expect(status).to_have_text("1 of 7 people shown.")
    assert owner_values(page) == ["aroha"]
    search.fill("")
    expect(status).to_have_text("7 people can see this incident.")
    assert sorted(owner_values(page)) == everyone
    search.press_sequentially("Whangārei")
    assert owner_values(page) == ["tama", "aroha"]

    # The keyboard: Down from the search box goes to the list and chooses its first person;
    # Down again chooses the next; Enter in the search box never sends the form.
    search.press("ArrowDown")
    expect(owner).to_be_focused()
    expect(owner).to_have_value("tama")
    page.keyboard.press("ArrowDown")
    expect(owner).to_have_value("aroha")
    search.press("Enter")
    expect(owner).to_be_focused()
    assert not Action.objects.exists()
    screenshot(page, f"owner-picker-chosen-{viewport}")

    # On to the button by Tab, and sent with Enter.
    button = form.get_by_role("button", name="Add action", exact=True)
    for _ in range(8):
        if button.evaluate("b => b === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(button).to_be_focused()
    with page.expect_navigation() as navigation:
        page.keyboard.press("Enter")
    response = navigation.value
    assert response is not None and response.status == 200
    expect(page.locator(".messages")).to_contain_text("Action added")

    action = Action.objects.get()
    assert action.owner.username == "aroha"
    assert action.title == "Lock the filing cabinet"
    assert action.due_date == due
    listed = page.locator("section[aria-labelledby=actions-heading] ul.actions-list > li")
    expect(listed).to_contain_text("Aroha Smith")
    assert fits_the_screen(page)
    screenshot(page, f"owner-picker-added-{viewport}")


def test_without_the_script_it_is_a_plain_grouped_list(
    live_server: object, live_world: World, officer_page: Page, viewport: str
) -> None:
    page = officer_page
    page.context.route("**/owner-picker.js", lambda route: route.abort())
    login(page, live_server, "officer_a")
    page.goto(f"{live_server}/incidents/{live_world.incident_a.reference}/")
    open_details(page, "Add an action")
    form = page.locator("form[action$='/actions/']")
    expect(form.get_by_label("Search by name or business unit")).to_have_count(0)
    owner = form.locator("#action_owner")
    assert owner.evaluate("s => s.size") == 0  # a drop-down, not a list box
    assert group_labels(page) == ["National Office", "Region A", "Kaitāia", "Site A1", "Whangārei"]
    form.get_by_label("What needs doing").fill("Shred the copies")
    owner.select_option("hine")
    form.get_by_label("Due").fill(timezone.localdate().isoformat())
    with page.expect_navigation():
        form.get_by_role("button", name="Add action", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Action added")
    assert Action.objects.get().owner.username == "hine"
