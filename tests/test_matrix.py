"""The role × endpoint matrix (SPEC §3, STYLE habit 9).

One table: for every page and API endpoint, the status each persona gets. Later issues add
their endpoints as rows; a test below walks the URLconf and names any pattern without one.
200 = allowed; 404 = out of scope (its existence not disclosed); 302 = sent to a login page;
401 = API without credentials; 403 = the API refusing someone who may see the incident but not
do this to it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils import timezone

from accounts.models import ApiToken
from tests.breaches.triage.engine.test_facts import VALID
from tests.conftest import PERSONAS, World, add_action, add_confidential_reports, add_evidence

pytestmark = pytest.mark.django_db

# Who gets 200 for each row; everyone else among PERSONAS gets `denied`.
ALL = set(PERSONAS)
OFFICERS = {"officer_a", "officer_b", "cpo"}
A_SCOPE = {"reporter", "officer_a", "cpo"}
B_SCOPE = {"reporter2", "officer_b", "cpo"}
R_SCOPE = {"named", "cpo"}

Url = Callable[[World], str]


@dataclass(frozen=True)
class Post:
    """A write: the row's statuses are for POSTing ``data`` (a form to a page, JSON to the API).

    ``ok`` is what an allowed persona gets: a page redirects after the write (302) or shows the
    form's errors (400); the API answers 200 or 201. A page also redirects when it refuses
    someone who sees the incident (a reporter moving their own report on), with an error
    message: such personas are in the row's overrides with 302, and the test tells the two
    apart by the message.
    """

    url: Url
    data: Callable[[World], dict[str, Any]] = lambda w: {}
    ok: int = 302


def a(path: str) -> Url:
    """A page under incident A."""
    return lambda w: f"/incidents/{w.incident_a.reference}/{path}"


def r(path: str) -> Url:
    """A page under the restricted incident."""
    return lambda w: f"/incidents/{w.restricted.reference}/{path}"


def notice_a(path: str) -> Url:
    """A form of a planned notice to a person affected by incident A (made for the row)."""

    def url(w: World) -> str:
        from breaches.models import AffectedIndividual, IndividualNotice

        person = AffectedIndividual.objects.create(
            incident=w.incident_a, reference="C-77", role="client"
        )
        notice = IndividualNotice.objects.create(
            incident=w.incident_a, affected=person, created_by=w.cpo
        )
        return f"/incidents/{w.incident_a.reference}/notices/{notice.pk}/{path}"

    return url


def person_a(w: World) -> str:
    """Incident A's notices, with one person affected still without a notice."""
    from breaches.models import AffectedIndividual

    AffectedIndividual.objects.create(incident=w.incident_a, reference="C-78", role="child")
    return f"/incidents/{w.incident_a.reference}/notices/plan/"


def conf(path: str, api: bool = False) -> Url:
    """A page (or API resource) of the confidential report, made for the row."""
    base = "/api/v1/incidents/" if api else "/incidents/"
    return lambda w: f"{base}{add_confidential_reports(w).confidential.reference}/{path}"  # type: ignore[union-attr]  # made just now


def coll(path: str, api: bool = False) -> Url:
    """A page (or API resource) of the report about a colleague, made for the row."""
    base = "/api/v1/incidents/" if api else "/incidents/"
    return lambda w: f"{base}{add_confidential_reports(w).colleague.reference}/{path}"  # type: ignore[union-attr]  # made just now


# A confidential report is seen as any report of A1 (only who reported it is hidden); one about
# a colleague only by the CPO and its reporter (restricted on arrival).
K_SCOPE = {"reporter", "cpo"}

# (name, URL to GET or a Post, allowed personas, others' status, anonymous status
#  [, {persona: status}])
Row = tuple

