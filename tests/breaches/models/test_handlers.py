"""Handling versus following: officers' notes stay with the incident's own officers."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from breaches.intake.services import comment_add
from breaches.models import Comment, Incident
from tests.conftest import World
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_b_report(world: World) -> Incident:
    """An incident officer_b reported in region A: they follow it, officer_a handles it."""
    return IncidentFactory(reporter=world.officer_b, business_unit=world.site_a1, summary="B's own")


def test_an_officer_following_their_own_report_sees_no_internal_notes(
    world: World, officer_b_report: Incident
) -> None:
    comment_add(incident=officer_b_report, author=world.officer_a, body="Check B's access log.", visibility="internal")  # fmt: skip
    comment_add(incident=officer_b_report, author=world.officer_a, body="Thanks for reporting.", visibility="shared")  # fmt: skip
    page = Client()
    page.force_login(world.officer_b)
    body = page.get(officer_b_report.get_absolute_url()).content.decode()
    assert "Thanks for reporting." in body
    assert "Check B's access log." not in body
    assert 'value="internal"' not in body  # no internal option offered
    api = APIClient()
    api.force_authenticate(world.officer_b)
    url = f"/api/v1/incidents/{officer_b_report.reference}/comments/"
    assert [c["visibility"] for c in api.get(url).json()["results"]] == ["shared"]
    assert api.post(url, {"body": "x", "visibility": "internal"}, format="json").status_code == 400
    assert page.get(f"/incidents/{officer_b_report.reference}/triage/").status_code == 404
    assert not Comment.objects.filter(author=world.officer_b).exists()


def test_the_handling_officer_sees_and_writes_internal_notes(
    world: World, officer_b_report: Incident
) -> None:
    client = Client()
    client.force_login(world.officer_a)
    client.post(
        f"/incidents/{officer_b_report.reference}/comments/",
        {"body": "Note", "visibility": "internal"},
    )
    assert Comment.objects.get().visibility == "internal"
    assert client.get(f"/incidents/{officer_b_report.reference}/triage/").status_code == 200


def test_officer_comment_defaults_to_internal(world: World) -> None:
    client = Client()
    client.force_login(world.officer_a)
    form = client.get(world.incident_a.get_absolute_url()).context["comment_form"]
    assert form.initial["visibility"] == "internal"


def test_an_internal_note_does_not_move_last_update(world: World) -> None:
    before = Incident.objects.get(pk=world.incident_a.pk).updated_at
    comment_add(incident=world.incident_a, author=world.officer_a, body="x", visibility="internal")
    assert Incident.objects.get(pk=world.incident_a.pk).updated_at == before


def test_administrators_cannot_read_or_mint_api_tokens(world: World) -> None:
    client = Client()
    client.force_login(world.admin)
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 404
    assert client.get("/admin/authtoken/tokenproxy/add/").status_code == 404
    assert "/admin/authtoken/" not in client.get("/admin/").content.decode()


def test_reporters_timeline_never_shows_restriction_or_internal_fields(world: World) -> None:
    incident = world.incident_a
    incident._history_user = world.cpo  # type: ignore[attr-defined]
    incident.is_restricted = True
    incident.save()
    incident.restricted_to.add(world.reporter, world.named)
    incident.is_restricted = False
    incident.save()
    client = Client()
    client.force_login(world.reporter)
    body = client.get(incident.get_absolute_url()).content.decode()
    assert "named" not in body.lower().replace("unnamed", "")
    assert "restrict" not in body.lower()
    client.force_login(world.cpo)
    timeline = client.get(incident.get_absolute_url()).context["timeline"]
    changes = [(c.field, c.old, c.new) for e in timeline for c in e.changes]
    assert ("is restricted", "No", "Yes") in changes


def test_detail_page_queries_do_not_grow_with_history(world: World) -> None:
    client = Client()
    client.force_login(world.cpo)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(world.incident_a.get_absolute_url()).status_code == 200
        return len(ctx.captured_queries)

    incident = Incident.objects.get(pk=world.incident_a.pk)
    incident.summary = "edit 0"
    incident.save()
    few = queries()
    for n in range(1, 11):
        incident.summary = f"edit {n}"
        incident.restricted_to.add(world.named) if n % 2 else incident.restricted_to.remove(
            world.named
        )
        incident.save()
    assert queries() == few
