"""The number of queries behind each page and API endpoint, pinned (as NetBox pins them).

Each case signs in one persona and asks for one URL of one fixed data set; the exact number
of queries it makes is in ``tests/query_counts.json``. A change that adds a query (an
N+1 that slipped past the 10-vs-50-rows tests, a lookup repeated per request) fails here with
the SQL to read; a change that saves one fails too, so the file is kept honest.

When a count changes on purpose, regenerate the file (all of it, or the cases picked with
``-k``; cases no longer listed below are dropped) and review its diff:

    PIN_QUERY_COUNTS=1 .venv/bin/python -m pytest -p no:cacheprovider tests/test_query_counts.py

Each case is asked twice and counted the second time, so caches a process fills once (content
types, the first session) never decide the number; the counts are the same on SQLite and on
PostgreSQL.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from breaches.intake.services import comment_add
from breaches.models import Action, Attachment, Comment, Incident, Notification
from breaches.response.actions import action_create
from breaches.response.notifications import notification_record
from breaches.triage.engine import parse_facts
from breaches.triage.services import assessment_create, decision_record
from reporting.models import QuarterlyReport
from tests.breaches.triage.engine.test_facts import VALID
from tests.conftest import SharedWorld, World
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

PINNED = Path(__file__).with_name("query_counts.json")
PIN = os.environ.get("PIN_QUERY_COUNTS") == "1"


def a(path: str) -> Callable[[World], str]:
    """A URL under incident A."""
    return lambda w: f"{w.incident_a.get_absolute_url()}{path}"


def api_a(path: str) -> Callable[[World], str]:
    """An API URL under incident A."""
    return lambda w: f"/api/v1/incidents/{w.incident_a.reference}/{path}"


# name → (persona, URL): the pages and endpoints whose counts are pinned.
CASES: dict[str, tuple[str, Callable[[World], str]]] = {
    "register": ("officer_a", lambda w: "/incidents/"),
    "my reports": ("reporter", lambda w: "/incidents/mine/"),
    "officer home": ("officer_a", lambda w: "/incidents/home/"),
    "my actions": ("officer_a", lambda w: "/incidents/actions/mine/"),
    "incident detail": ("officer_a", a("")),
    "incident detail, its reporter": ("reporter", a("")),
    "triage page": ("officer_a", a("triage/")),
    "dashboard": ("executive", lambda w: "/reports/dashboard/"),
    "reports page": ("executive", lambda w: "/reports/"),
    "api: incidents": ("officer_a", lambda w: "/api/v1/incidents/"),
    "api: incident": ("officer_a", api_a("")),
    "api: comments": ("officer_a", api_a("comments/")),
    "api: attachments": ("officer_a", api_a("attachments/")),
    "api: notifications": ("officer_a", api_a("notifications/")),
    "api: actions": ("officer_a", api_a("actions/")),
    "api: access log": ("officer_a", api_a("access-log/")),
    "api: my actions": ("officer_a", lambda w: "/api/v1/actions/mine/"),
}


def build_data_set(w: World) -> None:
    """Incident A with a little of everything, more incidents around it, two report jobs.

    Every list has several rows, so a query made per row would show in the count.
    """
    IncidentFactory.create_batch(4, reporter=w.reporter, business_unit=w.site_a1)
    IncidentFactory.create_batch(2, reporter=w.reporter2, business_unit=w.site_b1)
    incident = Incident.objects.get(pk=w.incident_a.pk)
    for author, visibility in [
        (w.reporter, Comment.Visibility.SHARED),
        (w.officer_a, Comment.Visibility.SHARED),
        (w.officer_a, Comment.Visibility.INTERNAL),
    ]:
        comment_add(incident=incident, author=author, body="Noted.", visibility=visibility)
    for name in ["letter.pdf", "envelope.png"]:
        # Only the rows are read by these pages; no file is stored.
        Attachment.objects.create(
            incident=incident, file=f"attachments/{name}", original_name=name,
            content_type="application/pdf", size=9, sha256="0" * 64, uploaded_by=w.reporter,
        )  # fmt: skip
    Incident.objects.filter(pk=incident.pk).update(status=Incident.Status.TRIAGE)
    incident.refresh_from_db()
    assessment = assessment_create(incident=incident, facts=parse_facts(VALID), actor=w.officer_a)
    decision_record(
        incident=incident, assessment=assessment, actor=w.officer_a,
        notify_regulator="yes", notify_individuals="yes", rationale="",
    )  # fmt: skip
    incident.refresh_from_db()
    now = timezone.now()
    notification_record(
        incident=incident, actor=w.officer_a, recipient=Notification.Recipient.REGULATOR,
        method=Notification.Method.ONLINE_FORM, notified_at=now, reference_number="OPC-1",
    )  # fmt: skip
    notification_record(
        incident=incident, actor=w.officer_a, recipient=Notification.Recipient.INDIVIDUALS,
        method=Notification.Method.NOT_NOTIFIED, notified_at=None, reason="Being located.",
    )  # fmt: skip
    for days, owner in [(-2, w.officer_a), (7, w.officer_a), (30, w.reporter)]:
        action = action_create(
            incident=incident, actor=w.officer_a, title=f"Step {days}", owner=owner,
            due_date=timezone.localdate() + timedelta(days=max(days, 0)),
        )  # fmt: skip
        if days < 0:  # fallen due since: a date in the past cannot be set
            Action.objects.filter(pk=action.pk).update(
                due_date=timezone.localdate() + timedelta(days=days)
            )
    for quarter in ["2026Q1", "2026Q2"]:
        QuarterlyReport.objects.create(
            quarter=quarter, requested_by=w.executive, status=QuarterlyReport.Status.DONE
        )
    # Reads of incident A by its officers, for the access log to list.
    for reader in [w.officer_a, w.cpo]:
        client = Client()
        client.force_login(reader)
        assert client.get(w.incident_a.get_absolute_url()).status_code == 200


@pytest.fixture(scope="module")
def data_set(_module_world: SharedWorld, django_db_blocker: DjangoDbBlocker) -> None:
    """The data set, built once inside the module's world: each test's savepoint keeps it."""
    with django_db_blocker.unblock():
        # A copy: the services cache things on the users they are given, and the tests' worlds
        # are copies of the module's, which must stay as build_world() made it.
        build_data_set(copy.deepcopy(_module_world.world))


def pinned() -> dict[str, int]:
    return json.loads(PINNED.read_text(encoding="utf-8")) if PINNED.exists() else {}


def pin(name: str, count: int) -> None:
    counts = {case: n for case, n in {**pinned(), name: count}.items() if case in CASES}
    PINNED.write_text(json.dumps(dict(sorted(counts.items())), indent=2) + "\n", encoding="utf-8")


@pytest.mark.parametrize("name", CASES)
def test_queries_per_page_are_pinned(data_set: None, world: World, name: str) -> None:
    persona, url = CASES[name]
    client = Client()
    client.force_login(world.persona(persona))
    target = url(world)
    # Asked once to warm the process's caches; the second answer is the one counted.
    assert client.get(target).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(target)
    assert response.status_code == 200
    count = len(ctx.captured_queries)
    if PIN:
        pin(name, count)
        return
    expected = pinned().get(name)
    assert expected is not None, f"{name!r} is not pinned: run with PIN_QUERY_COUNTS=1"
    sql = "\n".join(f"  {q['sql']}" for q in ctx.captured_queries)
    assert count == expected, (
        f"{name} ({target}) made {count} queries, pinned at {expected}. If that is intended, "
        f"regenerate tests/query_counts.json with PIN_QUERY_COUNTS=1. The queries:\n{sql}"
    )


def test_the_file_pins_exactly_these_cases() -> None:
    if PIN:
        pytest.skip("being regenerated")
    assert set(pinned()) == set(CASES)
    assert all(isinstance(n, int) and n > 0 for n in pinned().values())


def test_the_data_set_is_what_the_counts_were_taken_on(data_set: None, world: World) -> None:
    """A change to the data set changes what the counts mean: it is pinned too."""
    assert Incident.objects.count() == 3 + 6
    incident = world.incident_a
    assert incident.comments.count() == 3 and incident.attachments.count() == 2
    assert incident.notifications.count() == 2 and incident.actions.count() == 3
    assert incident.assessments.count() == 1
    assert QuarterlyReport.objects.count() == 2