MATRIX: list[Row] = [
    # (name, URL or Post, allowed personas, status for the others, status for anonymous)
    ("home", lambda w: "/", set(), 302, 302),
    ("register", lambda w: "/incidents/", OFFICERS, 404, 302),
    ("my reports", lambda w: "/incidents/mine/", ALL, 404, 302),
    ("incident A", lambda w: w.incident_a.get_absolute_url(), A_SCOPE, 404, 302),
    ("incident B", lambda w: w.incident_b.get_absolute_url(), B_SCOPE, 404, 302),
    ("restricted incident", lambda w: w.restricted.get_absolute_url(), R_SCOPE, 404, 302),
    ("confidential incident", conf(""), A_SCOPE, 404, 302),
    ("confidential: access log", conf("access-log/"), {"officer_a", "cpo"}, 404, 302),
    ("confidential: triage", conf("triage/"), {"officer_a", "cpo"}, 404, 302),
    ("confidential: add details", conf("details/"), A_SCOPE, 404, 302),
    ("api: confidential incident", conf("", api=True), A_SCOPE, 404, 401),
    ("api: confidential comments", conf("comments/", api=True), A_SCOPE, 404, 401),
    ("api: confidential attachments", conf("attachments/", api=True), A_SCOPE, 404, 401),
    ("api: confidential access log", conf("access-log/", True), {"officer_a", "cpo"}, 404, 401),
    ("colleague report", coll(""), K_SCOPE, 404, 302),
    ("colleague report: add details", coll("details/"), K_SCOPE, 404, 302),
    ("colleague report: access log", coll("access-log/"), {"cpo"}, 404, 302),
    ("api: colleague report", coll("", api=True), K_SCOPE, 404, 401),
    ("api: colleague comments", coll("comments/", api=True), K_SCOPE, 404, 401),
    ("no such incident", lambda w: "/incidents/PBR-1999-00001/", set(), 404, 302),
    ("report form", lambda w: "/incidents/new/", ALL, 404, 302),
    # Anonymous reports (docs/reporting-without-fear.md): open to everyone, signed in or not;
    # the follow-up page shows a report only for its code (a wrong one: the code form, 400).
    ("report anonymously", lambda w: "/report-anonymously/", ALL, 404, 200),
    ("anonymous follow-up", lambda w: "/follow-up/", ALL, 404, 200),
    (
        "anonymous follow-up, wrong code",
        Post(
            lambda w: "/follow-up/",
            lambda w: {"code": "2345-6789-ABCD-EFGH-JKLM-NPQR-STUV"},
            ok=400,
        ),
        ALL,
        404,
        400,
    ),
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
    ("agency access log", lambda w: "/access-log/", {"cpo"}, 404, 302),
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
    ("admin: second factors", lambda w: "/admin/mfa/authenticator/", {"admin"}, 302, 302),
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
    (
        "notification content A",
        a("notification-content/"),
        {"officer_a", "cpo"},
        404,
        302,
    ),
    (
        "notification content R",
        r("notification-content/"),
        {"cpo"},
        404,
        302,
    ),
    (
        "write notification content A",
        Post(a("notification-content/"), lambda w: {"contact_point": "Privacy team"}),
        {"officer_a", "cpo"},
        404,
        302,
    ),
    # Notices to people (docs/notices.md): the incident's handlers only, 404 to everyone else.
    ("notices A", a("notices/"), {"officer_a", "cpo"}, 404, 302),
    ("notices R", r("notices/"), {"cpo"}, 404, 302),
    (
        "api: notices A",
        lambda w: f"/api/v1/incidents/{w.incident_a.reference}/notices/",
        {"officer_a", "cpo"},
        404,
        401,
    ),
    ("plan notices A", Post(person_a), {"officer_a", "cpo"}, 404, 302),
    (
        "public notice A",
        Post(a("notices/public/"), lambda w: {"public_reason": "They cannot be reached."}),
        {"officer_a", "cpo"},
        404,
        302,
    ),
    (
        "notice safety check A",
        Post(notice_a("safety-check/"), lambda w: {"safety_check": "x", "safe_channel": "y"}),
        {"officer_a", "cpo"},
        404,
        302,
    ),
    (
        "notice sent A",
        Post(
            notice_a("sent/"),
            lambda w: {"channel": "letter", "sent_at": f"{timezone.localtime():%Y-%m-%dT%H:%M}"},
        ),
        {"officer_a", "cpo"},
        404,
        302,
    ),
    (
        "notice outcome A",
        Post(notice_a("outcome/"), lambda w: {"outcome": "withheld", "withheld_ground": "s116"}),
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
    ("api: root", lambda w: "/api/v1/", ALL, 404, 401),
    # Signed in already: sent home. Logging out is a POST, open to everyone.
    ("login", lambda w: "/login/", set(), 302, 200),
    ("password change", lambda w: "/account/password/", ALL, 404, 302),
    ("api tokens", lambda w: "/account/tokens/", ALL, 404, 302),
    ("revoke a token", Post(lambda w: "/account/tokens/pbr_nosuch/revoke/"), set(), 404, 302),
    ("roles", lambda w: "/account/roles/", {"admin", "cpo"}, 404, 302),
    # The second factor (allauth's pages): each person's own. Changing a factor first asks
    # them to confirm it is them (a session from force_login has no recent sign-in: 302 there);
    # the step after the password exists only during a sign-in (302 back otherwise); pages for
    # a factor the person does not have answer 404.
    ("second factor", lambda w: "/account/two-factor/", ALL, 404, 302),
    ("second-factor step", lambda w: "/account/two-factor/authenticate/", set(), 302, 302),
    (
        "second factor: confirm it is you",
        lambda w: "/account/two-factor/reauthenticate/",
        set(),
        302,
        302,
    ),
    ("add an authenticator app", lambda w: "/account/two-factor/totp/activate/", set(), 302, 302),
    (
        "remove the authenticator app",
        lambda w: "/account/two-factor/totp/deactivate/",
        set(),
        404,
        302,
    ),
    ("recovery codes", lambda w: "/account/two-factor/recovery-codes/", set(), 404, 302),
    (
        "new recovery codes",
        lambda w: "/account/two-factor/recovery-codes/generate/",
        set(),
        302,
        302,
    ),
    (
        "download recovery codes",
        lambda w: "/account/two-factor/recovery-codes/download/",
        set(),
        404,
        302,
    ),
    ("passkeys", lambda w: "/account/two-factor/webauthn/", ALL, 404, 302),
    ("add a passkey", lambda w: "/account/two-factor/webauthn/add/", set(), 302, 302),
    (
        "passkey: confirm it is you",
        lambda w: "/account/two-factor/webauthn/reauthenticate/",
        set(),
        302,
        302,
    ),
    ("remove a passkey", lambda w: "/account/two-factor/webauthn/keys/1/remove/", set(), 302, 302),
    ("rename a passkey", lambda w: "/account/two-factor/webauthn/keys/1/edit/", set(), 302, 302),
    ("confirm it is you (password)", lambda w: "/account/reauthenticate/", ALL, 404, 302),
    # Single sign-on is off in these settings: both ends answer 404 (tests/accounts/test_sso.py
    # runs them against a real provider).
    ("sign in with the agency account", lambda w: "/login/sso/", set(), 404, 404),
    ("back from the agency account", lambda w: "/login/sso/callback/", set(), 404, 404),
    (
        "ask for a role",
        Post(
            lambda w: "/account/roles/request/",
            lambda w: {"user": "reporter", "role": "executive", "reason": "x"},
        ),
        {"admin"},
        404,
        302,
        {"cpo": 400},
    ),
    (
        "decide a role request",
        Post(lambda w: "/account/roles/999999/decide/", ok=404),
        set(),
        404,
        302,
    ),
    ("logout", Post(lambda w: "/logout/"), ALL, 404, 302),
    # Writes on pages: a refusal inside the scope is a redirect with an error message (302 in
    # the row's overrides); outside it, 404.
    (
        "move A on",
        Post(a("transition/"), lambda w: {"to": "triage"}),
        {"officer_a", "cpo"},
        404,
        302,
        {"reporter": 302},
    ),
    (
        "move R on",
        Post(r("transition/"), lambda w: {"to": "triage"}),
        {"cpo"},
        404,
        302,
        {"named": 302},
    ),
    (
        "record notification A",
        Post(
            a("notifications/"),
            lambda w: {"recipient": "regulator", "method": "not_notified", "reason": "Recovered."},
        ),
        {"officer_a", "cpo"},
        404,
        302,
        {"reporter": 302},
    ),
    (
        "add action A",
        Post(
            a("actions/"),
            lambda w: {
                "title": "Retrain",
                "kind": "prevention",
                "owner": w.reporter.username,
                "due_date": "2030-01-01",
            },
        ),
        {"officer_a", "cpo"},
        404,
        302,
        {"reporter": 302},
    ),
    (
        "action status A",
        Post(lambda w: f"/incidents/actions/{w.action_a.pk}/status/", lambda w: {"status": "done"}),
        {"reporter2", "officer_a", "cpo"},  # reporter2 owns it without seeing incident A
        404,
        302,
        {"reporter": 302},
    ),
    (
        "restrict A",
        Post(a("restriction/"), lambda w: {"people": [w.named.pk], "reason": "Staff conduct."}),
        {"cpo"},
        404,
        302,
        {"reporter": 302, "officer_a": 302},
    ),
    (
        "lift restriction R",
        Post(r("restriction/"), lambda w: {"lift": "1", "reason": "Cleared."}),
        {"cpo"},
        404,
        302,
        {"named": 302},
    ),
    # An empty form: who reaches its validation (400), and who is told nothing exists.
    ("decide A", Post(a("triage/decision/"), ok=400), {"officer_a", "cpo"}, 404, 302),
    ("attach to A", Post(a("attachments/"), ok=400), A_SCOPE, 404, 302),
    ("comment on A", Post(a("comments/"), lambda w: {"body": "Noted."}), A_SCOPE, 404, 302),
    # Writes through the API.
    (
        "api: triage assess",
        Post(lambda w: "/api/v1/triage/assess/", lambda w: VALID, ok=200),
        ALL,
        404,
        401,
    ),
    (
        "api: action status A",
        Post(
            lambda w: f"/api/v1/actions/{w.action_a.pk}/status/",
            lambda w: {"status": "done"},
            ok=200,
        ),
        {"reporter2", "officer_a", "cpo"},
        404,
        401,
        {"reporter": 403},
    ),
    (
        "api: move A on",
        Post(
            lambda w: f"/api/v1/incidents/{w.incident_a.reference}/transition/",
            lambda w: {"to": "triage"},
            ok=200,
        ),
        {"officer_a", "cpo"},
        404,
        401,
        {"reporter": 403},
    ),
    (
        "api: move R on",
        Post(
            lambda w: f"/api/v1/incidents/{w.restricted.reference}/transition/",
            lambda w: {"to": "triage"},
            ok=200,
        ),
        {"cpo"},
        404,
        401,
        {"named": 403},
    ),
    (
        "api: restrict A",
        Post(
            lambda w: f"/api/v1/incidents/{w.incident_a.reference}/restriction/",
            lambda w: {"restricted": True, "people": ["named"], "reason": "Staff conduct."},
            ok=200,
        ),
        {"cpo"},
        404,
        401,
        {"reporter": 403, "officer_a": 403},
    ),
    (
        "api: lift restriction R",
        Post(
            lambda w: f"/api/v1/incidents/{w.restricted.reference}/restriction/",
            lambda w: {"restricted": False, "reason": "Cleared."},
            ok=200,
        ),
        {"cpo"},
        404,
        401,
        {"named": 403},
    ),
    # Data governance (docs/governance.md): retention rules for administrators and the CPO,
    # disposal runs for the CPO, legal holds for the officers handling the incident.
    ("retention rules", lambda w: "/governance/retention/", {"admin", "cpo"}, 404, 302),
    (
        "propose a retention rule",
        Post(
            lambda w: "/governance/retention/propose/",
            lambda w: {"kind": "near_miss", "years": "1", "authority": "DA 1", "reason": "x"},
        ),
        {"admin"},
        404,
        302,
    ),
    (
        "decide a retention rule",
        Post(lambda w: "/governance/retention/999999/decide/", ok=404),
        set(),
        404,
        302,
    ),
    ("disposal runs", lambda w: "/governance/disposal/", {"cpo"}, 404, 302),
    ("propose a disposal run", Post(lambda w: "/governance/disposal/propose/"), {"cpo"}, 404, 302),
    ("disposal run", lambda w: "/governance/disposal/999999/", set(), 404, 302),
    (
        "approve a disposal run",
        Post(lambda w: "/governance/disposal/999999/approve/", ok=404),
        set(),
        404,
        302,
    ),
    (
        "cancel a disposal run",
        Post(lambda w: "/governance/disposal/999999/cancel/", ok=404),
        set(),
        404,
        302,
    ),
    (
        "send a disposal run again",
        Post(lambda w: "/governance/disposal/999999/resume/", ok=404),
        set(),
        404,
        302,
    ),
    ("legal holds", lambda w: "/governance/holds/", OFFICERS, 404, 302),
    # The organisation's settings (docs/settings.md): administrators only.
    ("organisation settings", lambda w: "/settings/", {"admin"}, 404, 302),
    (
        "save organisation settings",
        Post(
            lambda w: "/settings/",
            lambda w: {
                "agency_name": "A",
                "default_jurisdiction": "NZ",
                "nz_target_hours": "48",
                "reminder_hours": "24",
                "reason": "x",
                "version": "0",
            },
        ),
        {"admin"},
        404,
        302,
    ),
    (
        "hold A",
        Post(
            lambda w: "/governance/holds/place/",
            lambda w: {"reference": w.incident_a.reference, "reason": "HRRT 12/2026."},
        ),
        {"officer_a", "cpo"},
        404,
        302,
        {"officer_b": 400},
    ),
    (
        "release a hold",
        Post(lambda w: "/governance/holds/999999/release/", ok=404),
        set(),
        404,
        302,
    ),
]

CASES = [
    pytest.param(row, persona, id=f"{row[0]}-{persona}")
    for row in MATRIX
    for persona in [*PERSONAS, "anonymous"]
]


def expected_status(row: Row, persona: str) -> int:
    _name, target, allowed, denied, anonymous, *rest = row
    overrides = rest[0] if rest else {}
    if persona in overrides:
        return int(overrides[persona])
    if persona == "anonymous":
        return int(anonymous)
    ok = target.ok if isinstance(target, Post) else 200
    return ok if persona in allowed else int(denied)


def row_url(row: Row, world: World) -> str:
    target = row[1]
    return str(target.url(world) if isinstance(target, Post) else target(world))


def send(client: Client, row: Row, world: World) -> HttpResponse:
    target, url = row[1], row_url(row, world)
    if not isinstance(target, Post):
        return client.get(url)
    if url.startswith("/api/"):
        return client.post(url, json.dumps(target.data(world)), content_type="application/json")
    return client.post(url, target.data(world))


@pytest.mark.parametrize(("row", "persona"), CASES)
def test_matrix(world: World, row: Row, persona: str) -> None:
    add_evidence(world)
    add_action(world)
    client = Client()
    user = world.persona(persona)
    url = row_url(row, world)
    if user is not None:
        if url.startswith("/api/"):
            # The API is exercised with token authentication; session auth is covered below.
            _, token = ApiToken.objects.create(user=user)
            client = Client(HTTP_AUTHORIZATION=f"Token {token}")
        else:
            client.force_login(user)
    response = send(client, row, world)
    assert response.status_code == expected_status(row, persona)
    if isinstance(row[1], Post) and user is not None and response.status_code == 302:
        # A page's write and its refusal both redirect: the message says which it was.
        levels = {m.level_tag for m in get_messages(response.wsgi_request)}
        assert ("error" in levels) == (persona not in row[2]), levels
    if (
        url.startswith("/api/v1/incidents/")
        and not isinstance(row[1], Post)
        and expected_status(row, persona) == 200
    ):
        # The browsable API renders the same endpoints as HTML, forms and all.
        assert client.get(url, HTTP_ACCEPT="text/html").status_code == 200


def url_patterns(
    patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str]]:
    """(route, name) of every pattern, through includes; routes join as ``ResolverMatch.route``."""
    for pattern in patterns:
        route = str(pattern.pattern)
        route = prefix + route.removeprefix("^") if prefix else route
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern.url_patterns, route, inner)
        else:
            yield route, f"{namespace}{pattern.name or pattern.lookup_str}"


