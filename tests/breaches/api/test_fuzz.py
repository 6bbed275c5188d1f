"""Hundreds of malformed API requests: every answer is a 2xx or a 4xx, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from breaches.models import Action
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


# --- Every endpoint, every role -----------------------------------------------------------------
# The operations come from the API's own OpenAPI schema, so a new endpoint is fuzzed the day it
# is added. Each is sent generated bodies, query strings and path values by every persona and
# by nobody; every answer is below 500.


def _operations() -> list[tuple[str, str, list[str], list[str], list[str]]]:
    """(method, path, path parameters, query parameters, body fields) for each operation."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    found = []
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            params = op.get("parameters", [])
            body = (op.get("requestBody", {}).get("content", {}).get("application/json", {})).get(
                "schema", {}
            )
            ref = body.get("$ref", "").rsplit("/", 1)[-1]
            fields = list(components.get(ref, {}).get("properties", {})) or FIELDS
            found.append(
                (
                    method.upper(),
                    path,
                    [p["name"] for p in params if p["in"] == "path"],
                    [p["name"] for p in params if p["in"] == "query"],
                    fields,
                )
            )
    return found


OPERATIONS = _operations()
ROLES = [None, "reporter", "reporter2", "officer_a", "officer_b", "cpo", "executive", "admin",
         "named"]  # fmt: skip
path_values = st.one_of(
    st.sampled_from(["{incident_a}", "{restricted}", "{incident_b}", "{action}", "{attachment}"]),
    st.integers(min_value=-5, max_value=2**70).map(str),
    st.text(alphabet="PBR-0123456789abc%.", max_size=30),
)


def test_the_fuzz_covers_every_endpoint_of_the_schema() -> None:
    paths = {path for _, path, *_ in OPERATIONS}
    assert len(OPERATIONS) >= 19 and "/api/v1/actions/mine/" in paths
    assert "/api/v1/incidents/{reference}/restriction/" in paths


@pytest.mark.parametrize("operation", OPERATIONS, ids=[f"{op[0]} {op[1]}" for op in OPERATIONS])
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_endpoint_for_every_role_never_500s(
    world: World, operation: tuple[str, str, list[str], list[str], list[str]], data: st.DataObject
) -> None:
    method, path, path_params, query_params, fields = operation
    client = APIClient()
    role = data.draw(st.sampled_from(ROLES), label="role")
    if role:
        client.force_authenticate(getattr(world, role))
    action = Action.objects.filter(incident=world.restricted).first() or Action.objects.create(
        incident=world.restricted, title="Check the file", owner=world.executive,
        due_date=timezone.localdate(), created_by=world.cpo,
    )  # fmt: skip
    known = {
        "{incident_a}": world.incident_a.reference,
        "{restricted}": world.restricted.reference,
        "{incident_b}": world.incident_b.reference,
        "{action}": str(action.pk),
        "{attachment}": str(world.attachment_a.pk if world.attachment_a else 1),
    }
    url = path
    for name in path_params:
        value = data.draw(path_values, label=name)
        url = url.replace("{" + name + "}", known.get(value, value).replace("/", ""))
    query = data.draw(
        st.dictionaries(
            st.sampled_from(query_params or ["page"]), st.text(max_size=40), max_size=3
        ),
        label="query",
    )
    body = data.draw(st.dictionaries(st.sampled_from(fields), values, max_size=6), label="body")
    if method == "GET":
        response = client.get(url, query)
    else:
        response = client.generic(
            method, url + "?" + "&".join(f"{k}=x" for k in query), json.dumps(body),
            content_type="application/json",
        )  # fmt: skip
    assert response.status_code < 500, (method, url, role, body, response.status_code)
    if role is None:
        assert response.status_code in {401, 403, 404}, (method, url)
