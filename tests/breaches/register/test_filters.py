"""One FilterSet for the page, the API and the CSV: the same rows, scoped, at a constant cost."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AccessEvent
from breaches.models import Incident, IncidentBreachType
from tests.conftest import World
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied(world: World) -> World:
    now = timezone.now()
    a2 = IncidentFactory(
        reporter=world.reporter, business_unit=world.site_a1, summary="Fax to wrong number",
        kind=Incident.Kind.NEAR_MISS, channel=Incident.Channel.OTHER, status=Incident.Status.TRIAGE,
        cause_category=Incident.Cause.WRONG_RECIPIENT, aware_at=now - timedelta(days=40),
        reported_at=now - timedelta(days=39),
    )  # fmt: skip
    IncidentBreachType.objects.create(incident=a2, breach_type="loss")
    IncidentBreachType.objects.create(incident=world.incident_a, breach_type="loss")
    IncidentBreachType.objects.create(incident=world.incident_a, breach_type="alteration")
    Incident.objects.filter(pk=world.incident_a.pk).update(
        severity="high",
        regulator_deadline=now + timedelta(hours=5),
        decision_notify_regulator="yes",
    )
    Incident.objects.filter(pk=world.incident_b.pk).update(
        severity="low", regulator_deadline=now - timedelta(hours=5)
    )
    return world


# (query, what the CPO sees besides the restricted incident, does the restricted one match?)
FILTERS = [
    ("q=Fax", {"Fax to wrong number"}, False),
    ("q=incident", {"Incident A", "Incident B"}, True),
    ("status=triage", {"Fax to wrong number"}, False),
    ("status=reported&status=triage", {"Incident A", "Incident B", "Fax to wrong number"}, True),
    ("kind=near_miss", {"Fax to wrong number"}, False),
    ("business_unit=region-b", {"Incident B"}, False),
    ("business_unit=national", {"Incident A", "Incident B", "Fax to wrong number"}, True),
    ("severity=high", {"Incident A"}, False),
    ("decision=yes", {"Incident A"}, False),
    ("decision=none", {"Incident B", "Fax to wrong number"}, True),
    ("cause=wrong_recipient", {"Fax to wrong number"}, False),
    ("breach_type=loss", {"Incident A", "Fax to wrong number"}, False),
    ("channel=other", {"Fax to wrong number"}, False),
    (
        "aware_before=" + (timezone.localdate() - timedelta(days=30)).isoformat(),
        {"Fax to wrong number"},
        False,
    ),
    (
        "reported_after=" + (timezone.localdate() - timedelta(days=1)).isoformat(),
        {"Incident A", "Incident B"},
        True,
    ),
    ("deadline=soon", {"Incident A"}, False),
    ("deadline=missed", {"Incident B"}, False),
    ("restricted=false", {"Incident A", "Incident B", "Fax to wrong number"}, False),
    ("restricted=true", set(), True),
]


def page_rows(client: Client, query: str) -> set[str]:
    response = client.get(f"/incidents/?{query}")
    assert response.status_code == 200
    return {i.summary for i in response.context["incidents"]}


def api_rows(client: Client, query: str) -> set[str]:
    response = client.get(f"/api/v1/incidents/?{query}")
    assert response.status_code == 200, response.content
    return {r["summary"] for r in response.json()["results"]}


def csv_rows(client: Client, query: str) -> list[list[str]]:
    response = client.get(f"/incidents/export.csv?{query}")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


@pytest.mark.parametrize(("query", "expected", "matches_r"), FILTERS, ids=[f[0] for f in FILTERS])
def test_each_filter_gives_the_same_rows_on_the_page_the_api_and_the_csv(
    varied: World, query: str, expected: set[str], matches_r: bool
) -> None:
    client = Client()
    client.force_login(varied.cpo)
    page = page_rows(client, query)
    assert page == expected | ({"Incident R"} if matches_r else set())
    assert api_rows(client, query) == page
    rows = csv_rows(client, query)
    assert rows[0][0] == "Reference"
    assert {r[-1] for r in rows[1:]} == page
    assert len(rows) - 1 == len(page)


def test_restricted_incidents_are_never_counted_for_others(varied: World) -> None:
    client = Client()
    client.force_login(varied.officer_a)
    for query in ["", "restricted=true", "q=R", "business_unit=region-a", "status=reported"]:
        assert "Incident R" not in page_rows(client, query)
        assert "Incident R" not in api_rows(client, query)
        assert all("Incident R" not in r for r in csv_rows(client, query))
    assert client.get("/incidents/?restricted=true").context["paginator"].count == 0


def test_invalid_filters_are_an_error_not_a_500(varied: World) -> None:
    client = Client()
    client.force_login(varied.cpo)
    for query in ["status=bogus", "business_unit=atlantis", "aware_after=yesterday",
                  "ordering=password", "severity=extreme", "page=abc", "page=99999"]:  # fmt: skip
        assert client.get(f"/incidents/?{query}").status_code in {200, 404}, query
        assert client.get(f"/api/v1/incidents/?{query}").status_code in {200, 400, 404}, query


def test_sorting(varied: World) -> None:
    client = Client()
    client.force_login(varied.cpo)
    refs = [i.reference for i in client.get("/incidents/?ordering=reference").context["incidents"]]
    assert refs == sorted(refs)
    refs = [i.reference for i in client.get("/incidents/?ordering=-reference").context["incidents"]]
    assert refs == sorted(refs, reverse=True)
    api = [
        r["reference"]
        for r in client.get("/api/v1/incidents/?ordering=reference").json()["results"]
    ]
    assert api == sorted(api)


def test_the_export_is_logged_with_its_filters_and_executives_get_none(varied: World) -> None:
    client = Client()
    client.force_login(varied.officer_a)
    csv_rows(client, "kind=near_miss")
    event = AccessEvent.objects.get(action=AccessEvent.Action.EXPORT, incident__isnull=True)
    assert event.user == varied.officer_a
    assert event.detail["filters"] == {"kind": ["near_miss"]}
    # Each exported incident's own access log shows the export that contained it.
    per_incident = AccessEvent.objects.filter(
        action=AccessEvent.Action.EXPORT, incident__isnull=False
    )
    assert [e.incident.summary for e in per_incident] == ["Fax to wrong number"]
    client.force_login(varied.officer_a)
    log = client.get(
        f"/incidents/{per_incident[0].incident.reference}/access-log/"
    ).content.decode()
    assert "In a CSV export" in log
    for persona in ["executive", "reporter", "admin"]:
        client.force_login(varied.persona(persona))
        assert client.get("/incidents/export.csv").status_code == 404


def test_csv_cells_cannot_run_as_formulas(varied: World) -> None:
    Incident.objects.filter(pk=varied.incident_a.pk).update(summary='=HYPERLINK("http://x")')
    client = Client()
    client.force_login(varied.officer_a)
    rows = csv_rows(client, "")
    assert any(r[-1].startswith("'=HYPERLINK") for r in rows[1:])


@pytest.mark.parametrize("url", ["/incidents/", "/api/v1/incidents/", "/incidents/export.csv"])
def test_queries_are_the_same_for_10_and_100_rows(world: World, settings, url: str) -> None:  # type: ignore[no-untyped-def]
    settings.REGISTER_PAGE_SIZE = 200
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 200}
    client = Client()
    client.force_login(world.cpo)

    def count(total: int) -> int:
        missing = total - Incident.objects.count()
        if missing > 0:
            IncidentFactory.create_batch(
                missing, reporter=world.reporter2, business_unit=world.site_b1
            )
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url + "?ordering=-reported")
            if url.endswith(".csv"):
                b"".join(response.streaming_content)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    assert count(10) == count(100)


def test_overdue_actions_filter_and_badge(varied: World) -> None:
    from breaches.models import Action

    # Made directly: the service refuses a due date in the past, but dates pass and an action
    # that was due in time becomes overdue.
    Action.objects.create(incident=varied.incident_b, created_by=varied.cpo, title="Fix the mail merge", owner=varied.reporter2, due_date=timezone.localdate() - timedelta(days=2))  # fmt: skip
    client = Client()
    client.force_login(varied.cpo)
    assert page_rows(client, "overdue_actions=true") == {"Incident B"}
    assert api_rows(client, "overdue_actions=true") == {"Incident B"}
    assert "Incident B" not in page_rows(client, "overdue_actions=false")
    assert "Overdue action" in client.get("/incidents/?q=Incident B").content.decode()


def test_severity_sorts_by_seriousness_not_alphabet(varied: World) -> None:
    Incident.objects.filter(summary="Fax to wrong number").update(severity="critical")
    client = Client()
    client.force_login(varied.cpo)
    rows = [i.severity for i in client.get("/incidents/?ordering=-severity").context["incidents"]]
    ranked = [s for s in rows if s]
    assert ranked == ["critical", "high", "low"]
    api = [
        r["reference"]
        for r in client.get("/api/v1/incidents/?ordering=-severity").json()["results"]
    ]
    assert len(api) == len(rows)