def needs_no_row(route: str) -> bool:
    """Patterns the matrix need not list.

    The admin site is Django's: its index, its user and unit pages and the token page it must
    not offer are rows above, and it answers only to staff. Static files are not the register's
    to scope (only in development are they served by a URL pattern at all). DRF's format-suffix
    twins (``/api/v1/incidents.json``, ``/api/v1/.json``) are generated from the very view of a
    route that has a row, with its permissions and queryset; only the renderer differs.
    """
    return (
        route.startswith("admin/")
        or route.startswith(settings.STATIC_URL.lstrip("/"))
        or "(?P<format>" in route
        or "<drf_format_suffix:format>" in route
    )


def test_every_url_pattern_has_a_row_in_the_matrix(world: World) -> None:
    add_evidence(world)
    add_action(world)
    covered = set()
    for row in MATRIX:
        try:
            covered.add(resolve(unquote(urlsplit(row_url(row, world)).path)).route)
        except Resolver404:  # the malformed references: no pattern answers them at all
            continue
    missing = [
        f"{route or '(the root)'} [{name}]"
        for route, name in url_patterns(get_resolver().url_patterns)
        if route not in covered and not needs_no_row(route)
    ]
    assert not missing, "URL patterns with no row in MATRIX:\n" + "\n".join(missing)


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


