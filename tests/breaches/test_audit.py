"""History and access events are written, carry who/when/request id, and cannot be changed."""

from __future__ import annotations

import re

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import AccessEvent
from accounts.request_context import reset_request_id, set_request_id
from breaches.intake.services import incident_create
from breaches.models import Incident
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_history_keeps_who_when_before_after_and_request_id(world: World) -> None:
    incident = world.incident_a
    token = set_request_id("req-abcdef12")
    try:
        incident._history_user = world.officer_a  # type: ignore[attr-defined]
        incident.summary = "Letter posted to the wrong address (corrected)"
        incident.status = Incident.Status.TRIAGE
        incident.save()
    finally:
        reset_request_id(token)
    latest, previous = incident.history.order_by("-history_id")[:2]
    assert latest.history_user == world.officer_a
    assert latest.request_id == "req-abcdef12"
    assert latest.history_date is not None
    changes = {c.field: (c.old, c.new) for c in latest.diff_against(previous).changes}
    assert changes["status"] == ("reported", "triage")
    assert changes["summary"] == ("Incident A", "Letter posted to the wrong address (corrected)")


def test_children_and_restriction_are_tracked(world: World) -> None:
    incident = incident_create(
        reporter=world.reporter,
        kind=Incident.Kind.BREACH,
        summary="Email to the wrong caregiver",
        aware_at=world.incident_a.aware_at,
        channel=Incident.Channel.EMAIL,
        business_unit=world.site_a1,
        breach_types=["unauthorised_disclosure"],
        information_categories=["care_protection", "location"],
        affected=[("C-123456", "client")],
    )
    assert incident.reference.startswith("PBR-")
    assert incident.breach_types.first().history.count() == 1
    assert incident.affected.first().history.first().history_type == "+"
    incident.restricted_to.add(world.named)
    latest = incident.history.latest("history_id")
    assert [m.user_id for m in latest.restricted_to.all()] == [world.named.pk]


def test_references_are_sequential_per_year(world: World) -> None:
    kwargs = {
        "reporter": world.reporter,
        "kind": Incident.Kind.NEAR_MISS,
        "summary": "Caught before sending",
        "aware_at": world.incident_a.aware_at,
        "channel": Incident.Channel.EMAIL,
        "business_unit": world.site_a1,
    }
    first, second = incident_create(**kwargs), incident_create(**kwargs)
    assert int(second.reference[-5:]) == int(first.reference[-5:]) + 1


def test_opening_an_incident_writes_an_access_event_with_the_request_id(
    world: World, client: Client
) -> None:
    client.force_login(world.officer_a)
    response = client.get(world.incident_a.get_absolute_url())
    assert response.status_code == 200
    event = AccessEvent.objects.get()
    assert event.user == world.officer_a
    assert event.incident == world.incident_a
    assert event.action == AccessEvent.Action.VIEW
    assert event.request_id == response["X-Request-ID"]


def test_out_of_scope_view_writes_no_access_event(world: World, client: Client) -> None:
    client.force_login(world.officer_b)
    assert client.get(world.incident_a.get_absolute_url()).status_code == 404
    assert not AccessEvent.objects.exists()


def test_api_retrieve_writes_an_access_event(world: World, client: Client) -> None:
    client.force_login(world.reporter)
    assert client.get(f"/api/v1/incidents/{world.incident_a.reference}/").status_code == 200
    assert AccessEvent.objects.get().action == AccessEvent.Action.API_VIEW


def test_detail_page_shows_the_timeline(world: World, client: Client) -> None:
    world.incident_a._history_user = world.officer_a  # type: ignore[attr-defined]
    world.incident_a.status = Incident.Status.TRIAGE
    world.incident_a.save()
    client.force_login(world.reporter)
    timeline = client.get(world.incident_a.get_absolute_url()).context["timeline"]
    assert [e.verb for e in timeline] == ["reported this incident", "changed"]
    assert timeline[1].actor == str(world.officer_a)
    assert [(c.field, c.old, c.new) for c in timeline[1].changes] == [
        ("status", "Reported", "In triage")
    ]


def test_access_events_refuse_change_in_the_orm(world: World) -> None:
    event = AccessEvent.objects.create(user=world.cpo, action=AccessEvent.Action.VIEW)
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AccessEvent.objects.all().update(path="/x")
    with pytest.raises(PermissionError):
        AccessEvent.objects.all().delete()


def _history_tables() -> list[str]:
    from django.apps import apps

    tables = [m._meta.db_table for m in apps.get_models() if m.__name__.startswith("Historical")]
    tables += [
        f.remote_field.through._meta.db_table
        for m in apps.get_models()
        if m.__name__.startswith("Historical")
        for f in m._meta.many_to_many
    ]
    return sorted({*tables, AccessEvent._meta.db_table})


def test_every_history_table_is_append_only_in_postgresql(world: World) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    tables = _history_tables()
    assert "breaches_historicalincident" in tables
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE %s",
            ["%_append_only"],
        )
        protected = {row[0] for row in cursor.fetchall()}
    assert set(tables) <= protected, set(tables) - protected
    AccessEvent.objects.create(user=world.cpo, action=AccessEvent.Action.VIEW)
    for statement in [
        "UPDATE breaches_historicalincident SET summary = 'rewritten'",
        "DELETE FROM breaches_historicalincident",
        "UPDATE accounts_accessevent SET path = '/x'",
        "DELETE FROM accounts_accessevent",
    ]:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)


def _all_url_patterns(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    resolver = resolver or get_resolver()
    found = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += _all_url_patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            found.append(route)
    return found


def test_no_product_url_changes_or_deletes_history_or_access_events(world: World) -> None:
    """Every URL, every writing method, as the most powerful personas: history stays as it was."""
    client = Client(enforce_csrf_checks=False)
    client.force_login(world.cpo)
    client.get(world.incident_a.get_absolute_url())  # at least one access event exists
    history_before = list(Incident.history.values_list("history_id", "summary", "status"))
    events_before = list(AccessEvent.objects.order_by("id").values_list("id", "path", "action"))
    assert history_before and events_before

    routes = _all_url_patterns()
    values = {
        "reference": world.incident_a.reference,
        "pk": "1",
        "attachment_id": "1",
        "object_id": str(world.incident_a.pk),
        "format": "json",
    }
    concrete = set()
    for route in routes:
        url = "/" + route.replace("^", "").replace("$", "").replace("\\Z", "")
        # <conv:name> and (?P<name>regex) placeholders get a real value.
        url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values.get(m.group(1), "<?>"), url)
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "<?>"), url)
        url = url.replace("\\.", ".").replace("\\", "").replace("/?", "/")
        if "<" in url or "(" in url:
            continue  # admin internals with other parameters: covered by admin permissions
        concrete.add(url)
    assert f"/incidents/{world.incident_a.reference}/comments/" in concrete
    assert f"/api/v1/incidents/{world.incident_a.reference}/comments/" in concrete
    assert any("/incidents/" in u for u in concrete)
    for persona in (world.cpo, world.admin):
        for url in sorted(concrete):
            for method in ("post", "put", "patch", "delete"):
                client.force_login(persona)  # again: one of the URLs is the sign-out
                response = getattr(client, method)(url, data={}, content_type="application/json")
                assert response.status_code != 500, (method, url)

    assert list(Incident.history.values_list("history_id", "summary", "status")) == history_before
    remaining = list(AccessEvent.objects.order_by("id").values_list("id", "path", "action"))
    assert remaining[: len(events_before)] == events_before
