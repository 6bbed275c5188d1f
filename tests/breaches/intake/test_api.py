"""The intake API: create, strict validation, additions, comments, scoping."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from breaches.models import Comment, Incident
from tests.conftest import World

pytestmark = pytest.mark.django_db


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def valid(**overrides: Any) -> dict[str, Any]:
    body = {
        "kind": "breach",
        "summary": "Care plan e-mailed to the wrong caregiver",
        "aware_at": (timezone.now() - timedelta(hours=2)).isoformat(),
        "channel": "email",
    }
    body.update(overrides)
    return body


def test_create_with_the_required_fields_only(world: World) -> None:
    response = api(world.reporter).post("/api/v1/incidents/", valid(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith("PBR-")
    assert body["business_unit_code"] == "site-a1"  # the reporter's own unit by default
    incident = Incident.objects.get(reference=body["reference"])
    assert incident.reporter == world.reporter
    assert incident.status == Incident.Status.REPORTED


def test_create_with_every_detail(world: World) -> None:
    now = timezone.now()
    response = api(world.reporter).post(
        "/api/v1/incidents/",
        valid(
            kind="near_miss",
            business_unit="site-b1",
            occurred_at=(now - timedelta(days=1)).isoformat(),
            occurred_precision="approximate",
            description="Noticed before the envelope was sealed.",
            breach_types=["unauthorised_disclosure", "unauthorised_disclosure"],
            cause_category="misaddressed",
            cause_detail="Old address on file.",
            information_categories=["care_protection", "location"],
            individuals_affected=3,
            individuals_affected_is_estimate=True,
            containment_steps="Letter taken back.",
            contained_at=(now - timedelta(hours=1)).isoformat(),
            affected=[{"reference": "C-204816", "role": "child"}],
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["breach_types"] == ["unauthorised_disclosure"]
    assert sorted(body["information_categories"]) == ["care_protection", "location"]
    assert body["affected"] == [{"reference": "C-204816", "role": "child"}]
    assert body["business_unit_code"] == "site-b1"
    assert body["individuals_affected"] == 3


@pytest.mark.parametrize(
    ("field", "value", "expect"),
    [
        ("kind", "disaster", "Allowed values: breach, near_miss"),
        ("channel", "pigeon", "Allowed values: email, paper"),
        ("summary", "", "may not be blank"),
        ("summary", "x" * 201, "no more than 200"),
        ("aware_at", "yesterday", "Datetime has wrong format"),
        ("aware_at", "2099-01-01T00:00:00+13:00", "in the future"),
        ("business_unit", "atlantis", "does not exist"),
        ("occurred_at", "2099-01-01T00:00:00+13:00", "in the future"),
        ("occurred_precision", "sort-of", "Allowed values: exact, approximate, unknown"),
        ("breach_types", ["loss", "theft"], "Allowed values: unauthorised_access"),
        ("breach_types", "loss", "Expected a list"),
        ("cause_category", "gremlins", "Allowed values: wrong_recipient"),
        ("information_categories", ["dreams"], "Allowed values: contact"),
        ("individuals_affected", -1, "greater than or equal to 0"),
        ("individuals_affected", "many", "valid integer"),
        ("individuals_affected_is_estimate", "perhaps", "valid boolean"),
        ("contained_at", "not a date", "Datetime has wrong format"),
        (
            "affected",
            [{"reference": "Jane Smith's file: she lives at", "role": "child"}],
            "reference",
        ),
        ("affected", [{"reference": "C-1", "role": "uncle"}], "Allowed values: client, child"),
        ("affected", [{"reference": "C-1", "role": "child", "name": "Jane"}], "Unknown field"),
        ("submission_token", "not-a-uuid", "valid UUID"),
    ],
)
def test_each_invalid_field_gives_a_400_naming_it(
    world: World, field: str, value: Any, expect: str
) -> None:
    response = api(world.reporter).post(
        "/api/v1/incidents/", valid(**{field: value}), format="json"
    )
    assert response.status_code == 400
    errors = response.json()
    assert field in errors, errors
    assert expect in str(errors[field]), errors
    assert (
        not Incident.objects.filter(reporter=world.reporter)
        .exclude(pk__in=[world.incident_a.pk, world.restricted.pk])
        .exists()
    )


@pytest.mark.parametrize("field", ["kind", "summary", "aware_at", "channel"])
def test_each_required_field_is_named_when_missing(world: World, field: str) -> None:
    body = valid()
    del body[field]
    response = api(world.reporter).post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 400
    assert "required" in str(response.json()[field])


def test_unknown_fields_are_rejected_by_name(world: World) -> None:
    response = api(world.reporter).post(
        "/api/v1/incidents/", valid(status="closed", reporter="cpo"), format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"status", "reporter"}
    assert "Unknown field" in response.json()["status"][0]


@pytest.mark.parametrize(
    "payload", ["not json", "[1, 2]", "null", '{"kind": ', '"string"', "{}" * 1000]
)
def test_malformed_bodies_are_400_not_500(world: World, payload: str) -> None:
    client = api(world.reporter)
    response = client.post("/api/v1/incidents/", payload, content_type="application/json")
    assert response.status_code == 400


def test_a_retry_with_the_same_token_returns_the_first_incident(world: World) -> None:
    token = str(uuid.uuid4())
    client = api(world.reporter)
    first = client.post("/api/v1/incidents/", valid(submission_token=token), format="json")
    second = client.post("/api/v1/incidents/", valid(submission_token=token), format="json")
    third = client.post("/api/v1/incidents/", valid(), format="json", HTTP_IDEMPOTENCY_KEY=token)
    assert first.json()["reference"] == second.json()["reference"] == third.json()["reference"]
    assert Incident.objects.filter(summary=valid()["summary"]).count() == 1


def test_another_reporters_incident_is_404_everywhere(world: World) -> None:
    client = api(world.reporter2)
    base = f"/api/v1/incidents/{world.incident_a.reference}/"
    assert client.get(base).status_code == 404
    assert client.patch(base, {"description": "x"}, format="json").status_code == 404
    assert client.get(base + "comments/").status_code == 404
    assert client.post(base + "comments/", {"body": "hi"}, format="json").status_code == 404
    assert client.get(base + "attachments/").status_code == 404


def test_reporter_adds_details_to_their_open_incident(world: World) -> None:
    client = api(world.reporter)
    url = f"/api/v1/incidents/{world.incident_a.reference}/"
    response = client.patch(
        url,
        {
            "description": "More about it.",
            "breach_types": ["loss"],
            "affected": [{"reference": "C-9", "role": "client"}],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["description"] == "More about it."
    assert response.json()["breach_types"] == ["loss"]
    assert response.json()["affected"] == [{"reference": "C-9", "role": "client"}]
    latest = world.incident_a.history.latest("history_id")
    assert latest.history_user == world.reporter


def test_reporter_cannot_add_to_a_closed_incident(world: World) -> None:
    Incident.objects.filter(pk=world.incident_a.pk).update(status=Incident.Status.CLOSED)
    response = api(world.reporter).patch(
        f"/api/v1/incidents/{world.incident_a.reference}/", {"description": "x"}, format="json"
    )
    assert response.status_code == 403
    assert "closed" in response.json()["detail"]


def test_patch_rejects_fields_that_are_not_details(world: World) -> None:
    response = api(world.reporter).patch(
        f"/api/v1/incidents/{world.incident_a.reference}/", {"kind": "near_miss"}, format="json"
    )
    assert response.status_code == 400
    assert "kind" in response.json()


def test_internal_comments_never_reach_the_reporter(world: World) -> None:
    officer = api(world.officer_a)
    url = f"/api/v1/incidents/{world.incident_a.reference}/comments/"
    assert (
        officer.post(
            url, {"body": "Shared note", "visibility": "shared"}, format="json"
        ).status_code
        == 201
    )
    assert (
        officer.post(
            url, {"body": "Officers only", "visibility": "internal"}, format="json"
        ).status_code
        == 201
    )
    reporter = api(world.reporter)
    assert [c["body"] for c in reporter.get(url).json()["results"]] == ["Shared note"]
    assert [c["body"] for c in officer.get(url).json()["results"]] == [
        "Shared note",
        "Officers only",
    ]
    detail = reporter.get(f"/api/v1/incidents/{world.incident_a.reference}/").content.decode()
    assert "Officers only" not in detail


def test_reporter_cannot_write_an_internal_note(world: World) -> None:
    url = f"/api/v1/incidents/{world.incident_a.reference}/comments/"
    response = api(world.reporter).post(url, {"body": "x", "visibility": "internal"}, format="json")
    assert response.status_code == 400
    assert "visibility" in response.json()
    assert not Comment.objects.exists()


def test_comment_validation(world: World) -> None:
    url = f"/api/v1/incidents/{world.incident_a.reference}/comments/"
    client = api(world.reporter)
    assert "body" in client.post(url, {"body": ""}, format="json").json()
    assert (
        "visibility" in client.post(url, {"body": "x", "visibility": "loud"}, format="json").json()
    )
    assert "author" in client.post(url, {"body": "x", "author": "cpo"}, format="json").json()


def test_comments_cannot_be_edited_or_deleted_through_the_api(world: World) -> None:
    url = f"/api/v1/incidents/{world.incident_a.reference}/comments/"
    client = api(world.reporter)
    client.post(url, {"body": "First"}, format="json")
    assert client.put(url, {"body": "Changed"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
    assert client.delete(f"/api/v1/incidents/{world.incident_a.reference}/").status_code == 405
    assert Comment.objects.get().body == "First"


def test_api_list_query_count_does_not_grow(world: World, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import IncidentFactory

    client = api(world.cpo)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/incidents/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    IncidentFactory.create_batch(40, reporter=world.reporter2)
    assert count() == few


def test_the_same_token_from_another_reporter_is_a_separate_report(world: World) -> None:
    token = str(uuid.uuid4())
    first = api(world.reporter).post(
        "/api/v1/incidents/", valid(submission_token=token), format="json"
    )
    second = api(world.reporter2).post(
        "/api/v1/incidents/", valid(submission_token=token), format="json"
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["reference"] != second.json()["reference"]