# --- Side doors (issue 11, finding 8): what each persona learns through "my actions", the
# reminders, the reporter's API view and the details page. Everyone owns one overdue action on
# incident A and one on the restricted incident R.
# persona → (sees A's action title, sees A's reference, sees R's action at all)
MY_ACTIONS = {
    "reporter": (True, True, False),
    "reporter2": (True, False, False),
    "officer_a": (True, True, False),
    "officer_b": (True, False, False),
    "cpo": (True, True, True),
    "executive": (True, False, False),
    "admin": (True, False, False),
    "named": (True, False, True),
}


def _owned_actions(world: World) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from breaches.models import Action

    due = timezone.localdate() - timedelta(days=1)
    for persona in PERSONAS:
        for incident, title in ((world.incident_a, "A-task"), (world.restricted, "R-task")):
            Action.objects.create(
                incident=incident, title=f"{title} for {persona}", owner=world.persona(persona),
                due_date=due, description=f"{title} secret detail", created_by=world.cpo,
            )  # fmt: skip


@pytest.mark.parametrize("persona", PERSONAS)
def test_my_actions_matrix(world: World, persona: str) -> None:
    from rest_framework.test import APIClient

    _owned_actions(world)
    sees_a, sees_a_ref, sees_r = MY_ACTIONS[persona]
    page = Client()
    page.force_login(world.persona(persona))
    html = page.get("/incidents/actions/mine/").content.decode()
    api = APIClient()
    api.force_authenticate(world.persona(persona))
    rows = api.get("/api/v1/actions/mine/").json()["results"]
    titles = {row["title"] for row in rows}
    assert (f"A-task for {persona}" in html) == sees_a == (f"A-task for {persona}" in titles)
    assert (world.incident_a.reference in html) == sees_a_ref
    assert "secret detail" not in html  # the page lists titles; details are on the incident
    assert (f"R-task for {persona}" in html) == sees_r == (f"R-task for {persona}" in titles)
    assert (world.restricted.reference in html) == sees_r
    # Only their own actions, never someone else's.
    assert all(row["title"].endswith(f"for {persona}") for row in rows)
    described = {row["title"] for row in rows if row["description"]}
    assert (f"A-task for {persona}" in described) == sees_a_ref
    api_refs = {row["incident"] for row in rows}
    assert (world.incident_a.reference in api_refs) == sees_a_ref
    assert (world.restricted.reference in api_refs) == sees_r


