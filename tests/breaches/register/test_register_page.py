"""The register page: its filter labels, stale pages, and the decision shown on each row."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from breaches.models import Incident, RegulatorDecision
from breaches.register.filters import IncidentFilter
from tests.conftest import World
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

# The register's single-choice filters and the empty label each must keep.
EMPTY_LABELS = {
    "kind": "Any",
    "decision": "Any",
    "cause": "Any",
    "breach_type": "Any",
    "channel": "Any",
    "deadline": "Any",
    "restricted": "Any",
    "overdue_actions": "Any",
    "business_unit": "All my units",
    "ordering": "Newest first",
}


def first_options(html: str) -> dict[str, str]:
    """Each <select>'s name → the text of its first <option>."""
    found = {}
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        option = re.search(r"<option[^>]*>([^<]*)</option>", body)
        found[name] = option.group(1) if option else ""
    return found


def test_opening_the_api_docs_does_not_change_the_register_filter_labels(world: World) -> None:
    """drf-spectacular builds the form fields of the FilterSet's class-level filters while it
    generates the schema; the register must still say "Any" afterwards, for everyone."""
    client = Client()
    client.force_login(world.officer_a)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/incidents/" in schema.content
    # The same again from another person's request: nothing is left behind for them either.
    other = Client()
    other.force_login(world.cpo)
    assert other.get("/api/schema/").status_code == 200

    html = client.get("/incidents/").content.decode()
    shown = first_options(html)
    assert {name: shown.get(name) for name in EMPTY_LABELS} == EMPTY_LABELS
    assert "---------" not in html
    # And a FilterSet made after it, as the API and the CSV make theirs.
    form = IncidentFilter(queryset=Incident.objects.none()).form
    for name in ("kind", "decision", "cause", "breach_type", "channel", "deadline"):
        assert next(iter(form.fields[name].choices)) == ("", "Any"), name


def test_each_empty_label_is_declared_with_its_filter_not_set_on_an_instance() -> None:
    """The field a tool builds from the class's own filter (as the schema generator does)
    already says "Any"; and making a FilterSet changes nothing on the class."""
    for name in ("kind", "decision", "cause", "breach_type", "channel", "deadline"):
        assert IncidentFilter.base_filters[name].field.empty_label == "Any", name
    assert IncidentFilter.base_filters["business_unit"].field.empty_label == "All my units"
    before = {n: dict(f.extra) for n, f in IncidentFilter.base_filters.items()}
    IncidentFilter({"kind": "breach"}, queryset=Incident.objects.none()).form.is_valid()
    assert {n: dict(f.extra) for n, f in IncidentFilter.base_filters.items()} == before


# --- stale pages ------------------------------------------------------------------------------


@pytest.fixture
def three_pages(world: World, settings) -> World:  # type: ignore[no-untyped-def]
    settings.REGISTER_PAGE_SIZE = 2
    # The world's two visible incidents for officer_a (A and the restricted one is hidden) plus
    # three more in site A1: five rows, three pages of two.
    IncidentFactory.create_batch(4, reporter=world.reporter, business_unit=world.site_a1)
    return world


@pytest.mark.parametrize(
    ("page", "shown"),
    [
        ("999", 3),  # a stale bookmark: the last page, not 404
        ("4", 3),
        ("3", 3),
        ("2", 2),
        ("abc", 1),  # not a number: the first page
        ("", 1),
        ("0", 1),
        ("-2", 1),
        ("9" * 5000, 1),  # more digits than int() takes
        ("last", 3),
    ],
)
def test_a_page_past_the_end_shows_the_last_page(three_pages: World, page: str, shown: int) -> None:
    client = Client()
    client.force_login(three_pages.officer_a)
    response = client.get("/incidents/", {"page": page, "kind": "breach"})
    assert response.status_code == 200
    assert response.context["paginator"].num_pages == 3
    assert response.context["page_obj"].number == shown
    assert f"Page {shown} of 3" in response.content.decode()
    # The rows of that page, and the filters kept in the links.
    assert len(response.context["incidents"]) == (1 if shown == 3 else 2)
    assert "kind=breach&amp;page=" in response.content.decode()


