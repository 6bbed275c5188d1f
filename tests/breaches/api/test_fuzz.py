"""Hundreds of malformed API requests: every answer is a 2xx or a 4xx, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.conftest import World

pytestmark = pytest.mark.django_db

FIELDS = [
    "kind", "summary", "aware_at", "channel", "business_unit", "occurred_at",
    "occurred_precision", "description", "breach_types", "cause_category", "cause_detail",
    "information_categories", "individuals_affected", "individuals_affected_is_estimate",
    "containment_steps", "contained_at", "affected", "submission_token", "status", "reporter",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=300),
    st.sampled_from(
        ["breach", "near_miss", "email", "2026-03-02T09:30:00+13:00", "2099-01-01", "loss", ""]
    ),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["reference", "role", "x"]), children, max_size=3),
    ),
    max_leaves=8,
)
bodies = st.dictionaries(st.sampled_from(FIELDS), values, max_size=len(FIELDS))


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies)
def test_create_never_500s(world: World, body: dict[str, Any]) -> None:
    client = APIClient()
    client.force_authenticate(world.reporter)
    response = client.post("/api/v1/incidents/", body, format="json")
    assert response.status_code in {201, 400}, (response.status_code, body)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies, target=st.sampled_from(["", "comments/"]))
def test_additions_never_500(world: World, body: dict[str, Any], target: str) -> None:
    client = APIClient()
    client.force_authenticate(world.reporter)
    url = f"/api/v1/incidents/{world.incident_a.reference}/{target}"
    method = client.post if target else client.patch
    response = method(url, body, format="json")
    assert response.status_code in {200, 201, 400, 403}, (response.status_code, body)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=200))
def test_raw_garbage_never_500s(world: World, raw: bytes) -> None:
    client = APIClient()
    client.force_authenticate(world.reporter)
    response = client.generic("POST", "/api/v1/incidents/", raw, content_type="application/json")
    assert response.status_code == 400
