"""The whole register's CSV streams: a fixed number of queries whatever its size, and every
exported incident logged once, a batch at a time, before its rows leave (SPEC §8)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.http import StreamingHttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.models import AccessEvent, User
from breaches.models import Incident
from breaches.register import exports, views
from tests.conftest import World
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

EVENT_INSERT = f'INSERT INTO "{AccessEvent._meta.db_table}"'


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def get(client: Client, query: str = "") -> Any:
    """The export's response, its body not read yet (a test client's response)."""
    response = client.get(f"/incidents/export.csv?{query}")
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    return response


def rows_of(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def exported_to(request_id: str) -> Counter[str]:
    """The references of the incidents logged as exported by the request ``request_id``."""
    return Counter(
        AccessEvent.objects.filter(
            request_id=request_id, action=AccessEvent.Action.EXPORT, incident__isnull=False
        ).values_list("incident__reference", flat=True)
    )


@contextmanager
def keeping_the_connection() -> Iterator[None]:
    """Closing a response sends ``request_finished``, which closes the database connection
    (and, in a test, its transaction); the test client keeps it open the same way."""
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_finished.connect(close_old_connections)


def fill_to(world: World, total: int) -> None:
    """As many incidents in site B1 as make ``total`` in the register."""
    missing = total - Incident.objects.count()
    IncidentFactory.create_batch(missing, reporter=world.reporter2, business_unit=world.site_b1)


def test_the_export_costs_the_same_queries_for_3_and_30_incidents(world: World) -> None:
    client = signed_in(world.cpo)

    def queries(total: int) -> int:
        fill_to(world, total)
        with CaptureQueriesContext(connection) as captured:
            assert len(rows_of(get(client))) == total + 1
        return len(captured.captured_queries)

    assert queries(3) == queries(30)


def test_the_access_events_of_a_batch_are_written_in_one_statement(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "EXPORT_BATCH", 10)
    fill_to(world, 30)
    with CaptureQueriesContext(connection) as captured:
        assert len(rows_of(get(signed_in(world.cpo)))) == 31
    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith(EVENT_INSERT)]
    # The export's own event, then one statement for each batch of ten (on SQLite, bulk_create:
    # one statement for every 124 rows, its limit being 999 parameters).
    assert len(inserts) == 1 + 3


@pytest.mark.parametrize("batch", [2, exports.EXPORT_BATCH])
def test_every_exported_incident_has_exactly_one_export_event(
    world: World, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(views, "EXPORT_BATCH", batch)
    IncidentFactory.create_batch(5, reporter=world.reporter2, business_unit=world.site_b2)
    response = get(signed_in(world.officer_b), "kind=breach")
    references = [row[0] for row in rows_of(response)[1:]]
    assert len(references) == 6  # incident B and the five, in region B

    request_id = response["X-Request-ID"]
    assert exported_to(request_id) == Counter(references)
    events = AccessEvent.objects.filter(request_id=request_id)
    for event in events.filter(incident__isnull=False):
        assert event.user == world.officer_b
        assert event.action == AccessEvent.Action.EXPORT
        assert event.detail == {"export": True, "filters": {"kind": ["breach"]}}
        assert event.path == "/incidents/export.csv"
        assert event.ip_address == "127.0.0.1"
    # And the export itself, once, with its filters.
    export = events.get(incident__isnull=True)
    assert export.action == AccessEvent.Action.EXPORT
    assert export.detail == {"filters": {"kind": ["breach"]}}
    assert export.user == world.officer_b


def test_a_batch_is_logged_before_its_rows_leave_and_a_client_that_stops_was_logged(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "EXPORT_BATCH", 2)
    monkeypatch.setattr(exports, "CSV_CHUNK_CHARS", 1)  # each line leaves on its own
    fill_to(world, 7)
    # The view itself, as a WSGI server runs it: the test client's response would close the
    # test's database connection when closed early.
    request: Any = RequestFactory().get("/incidents/export.csv")
    request.user = world.cpo
    request.request_id = "stops-after-three-rows"
    response = views.export_csv(request)
    assert isinstance(response, StreamingHttpResponse)
    pieces = iter(response)

    assert next(pieces).decode("utf-8").startswith("\ufeffReference,Kind,")
    left: list[str] = []
    for piece in pieces:
        left.append(piece.decode("utf-8").split(",", 1)[0])
        logged = exported_to(request.request_id)
        # Every row that has left was logged first; and the log runs a batch ahead at most.
        assert set(left) <= set(logged)
        assert len(logged) == min(7, (len(left) + 1) // 2 * 2)
        if len(left) == 3:
            break
    # The client stops reading after three rows (the server closes the response): they were
    # logged, and the fourth of their batch, but not the three rows it never asked for.
    with keeping_the_connection():
        response.close()
    assert sum(exported_to(request.request_id).values()) == 4


def test_an_export_of_nothing_is_its_header_and_logs_no_incident(world: World) -> None:
    response = get(signed_in(world.cpo), "q=nothing-matches-this")
    header = "\ufeff" + ",".join(exports.CSV_HEADER) + "\r\n"
    assert b"".join(response.streaming_content) == header.encode()
    assert exported_to(response["X-Request-ID"]) == Counter()
    assert AccessEvent.objects.filter(
        request_id=response["X-Request-ID"], incident__isnull=True
    ).exists()