def test_a_stale_page_of_an_empty_register_is_its_one_empty_page(world: World) -> None:
    client = Client()
    client.force_login(world.officer_a)
    response = client.get("/incidents/?q=nothing-matches&page=7")
    assert response.status_code == 200
    assert "No incidents match." in response.content.decode()


def test_the_officer_home_ignores_a_page_number(world: World) -> None:
    """ "What needs you now" is not paginated (each list shows its first 20): a ``?page=`` from
    an old link changes nothing and never answers 404."""
    client = Client()
    client.force_login(world.officer_a)
    assert client.get("/incidents/home/?page=999").status_code == 200


# --- the decision on each row -----------------------------------------------------------------


def deadline_cell(client: Client, summary: str) -> str:
    html = client.get("/incidents/", {"q": summary}).content.decode()
    cell = re.search(r'<td data-label="Regulator deadline">(.*?)</td>', html, re.S)
    assert cell, html
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell.group(1))).strip()


@pytest.mark.parametrize("status", [s for s, _ in Incident.Status.choices])
def test_the_current_decision_shows_whatever_the_status(world: World, status: str) -> None:
    now = timezone.now()
    client = Client()
    client.force_login(world.officer_a)
    # Decided not notifiable while still in triage (or any other status), with or without a clock.
    no_clock = IncidentFactory(reporter=world.reporter, summary="Decided, no clock")
    near_miss = IncidentFactory(
        reporter=world.reporter, summary="Near miss decided", kind=Incident.Kind.NEAR_MISS
    )
    Incident.objects.filter(pk__in=[no_clock.pk, near_miss.pk]).update(
        status=status, decision_notify_regulator=RegulatorDecision.DO_NOT_NOTIFY
    )
    Incident.objects.filter(pk=world.incident_a.pk).update(
        status=status,
        decision_notify_regulator=RegulatorDecision.DO_NOT_NOTIFY,
        regulator_deadline=now + timedelta(hours=30),
    )
    notifiable = IncidentFactory(reporter=world.reporter, summary="Decided to notify")
    Incident.objects.filter(pk=notifiable.pk).update(
        status=status,
        decision_notify_regulator=RegulatorDecision.NOTIFY,
        regulator_deadline=now + timedelta(hours=30, minutes=30),
    )
    undecided = IncidentFactory(reporter=world.reporter, summary="Not yet decided")
    Incident.objects.filter(pk=undecided.pk).update(
        status=status, regulator_deadline=now + timedelta(hours=10, minutes=30)
    )
    assert deadline_cell(client, "Decided, no clock") == "Not notifiable"
    assert deadline_cell(client, "Near miss decided") == "Not notifiable"
    assert deadline_cell(client, "Incident A") == "Not notifiable"
    assert deadline_cell(client, "Decided to notify") == "Notifiable · 30 h left"
    assert deadline_cell(client, "Not yet decided") == "10 h left"


def test_a_notifiable_breach_shows_its_clock_and_then_how_it_was_notified(world: World) -> None:
    now = timezone.now()
    client = Client()
    client.force_login(world.officer_a)
    Incident.objects.filter(pk=world.incident_a.pk).update(
        decision_notify_regulator=RegulatorDecision.NOTIFY,
        regulator_deadline=now - timedelta(hours=1),
    )
    missed = deadline_cell(client, "Incident A")
    assert missed.startswith("Notifiable · Missed ")
    Incident.objects.filter(pk=world.incident_a.pk).update(
        regulator_notified_at=now - timedelta(hours=2)
    )
    assert deadline_cell(client, "Incident A") == "Notified on time"
    Incident.objects.filter(pk=world.incident_a.pk).update(regulator_notified_at=now)
    assert deadline_cell(client, "Incident A") == "Notified late"
    # No decision and no clock: a dash.
    Incident.objects.filter(pk=world.incident_a.pk).update(
        decision_notify_regulator="", regulator_deadline=None, regulator_notified_at=None
    )
    assert deadline_cell(client, "Incident A") == "—"


def test_my_reports_past_the_end_shows_the_last_page(world: World) -> None:
    client = Client()
    client.force_login(world.reporter)
    response = client.get("/incidents/mine/?page=999")
    assert response.status_code == 200
    assert response.context["page_obj"].number == response.context["paginator"].num_pages
