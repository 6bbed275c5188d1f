"""The role × endpoint matrix (SPEC §3, STYLE habit 9).

One table: for every page and API endpoint, the status each persona gets. Later issues add
their endpoints as rows. 200 = allowed; 404 = out of scope (its existence not disclosed);
302 = sent to a login page; 401 = API without credentials.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.conftest import PERSONAS, World, add_evidence

pytestmark = pytest.mark.django_db

# Who gets 200 for each row; everyone else among PERSONAS gets `denied`.
ALL = set(PERSONAS)
OFFICERS = {"officer_a", "officer_b", "cpo"}
A_SCOPE = {"reporter", "officer_a", "cpo"}
B_SCOPE = {"reporter2", "officer_b", "cpo"}
R_SCOPE = {"named", "cpo"}

Url = Callable[[World], str]

Row = tuple  # (name, url, allowed personas, others' status, anonymous status[, {persona: status}])

MATRIX: list[Row] = [
    # (name, url, allowed personas, status for the others, status for anonymous)
    ("home", lambda w: "/", set(), 302, 302),
    ("register", lambda w: "/incidents/", OFFICERS, 404, 302),
    ("my reports", lambda w: "/incidents/mine/", ALL, 404, 302),
    ("incident A", lambda w: w.incident_a.get_absolute_url(), A_SCOPE, 404, 302),
    ("incident B", lambda w: w.incident_b.get_absolute_url(), B_SCOPE, 404, 302),
    ("restricted incident", lambda w: w.restricted.get_absolute_url(), R_SCOPE, 404, 302),
    ("no such incident", lambda w: "/incidents/PBR-1999-00001/", set(), 404, 302),
    ("report form", lambda w: "/incidents/new/", ALL, 404, 302),
    ("add details A", lambda w: f"/incidents/{w.incident_a.reference}/details/", A_SCOPE, 404, 302),
    ("add details B", lambda w: f"/incidents/{w.incident_b.reference}/details/", B_SCOPE, 404, 302),
    ("add details R", lambda w: f"/incidents/{w.restricted.reference}/details/", {"cpo"}, 404, 302),
    ("evidence A", lambda w: w.attachment_a.get_absolute_url(), A_SCOPE, 404, 302),
    ("dashboard", lambda w: "/reports/dashboard/", OFFICERS | {"executive"}, 404, 302),
    ("officer home", lambda w: "/incidents/home/", OFFICERS, 404, 302),
    ("reports", lambda w: "/reports/", OFFICERS | {"executive"}, 404, 302),
    ("report status", lambda w: "/reports/999999/status.json", set(), 404, 302),
    ("report download", lambda w: "/reports/999999/download/", set(), 404, 302),
    ("my actions", lambda w: "/incidents/actions/mine/", ALL, 404, 302),
    ("export", lambda w: "/incidents/export.csv", OFFICERS, 404, 302),
    (
        "access log A",
        lambda w: f"/incidents/{w.incident_a.reference}/access-log/",
        {"officer_a", "cpo"},
        404,
        302,
    ),
    (
        "access log R",
        lambda w: f"/incidents/{w.restricted.reference}/access-log/",
        {"cpo"},
        404,
        302,
    ),
    ("api: my actions", lambda w: "/api/v1/actions/mine/", ALL, 404, 401),
    (
        "api: actions A",
        lambda w: f"/api/v1/incidents/{w.incident_a.reference}/actions/",
        {"officer_a", "cpo"},
        404,
        401,
        {"reporter": 403},
    ),
    (
        "api: notifications A",
        lambda w: f"/api/v1/incidents/{w.incident_a.reference}/notifications/",
        {"officer_a", "cpo"},
        404,
        401,
        {"reporter": 403},
    ),
    (
        "api: access log A",
        lambda w: f"/api/v1/incidents/{w.incident_a.reference}/access-log/",
        {"officer_a", "cpo"},
        404,
        401,
    ),
    ("admin", lambda w: "/admin/", {"admin"}, 302, 302),
    ("admin: users", lambda w: "/admin/accounts/user/", {"admin"}, 302, 302),
    ("admin: units", lambda w: "/admin/accounts/businessunit/", {"admin"}, 302, 302),
    ("api: incidents", lambda w: "/api/v1/incidents/", ALL, 404, 401),
    (
        "api: incident A",
        lambda w: f"/api/v1/incidents/{w.incident_a.reference}/",
        A_SCOPE,
        404,
        401,
    ),
    (
        "api: incident B",
        lambda w: f"/api/v1/incidents/{w.incident_b.reference}/",
        B_SCOPE,
        404,
        401,
    ),
    (
        "api: restricted",
        lambda w: f"/api/v1/incidents/{w.restricted.reference}/",
        R_SCOPE,
        404,
        401,
    ),
    (
        "api: comments A",
        lambda w: f"/api/v1/incidents/{w.incident_a.reference}/comments/",
        A_SCOPE,
        404,
        401,
    ),
    (
        "api: comments R",
        lambda w: f"/api/v1/incidents/{w.restricted.reference}/comments/",
        R_SCOPE,
        404,
        401,
    ),
    (
        "api: evidence A",
        lambda w: f"/api/v1/incidents/{w.incident_a.reference}/attachments/",
        A_SCOPE,
        404,
        401,
    ),
    (
        "api: evidence R",
        lambda w: f"/api/v1/incidents/{w.restricted.reference}/attachments/",
        R_SCOPE,
        404,
        401,
    ),
    (
        "api: evidence A file",
        lambda w: f"/api/v1/incidents/{w.incident_a.reference}/attachments/{w.attachment_a.pk}/",
        A_SCOPE,
        404,
        401,
    ),
    (
        "triage A",
        lambda w: f"/incidents/{w.incident_a.reference}/triage/",
        {"officer_a", "cpo"},
        404,
        302,
    ),
    (
        "triage B",
        lambda w: f"/incidents/{w.incident_b.reference}/triage/",
        {"officer_b", "cpo"},
        404,
        302,
    ),
    ("triage R", lambda w: f"/incidents/{w.restricted.reference}/triage/", {"cpo"}, 404, 302),
    (
        "draft to Commissioner A",
        lambda w: f"/incidents/{w.incident_a.reference}/drafts/commissioner.pdf",
        {"officer_a", "cpo"},
        404,
        302,
    ),
    (
        "draft letter A",
        lambda w: f"/incidents/{w.incident_a.reference}/drafts/letter.pdf",
        {"officer_a", "cpo"},
        404,
        302,
    ),
    ("malformed reference", lambda w: "/incidents/PBR%00x/", set(), 404, 404),
    ("api: malformed reference", lambda w: "/api/v1/incidents/PBR%00x/", set(), 404, 404),
    # Not even the administrator reaches other people's API tokens; others are sent to login.
    (
        "admin: api tokens",
        lambda w: "/admin/authtoken/tokenproxy/",
        set(),
        302,
        302,
        {"admin": 404},
    ),
    ("api: schema", lambda w: "/api/schema/", ALL, 404, 401),
    ("api: docs", lambda w: "/api/docs/", ALL, 404, 401),
]

CASES = [
    pytest.param(row, persona, id=f"{row[0]}-{persona}")
    for row in MATRIX
    for persona in [*PERSONAS, "anonymous"]
]


def expected_status(row: Row, persona: str) -> int:
    _name, _url, allowed, denied, anonymous, *rest = row
    overrides = rest[0] if rest else {}
    if persona in overrides:
        return int(overrides[persona])
    if persona == "anonymous":
        return int(anonymous)
    return 200 if persona in allowed else int(denied)


@pytest.mark.parametrize(("row", "persona"), CASES)
def test_matrix(world: World, row: Row, persona: str) -> None:
    add_evidence(world)
    client = Client()
    user = world.persona(persona)
    url = row[1](world)
    if user is not None:
        if url.startswith("/api/"):
            # The API is exercised with token authentication; session auth is covered below.
            token = Token.objects.create(user=user)
            client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
        else:
            client.force_login(user)
    assert client.get(url).status_code == expected_status(row, persona)
    if url.startswith("/api/v1/incidents/") and expected_status(row, persona) == 200:
        # The browsable API renders the same endpoints as HTML, forms and all.
        assert client.get(url, HTTP_ACCEPT="text/html").status_code == 200


# Writes through the API: adding details (PATCH) to incident A.
PATCH_MATRIX = {
    "reporter": 200, "officer_a": 200, "cpo": 200, "reporter2": 404, "officer_b": 404,
    "executive": 404, "admin": 404, "named": 404,
}  # fmt: skip


@pytest.mark.parametrize(("persona", "expected"), PATCH_MATRIX.items())
def test_write_matrix_add_details_to_incident_a(world: World, persona: str, expected: int) -> None:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(world.persona(persona))
    url = f"/api/v1/incidents/{world.incident_a.reference}/"
    assert client.patch(url, {"description": "More."}, format="json").status_code == expected


# Which incidents each persona finds in each list: the same answer on the page and the API.
LISTED = {
    "reporter": {"Incident A"},
    "reporter2": {"Incident B"},
    "officer_a": {"Incident A"},
    "officer_b": {"Incident B"},
    "cpo": {"Incident A", "Incident B", "Incident R"},
    "executive": set(),
    "admin": set(),
    "named": {"Incident R"},
}


# "My reports": what they reported and may still see (the restricted one names only `named`).
MINE = {"reporter": {"Incident A"}, "reporter2": {"Incident B"}}


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_show_exactly_the_scope(world: World, client: Client, persona: str) -> None:
    user = world.persona(persona)
    client.force_login(user)
    api = client.get("/api/v1/incidents/").json()
    assert {row["summary"] for row in api["results"]} == LISTED[persona]
    assert api["count"] == len(LISTED[persona])
    mine = client.get("/incidents/mine/")
    assert {i.summary for i in mine.context["incidents"]} == MINE.get(persona, set())
    register = client.get("/incidents/")
    if register.status_code == 200:
        assert {i.summary for i in register.context["incidents"]} == LISTED[persona]
        assert register.context["paginator"].count == len(LISTED[persona])


def test_restricted_incident_never_appears_in_page_text_for_others(
    world: World, client: Client
) -> None:
    for persona in ["reporter", "officer_a", "officer_b", "executive", "admin", "reporter2"]:
        client.force_login(world.persona(persona))
        for url in ["/incidents/", "/incidents/mine/", "/api/v1/incidents/", "/reports/dashboard/"]:
            body = client.get(url).content.decode()
            assert world.restricted.reference not in body, (persona, url)
            assert "Incident R" not in body, (persona, url)


def test_admin_offers_no_incident_content(world: World, client: Client) -> None:
    client.force_login(world.admin)
    index = client.get("/admin/").content.decode()
    assert "Incident" not in index
    assert client.get("/admin/breaches/incident/").status_code == 404
    assert client.get("/admin/accounts/accessevent/").status_code == 404


# Writes: who may add a comment to incident A, and who is told it does not exist.
WRITE_MATRIX = {
    "reporter": 201,
    "officer_a": 201,
    "cpo": 201,
    "reporter2": 404,
    "officer_b": 404,
    "executive": 404,
    "admin": 404,
    "named": 404,
}


@pytest.mark.parametrize(("persona", "expected"), WRITE_MATRIX.items())
def test_write_matrix_comment_on_incident_a(world: World, persona: str, expected: int) -> None:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(world.persona(persona))
    url = f"/api/v1/incidents/{world.incident_a.reference}/comments/"
    assert client.post(url, {"body": "Noted."}, format="json").status_code == expected
    page = Client()
    page.force_login(world.persona(persona))
    response = page.post(f"/incidents/{world.incident_a.reference}/comments/", {"body": "Noted."})
    assert response.status_code == (302 if expected == 201 else 404)
