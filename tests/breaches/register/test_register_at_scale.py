"""What keeps the register fast at 100,000 incidents (docs/performance.md) without changing what
it shows: the text search, the sorts and their tie-breakers, deep pages read in two steps, the
officer's scope by unit ids, and the index behind the officer home's running clocks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import BusinessUnit
from breaches import pagination
from breaches.models import Incident, ReferenceCounter
from breaches.register.search import reference_for, words
from tests.conftest import World
from tests.factories import BusinessUnitFactory, IncidentFactory

pytestmark = pytest.mark.django_db


def listed(client: Client, query: str) -> list[str]:
    response = client.get(f"/incidents/?{query}")
    assert response.status_code == 200, query
    return [i.reference for i in response.context["incidents"]]


def summaries(client: Client, query: str) -> set[str]:
    response = client.get("/incidents/", {"q": query})
    assert response.status_code == 200, query
    return {i.summary for i in response.context["incidents"]}


# --- the text search -----------------------------------------------------------------------


def test_search_matches_words_and_their_beginnings(world: World) -> None:
    for summary in ["Caregiver's notes left on a bus", "Email sent to the wrong caregiver",
                    "Fax to the wrong number", "Letter to a former address"]:  # fmt: skip
        IncidentFactory(reporter=world.reporter, business_unit=world.site_a1, summary=summary)
    client = Client()
    client.force_login(world.cpo)
    everyone = {"Caregiver's notes left on a bus", "Email sent to the wrong caregiver"}
    assert summaries(client, "caregiver") == everyone
    assert summaries(client, "CAREGIVER") == everyone
    assert summaries(client, "care") == everyone  # the beginning of a word
    assert summaries(client, "wrong caregiver") == {"Email sent to the wrong caregiver"}
    assert summaries(client, "wrong") == {"Email sent to the wrong caregiver",
                                          "Fax to the wrong number"}  # fmt: skip
    assert summaries(client, "giraffe") == set()
    # Punctuation that means something to a full-text query is only a separator here.
    assert summaries(client, "caregiver & | ! ( ) : *") == everyone
    assert summaries(client, "'") == set()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="stemming is PostgreSQL's")
def test_search_finds_other_forms_of_a_word_on_postgresql(world: World) -> None:
    IncidentFactory(reporter=world.reporter, business_unit=world.site_a1, summary="Caregivers")
    client = Client()
    client.force_login(world.cpo)
    assert summaries(client, "caregiver") == {"Caregivers"}


def test_search_by_reference_in_the_forms_people_type(world: World) -> None:
    year = timezone.now().year
    ReferenceCounter.objects.update_or_create(year=year, defaults={"last": 100})
    ReferenceCounter.objects.update_or_create(year=year - 1, defaults={"last": 100})
    mine = IncidentFactory(
        reporter=world.reporter, business_unit=world.site_a1, reference=f"PBR-{year}-00042"
    )
    last_year = IncidentFactory(
        reporter=world.reporter, business_unit=world.site_a1, reference=f"PBR-{year - 1}-00042"
    )
    IncidentFactory(
        reporter=world.reporter, business_unit=world.site_a1, reference=f"PBR-{year}-00420"
    )
    client = Client()
    client.force_login(world.cpo)
    for query in [mine.reference, mine.reference.lower(), f"pbr-{year}-42", f"{year}-00042"]:
        assert listed(client, f"q={query}") == [mine.reference], query
    assert set(listed(client, "q=42")) == {mine.reference, last_year.reference}
    assert set(listed(client, "q=00042")) == {mine.reference, last_year.reference}
    assert listed(client, f"q=PBR-{year}-" + "9" * 30) == []


def test_reference_for_pads_to_five_digits_and_refuses_what_cannot_exist() -> None:
    assert reference_for("2026", "42") == "PBR-2026-00042"
    assert reference_for("2026", "000100000") == "PBR-2026-100000"
    assert reference_for("2026", "0") == "PBR-2026-00000"
    assert reference_for("2026", "1" * 20) is None
    assert words("a caregiver's  notes; fax!") == ["a", "caregivers", "notes", "fax"]


def test_search_respects_scope_and_costs_the_same_queries(world: World) -> None:
    IncidentFactory(reporter=world.reporter2, business_unit=world.site_b1, summary="Caregiver B")
    IncidentFactory(reporter=world.reporter, business_unit=world.site_a1, summary="Caregiver A")
    client = Client()
    client.force_login(world.officer_a)
    assert summaries(client, "caregiver") == {"Caregiver A"}
    with CaptureQueriesContext(connection) as plain:
        client.get("/incidents/", {"q": "caregiver"})
    for n in range(5):
        IncidentFactory(
            reporter=world.reporter, business_unit=world.site_a1, summary=f"Caregiver {n}"
        )
    with CaptureQueriesContext(connection) as more:
        client.get("/incidents/", {"q": "caregiver"})
    assert len(more.captured_queries) == len(plain.captured_queries)


# --- sorts ----------------------------------------------------------------------------------


@pytest.fixture
def ranked(world: World) -> list[Incident]:
    """Nine incidents in three units, three of each severity, reported a day apart."""
    now = timezone.now()
    rows = []
    units = [world.site_a1, world.site_b1, world.site_b2]
    for n in range(9):
        incident = IncidentFactory(
            reporter=world.reporter,
            business_unit=units[n % 3],
            reported_at=now - timedelta(days=n),
            status=[Incident.Status.REPORTED, Incident.Status.TRIAGE, Incident.Status.CLOSED][
                n % 3
            ],
        )
        Incident.objects.filter(pk=incident.pk).update(severity=["low", "high", "medium"][n // 3])
        rows.append(Incident.objects.get(pk=incident.pk))
    return rows


SEVERITY = {"": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
STATUS = {s: i for i, s in enumerate(Incident.Status.values)}


@pytest.mark.parametrize(
    ("ordering", "key"),
    [
        ("severity", lambda i: (SEVERITY[i.severity], i.reported_at, i.pk)),
        ("status", lambda i: (STATUS[i.status], i.reported_at, i.pk)),
        ("unit", lambda i: (i.business_unit.name, i.business_unit_id, i.reported_at, i.pk)),
        ("updated", lambda i: (i.updated_at, i.pk)),
        ("reported", lambda i: (i.reported_at, i.pk)),
        ("kind", lambda i: (i.kind, i.reported_at, i.pk)),
    ],
)
def test_each_sort_breaks_ties_newest_first_in_its_own_direction(
    ranked: list[Incident], world: World, ordering: str, key: object
) -> None:
    client = Client()
    client.force_login(world.cpo)
    everyone = list(Incident.objects.select_related("business_unit"))
    ascending = [i.reference for i in sorted(everyone, key=key)]  # type: ignore[arg-type]
    assert listed(client, f"ordering={ordering}") == ascending
    assert listed(client, f"ordering=-{ordering}") == ascending[::-1]


def test_the_ranks_follow_every_write(ranked: list[Incident]) -> None:
    incident = ranked[0]
    Incident.objects.filter(pk=incident.pk).update(severity="critical", status="closed")
    incident.refresh_from_db()
    assert (incident.severity_rank, incident.status_rank) == (4, STATUS["closed"])
    Incident.objects.filter(pk=incident.pk).update(severity="")
    incident.refresh_from_db()
    assert incident.severity_rank == 0


# --- deep pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("ordering", ["", "severity", "-unit", "reference", "-status"])
def test_deep_pages_hold_the_same_rows_as_reading_straight_through(
    ranked: list[Incident],
    world: World,
    settings,
    monkeypatch,
    ordering: str,  # type: ignore[no-untyped-def]
) -> None:
    settings.REGISTER_PAGE_SIZE = 2
    client = Client()
    client.force_login(world.cpo)
    query = f"ordering={ordering}&" if ordering else ""
    pages = range(1, 7)  # 12 incidents (the world's three and nine more): pages 1 to 6
    monkeypatch.setattr(pagination, "DEFER_AFTER", 10**6)
    straight = [listed(client, f"{query}page={n}") for n in pages]
    monkeypatch.setattr(pagination, "DEFER_AFTER", 0)
    with CaptureQueriesContext(connection) as deferred_queries:
        deferred = [listed(client, f"{query}page={n}") for n in pages]
    assert deferred == straight
    assert len({r for page in straight for r in page}) == 12
    # Each deferred page: its ids, then its rows, whichever end it was read from.
    assert any("IN (" in q["sql"] for q in deferred_queries.captured_queries)


def test_deep_api_pages_hold_the_same_rows(ranked: list[Incident], world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    monkeypatch.setattr(pagination.DeferredPageNumberPagination, "page_size", 3)
    api = APIClient()
    api.force_authenticate(world.cpo)

    def page(n: int) -> list[str]:
        response = api.get("/api/v1/incidents/", {"page": n, "ordering": "-severity"})
        assert response.status_code == 200
        return [r["reference"] for r in response.json()["results"]]

    monkeypatch.setattr(pagination, "DEFER_AFTER", 10**6)
    straight = [page(n) for n in range(1, 5)]
    monkeypatch.setattr(pagination, "DEFER_AFTER", 0)
    assert [page(n) for n in range(1, 5)] == straight
    assert len({r for p in straight for r in p}) == 12


# --- scope by unit ids ----------------------------------------------------------------------


def test_an_officer_covers_every_unit_below_their_assignments(world: World) -> None:
    below_a1 = BusinessUnitFactory(name="Below A1", code="below-a1", parent=world.site_a1)
    # A unit whose code merely starts like region A's is not below it.
    BusinessUnitFactory(name="Region A2", code="region-a2", parent=world.national)
    expected = {world.region_a.pk, world.site_a1.pk, below_a1.pk}
    assert set(world.officer_a.covered_unit_ids()) == expected
    fresh = type(world.officer_a).objects.get(pk=world.officer_a.pk)
    fresh.assigned_units.add(world.site_b2)
    assert set(fresh.covered_unit_ids()) == expected | {world.site_b2.pk}
    assert type(world.cpo).objects.get(pk=world.cpo.pk).covered_unit_ids() == []
    incident = IncidentFactory(reporter=world.reporter2, business_unit=below_a1)
    assert Incident.objects.visible_to(world.officer_a).filter(pk=incident.pk).exists()
    assert not BusinessUnit.objects.filter(code="region-a2", incidents__isnull=False).exists()


# --- the officer home's running clocks -------------------------------------------------------


def test_the_running_clock_index_holds_exactly_the_open_statuses() -> None:
    index = next(i for i in Incident._meta.indexes if i.name == "incident_clock_running")
    children = dict(c for c in index.condition.children if isinstance(c, tuple))
    assert set(children["status__in"]) == set(Incident.OPEN_STATUSES)
    assert children["kind"] == Incident.Kind.BREACH


def test_officer_home_lists_running_clocks_soonest_first(world: World) -> None:
    now = timezone.now()
    soon, later = (
        IncidentFactory(reporter=world.reporter, business_unit=world.site_a1) for _ in range(2)
    )
    Incident.objects.filter(pk=soon.pk).update(regulator_deadline=now + timedelta(hours=2))
    Incident.objects.filter(pk=later.pk).update(regulator_deadline=now + timedelta(hours=9))
    closed = IncidentFactory(
        reporter=world.reporter, business_unit=world.site_a1, status=Incident.Status.CLOSED
    )
    Incident.objects.filter(pk=closed.pk).update(regulator_deadline=now + timedelta(hours=1))
    client = Client()
    client.force_login(world.officer_a)
    deadlines = [i.reference for i in client.get("/incidents/home/").context["deadlines"]]
    assert deadlines[:2] == [soon.reference, later.reference]
    assert closed.reference not in deadlines


# --- an officer's count, as the sum of its parts ------------------------------------------------


def test_an_officers_count_is_the_sum_of_its_parts_and_never_more(world: World) -> None:
    """Their units' incidents, their own reports elsewhere, restricted ones naming them (and
    not restricted ones that do not): counted by parts, always what listing the rows gives."""
    outside = IncidentFactory(reporter=world.officer_a, business_unit=world.site_b1)
    named_elsewhere = IncidentFactory(
        reporter=world.reporter2, business_unit=world.site_b2, is_restricted=True,
        restricted_to=[world.officer_a],
    )  # fmt: skip
    hidden_in_unit = IncidentFactory(
        reporter=world.reporter, business_unit=world.site_a1, is_restricted=True,
        restricted_to=[world.named],
    )  # fmt: skip
    IncidentFactory(reporter=world.reporter2, business_unit=world.site_b1, status="closed")
    for user in [world.officer_a, world.officer_b, world.cpo, world.reporter, world.named]:
        visible = Incident.objects.visible_to(user)
        for narrowed in [
            visible,
            visible.filter(status="closed"),
            visible.filter(is_restricted=True),
            visible.exclude(business_unit=world.site_a1),
            visible.with_list_columns().order_by("-reported_at"),
            visible.handled_by(user),
            visible.none(),
        ]:
            assert narrowed.count() == len(list(narrowed)), (user, narrowed.query)
    mine = set(Incident.objects.visible_to(world.officer_a).values_list("pk", flat=True))
    assert {outside.pk, named_elsewhere.pk} <= mine
    assert hidden_in_unit.pk not in mine


def test_an_officers_count_is_one_statement(world: World) -> None:
    visible = Incident.objects.visible_to(world.officer_a)
    world.officer_a.covered_unit_ids()  # the units, read once per request
    with CaptureQueriesContext(connection) as queries:
        visible.filter(kind="breach").count()
    assert len(queries.captured_queries) == 1
    assert queries.captured_queries[0]["sql"].count("COUNT(*)") == 3


def test_an_officer_with_no_units_counts_their_own_reports(world: World) -> None:
    world.officer_b.assigned_units.clear()
    officer = type(world.officer_b).objects.get(pk=world.officer_b.pk)
    IncidentFactory(reporter=officer, business_unit=world.site_b1)
    visible = Incident.objects.visible_to(officer)
    assert visible.count() == len(list(visible)) == 1


# --- the unit's name on the incident ------------------------------------------------------------


def test_a_renamed_unit_sorts_under_its_new_name(world: World) -> None:
    assert Incident.objects.get(pk=world.incident_a.pk).unit_name == world.site_a1.name
    world.site_a1.name = "Aardvark Street"
    world.site_a1.save()
    assert set(
        Incident.objects.filter(business_unit=world.site_a1).values_list("unit_name", flat=True)
    ) == {"Aardvark Street"}
    client = Client()
    client.force_login(world.cpo)
    first = client.get("/incidents/?ordering=unit").context["incidents"][0]
    assert first.business_unit_id == world.site_a1.pk