def test_reminders_recipients_matrix(world: World) -> None:
    from django.core import mail

    from breaches.response.actions import send_action_reminders

    _owned_actions(world)
    mail.outbox.clear()
    send_action_reminders()
    for persona, (sees_a, sees_a_ref, sees_r) in MY_ACTIONS.items():
        to_them = [m for m in mail.outbox if world.persona(persona).email in m.to]
        bodies = " ".join(m.subject + m.body for m in to_them)
        assert (f"A-task for {persona}" in bodies) == sees_a, persona
        assert (world.incident_a.reference in bodies) == sees_a_ref, persona
        assert (f"R-task for {persona}" in bodies) == sees_r, persona
        assert (world.restricted.reference in bodies) == sees_r, persona
        assert "secret detail" not in bodies or sees_a_ref or sees_r, persona


# The incident's own API view, for those who see incident A: the triage figures only for those
# who handle it (the reporter's API view equals the reporter's page).
API_FIELDS = {"reporter": False, "officer_a": True, "cpo": True}


@pytest.mark.parametrize(("persona", "handles"), API_FIELDS.items())
def test_reporter_api_fields_matrix(world: World, persona: str, handles: bool) -> None:
    from rest_framework.test import APIClient

    from breaches.api.incidents import HANDLERS_ONLY

    api = APIClient()
    api.force_authenticate(world.persona(persona))
    detail = api.get(f"/api/v1/incidents/{world.incident_a.reference}/").json()
    listed = api.get("/api/v1/incidents/").json()["results"][0]
    for shown in (detail, listed):
        assert all((name in shown) == handles for name in HANDLERS_ONLY), (persona, shown)


