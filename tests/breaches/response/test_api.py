"""The workspace through the API: same scoping, same validation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from breaches.models import Action, Incident, Notification
from tests.conftest import World, add_action

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_notifications_api(world: World) -> None:
    url = f"/api/v1/incidents/{world.incident_a.reference}/notifications/"
    now = timezone.now().isoformat()
    assert api(world.reporter).get(url).status_code == 403
    assert api(world.officer_b).get(url).status_code == 404
    bad = api(world.officer_a).post(
        url, {"recipient": "press", "method": "email", "notified_at": now}, format="json"
    )
    assert bad.status_code == 400 and "Allowed values: regulator, individuals" in str(
        bad.json()["recipient"]
    )
    ok = api(world.officer_a).post(
        url,
        {
            "recipient": "regulator",
            "stage": "initial",
            "method": "online_form",
            "notified_at": now,
            "reference_number": "OPC-9",
        },
        format="json",
    )
    assert ok.status_code == 201, ok.json()
    assert api(world.officer_a).get(url).json()["results"][0]["reference_number"] == "OPC-9"
    assert Notification.objects.count() == 1


def test_actions_api_and_my_actions(world: World) -> None:
    url = f"/api/v1/incidents/{world.incident_a.reference}/actions/"
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    refused = api(world.reporter).post(
        url, {"title": "x", "owner": "reporter", "due_date": due}, format="json"
    )
    assert refused.status_code == 403
    bad = api(world.officer_a).post(
        url, {"title": "x", "owner": "nobody", "due_date": "soon"}, format="json"
    )
    assert bad.status_code == 400 and {"owner", "due_date"} <= set(bad.json())
    ok = api(world.officer_a).post(
        url, {"title": "Train the team", "owner": "reporter", "due_date": due}, format="json"
    )
    assert ok.status_code == 201, ok.json()
    assert [
        a["title"] for a in api(world.reporter).get("/api/v1/actions/mine/").json()["results"]
    ] == ["Train the team"]
    assert api(world.reporter2).get("/api/v1/actions/mine/").json()["results"] == []
    assert Action.objects.get().owner == world.reporter


def test_transition_api(world: World) -> None:
    url = f"/api/v1/incidents/{world.incident_a.reference}/transition/"
    assert api(world.reporter).post(url, {"to": "triage"}, format="json").status_code == 403
    bad = api(world.officer_a).post(url, {"to": "closed"}, format="json")
    assert bad.status_code == 400 and "cannot become closed" in bad.json()["to"][0]
    assert api(world.officer_a).post(url, {"to": "flying"}, format="json").status_code == 400
    ok = api(world.officer_a).post(url, {"to": "triage"}, format="json")
    assert ok.json() == {"reference": world.incident_a.reference, "status": "triage"}
    assert Incident.objects.get(pk=world.incident_a.pk).status == "triage"


def test_access_log_api(world: World) -> None:
    api(world.reporter).get(f"/api/v1/incidents/{world.incident_a.reference}/")
    url = f"/api/v1/incidents/{world.incident_a.reference}/access-log/"
    assert api(world.reporter).get(url).status_code == 404
    rows = api(world.officer_a).get(url).json()["results"]
    assert [r["user"] for r in rows] == ["reporter"]


def test_restriction_api_cpo_only(world: World) -> None:
    url = f"/api/v1/incidents/{world.incident_a.reference}/restriction/"
    body = {"restricted": True, "people": ["named"], "reason": "Staff conduct"}
    assert api(world.officer_a).post(url, body, format="json").status_code == 403
    assert (
        api(world.cpo).post(url, {**body, "people": ["nobody"]}, format="json").status_code == 400
    )
    assert (
        api(world.cpo).post(url, {**body, "people": ["executive"]}, format="json").status_code
        == 400
    )
    ok = api(world.cpo).post(url, body, format="json")
    assert ok.json() == {"reference": world.incident_a.reference, "is_restricted": True}
    assert (
        api(world.officer_a).get(f"/api/v1/incidents/{world.incident_a.reference}/").status_code
        == 404
    )
    lifted = api(world.cpo).post(url, {"restricted": False, "reason": "Closed"}, format="json")
    assert lifted.json()["is_restricted"] is False


def test_action_status_api(world: World) -> None:
    # reporter2 owns an action on incident A without seeing A (given before a restriction or a
    # move of unit took it from them: new actions go only to people who can see the incident).
    action = add_action(world)
    url = f"/api/v1/actions/{action.pk}/status/"
    assert api(world.reporter2).post(url, {"status": "cancelled"}, format="json").status_code == 403
    assert api(world.officer_b).post(url, {"status": "done"}, format="json").status_code == 404
    assert api(world.reporter2).post(url, {"status": "finished"}, format="json").status_code == 400
    done = api(world.reporter2).post(url, {"status": "done"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert api(world.reporter2).post(url, {"status": "done"}, format="json").status_code == 403


def test_list_rows_carry_the_triage_columns(world: World) -> None:
    row = api(world.cpo).get("/api/v1/incidents/").json()["results"][0]
    assert {
        "severity",
        "regulator_deadline",
        "decision_notify_regulator",
        "regulator_notified_at",
    } <= set(row)