@pytest.mark.parametrize("persona", PERSONAS)
def test_details_page_access_event_matrix(world: World, persona: str) -> None:
    from accounts.models import AccessEvent

    client = Client()
    client.force_login(world.persona(persona))
    before = AccessEvent.objects.filter(incident=world.incident_a).count()
    response = client.get(f"/incidents/{world.incident_a.reference}/details/")
    events = AccessEvent.objects.filter(incident=world.incident_a).order_by("-id")
    if persona in A_SCOPE:
        assert response.status_code == 200
        latest = events.first()
        assert latest is not None and latest.user == world.persona(persona)
        assert latest.detail == {"page": "details"} and events.count() == before + 1
    else:
        assert response.status_code == 404 and events.count() == before


# Who reads the confidential reporter's name (page "Reported by", API "reporter"), and who sees
# the report at all: its reporter and the CPO read the name, its unit's officer the label.
CONFIDENTIAL_NAME = {"reporter": True, "officer_a": False, "cpo": True}


@pytest.mark.parametrize("persona", PERSONAS)
def test_confidential_reporter_matrix(world: World, persona: str) -> None:
    from rest_framework.test import APIClient

    incident = add_confidential_reports(world).confidential
    assert incident is not None
    page = Client()
    page.force_login(world.persona(persona))
    api = APIClient()
    api.force_authenticate(world.persona(persona))
    html = page.get(incident.get_absolute_url())
    detail = api.get(f"/api/v1/incidents/{incident.reference}/")
    if persona not in CONFIDENTIAL_NAME:
        assert (html.status_code, detail.status_code) == (404, 404)
        return
    named = CONFIDENTIAL_NAME[persona]
    shown = str(world.reporter) if named else "Confidential reporter"
    assert f"<dt>Reported by</dt><dd>{shown}</dd>" in html.content.decode()
    assert detail.json()["reporter"] == (world.reporter.username if named else shown)
    # The register's reporter-free search: a username finds nothing for anyone.
    if persona in OFFICERS:
        found = page.get("/incidents/", {"q": world.reporter.username}).content.decode()
        assert incident.reference not in found
