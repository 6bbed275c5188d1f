"""Nothing typed is lost (issue 11, finding 1): every officer form, posted after the session
expired, keeps what was typed for its owner; after signing in the person lands on the same form
with it filled in (never a 405), and nobody else gets it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from breaches.models import (
    Action,
    Decision,
    Incident,
    IndividualNotice,
    Notification,
    NotificationContent,
)
from breaches.triage.engine import parse_facts
from breaches.triage.services import assessment_create
from config import kept_input
from reporting.models import QuarterlyReport
from tests.breaches.triage.engine.test_facts import VALID
from tests.conftest import World
from tests.test_page_form_fuzz import NO_ACCOUNT, PAGES, RIGHTFUL

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Case:
    name: str
    who: str  # the World attribute of the person typing
    path: str  # where the form posts; {ref} is incident_a's reference
    back: str  # where signing in leads back to
    data: dict[str, Any]
    shown: tuple[str, ...]  # what the page shows of the typed input afterwards
    nothing_done: Callable[[World], bool]


def _no_assessment_beyond_the_first(world: World) -> bool:
    return world.incident_a.assessments.count() == 1


CASES = [
    Case(
        "notification", "officer_a", "/incidents/{ref}/notifications/",
        "/incidents/{ref}/?restore=1#notifications-heading",
        {"recipient": "regulator", "method": "email", "reference_number": "OPC-77",
         "reason": "Sent by the CPO's office"},
        ('value="OPC-77"', "Sent by the CPO&#x27;s office</textarea>", 'id="notify_recipient_0" required checked'),
        lambda w: not Notification.objects.exists(),
    ),
    Case(
        "action", "officer_a", "/incidents/{ref}/actions/",
        "/incidents/{ref}/?restore=1#actions-heading",
        {"title": "Recall the letter", "kind": "remediation", "owner": "reporter",
         "due_date": "2027-01-15", "description": "Courier booked"},
        ('value="Recall the letter"', 'value="2027-01-15"', "Courier booked</textarea>",
         '<option value="reporter" selected>'),
        lambda w: not Action.objects.exists(),
    ),
    Case(
        "restriction", "cpo", "/incidents/{ref}/restriction/",
        "/incidents/{ref}/?restore=1#restriction-heading",
        {"people": ["{named}"], "reason": "A colleague's own conduct"},
        ("A colleague&#x27;s own conduct</textarea>", 'value="{named}" id="restrict_people_1" checked'),
        lambda w: not Incident.objects.get(pk=w.incident_a.pk).is_restricted,
    ),
    Case(
        "transition", "officer_a", "/incidents/{ref}/transition/",
        "/incidents/{ref}/?restore=1#workflow",
        {"to": "triage", "reason": ""},
        ("You were doing this when your session expired",),
        lambda w: Incident.objects.get(pk=w.incident_a.pk).status == w.incident_a.status,
    ),
    Case(
        "facts", "officer_a", "/incidents/{ref}/triage/",
        "/incidents/{ref}/triage/?restore=1#facts-heading",
        {"jurisdiction": "NZ", "individuals_affected": "4217", "recipient": "public",
         "security_measures": "none", "contained": "not", "action": "assess"},
        ('value="4217"', 'value="public"', "You have changed the facts without saving them"),
        _no_assessment_beyond_the_first,
    ),
    Case(
        "decision", "officer_a", "/incidents/{ref}/triage/decision/",
        "/incidents/{ref}/triage/?restore=1#decision",
        {"notify_regulator": "no", "notify_individuals": "no",
         "rationale": "Recovered unopened within the hour", "assessment": "{assessment}"},
        ("Recovered unopened within the hour</textarea>", 'value="no"'),
        lambda w: not Decision.objects.exists(),
    ),
    Case(
        "notification content", "officer_a", "/incidents/{ref}/notification-content/",
        "/incidents/{ref}/notification-content/?restore=1",
        {"contact_point": "The privacy team, 04 555 0100", "other_agencies": "Police, for safety"},
        ("The privacy team, 04 555 0100</textarea>", "Police, for safety</textarea>"),
        lambda w: not NotificationContent.objects.exists(),
    ),
    Case(
        "public notice", "officer_a", "/incidents/{ref}/notices/public/",
        "/incidents/{ref}/notices/?restore=1#public-heading",
        {"public_reason": "Former clients who cannot be reached"},
        ("Former clients who cannot be reached</textarea>",),
        lambda w: not IndividualNotice.objects.exists(),
    ),
    Case(
        "report request", "executive", "/reports/", "/reports/?restore=1",
        {"quarter": "{quarter}"},
        ('value="{quarter}" selected',),
        lambda w: not QuarterlyReport.objects.exists(),
    ),
    Case(
        "report: who may know", "reporter", "/incidents/new/", "/incidents/new/?restore=1",
        {"kind": "breach", "summary": "Fax sent to the wrong office", "channel": "email",
         "aware_at": "2026-03-02T09:30", "reporting": "confidential", "about_colleague": "on",
         "discovered_by": "colleague"},
        ('value="Fax sent to the wrong office"', 'value="confidential" id="id_reporting_1" checked',
         'id="id_about_colleague" checked', '<option value="colleague" selected>'),
        lambda w: not Incident.objects.filter(summary="Fax sent to the wrong office").exists(),
    ),
]  # fmt: skip


def _fill(text: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


@pytest.fixture
def values(world: World) -> dict[str, str]:
    """What the cases' placeholders stand for in this world (incident_a assessed once)."""
    facts = parse_facts({**VALID, "aware_at": (timezone.now() - timedelta(hours=3)).isoformat()})
    assessment = assessment_create(incident=world.incident_a, facts=facts, actor=world.officer_a)
    from reporting.figures import Quarter

    return {
        "ref": world.incident_a.reference,
        "named": str(world.named.pk),
        "assessment": str(assessment.pk),
        "quarter": Quarter.containing(timezone.localdate()).previous().previous().code,
    }


def _post_expired(case: Case, owner: User, values: dict[str, str]) -> tuple[Client, Any]:
    client = Client()  # the session has expired: the request is anonymous
    data: dict[str, Any] = {
        k: ([_fill(x, values) for x in v] if isinstance(v, list) else _fill(v, values))
        for k, v in case.data.items()
    }
    data["draft_owner"] = kept_input.owner_token(owner.pk)
    return client, client.post(_fill(case.path, values), data)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_an_expired_session_keeps_the_form_for_its_owner(
    world: World, values: dict[str, str], case: Case
) -> None:
    owner: User = getattr(world, case.who)
    client, response = _post_expired(case, owner, values)
    back = _fill(case.back, values)
    assert response.status_code == 302, "never a 405 or an error page"
    assert response["Location"].startswith("/login/?next=")
    assert case.nothing_done(world)

    client.force_login(owner)  # signing in keeps the anonymous session's data
    page = client.get(back)
    assert page.status_code == 200
    html = page.content.decode()
    for shown in case.shown:
        assert _fill(shown, values) in html, shown
    assert case.nothing_done(world)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_someone_else_signing_in_gets_nothing(
    world: World, values: dict[str, str], case: Case
) -> None:
    owner: User = getattr(world, case.who)
    client, _ = _post_expired(case, owner, values)
    intruder = world.cpo if owner != world.cpo else world.officer_a
    client.force_login(intruder)
    html = client.get(_fill(case.back, values)).content.decode()
    assert not any(_fill(shown, values) in html for shown in case.shown[:1])


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_stale_tab_keeps_the_form_the_same_way(
    world: World, values: dict[str, str], case: Case
) -> None:
    owner: User = getattr(world, case.who)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    data: dict[str, Any] = {
        k: ([_fill(x, values) for x in v] if isinstance(v, list) else _fill(v, values))
        for k, v in case.data.items()
    }
    data["draft_owner"] = kept_input.owner_token(owner.pk)
    response = client.post(_fill(case.path, values), data)
    assert response.status_code == 403
    html = response.content.decode()
    assert "has been kept for you" in html
    assert _fill(case.back, values).replace("&", "&amp;") in html
    html = client.get(_fill(case.back, values)).content.decode()
    assert all(_fill(shown, values) in html for shown in case.shown)


# Signing in and the second factor: passwords and one-time codes are never kept, and after
# signing in again the step starts afresh (these pages answer 200 or send the person on).
CREDENTIAL_FORMS = {"account_reauthenticate"} | {n for n in PAGES if n.startswith("mfa_")}
# Forms of one disposal run: they lead back to the run's page.
OF_A_RUN = {"governance:run-approve", "governance:run-cancel"}


@pytest.mark.parametrize(
    "name",
    sorted(
        n for n, (method, *_) in PAGES.items()
        if method == "POST" and n not in {"login", "account_login", *NO_ACCOUNT}
    ),
)  # fmt: skip
def test_every_form_posted_after_expiry_leads_back_to_a_page_never_a_405(
    world: World, values: dict[str, str], name: str
) -> None:
    """Signing in again after any form was refused for an expired session lands on a page that
    shows (a GET answers 200), never on the POST-only address the form was sent to."""
    action = Action.objects.create(
        incident=world.incident_a, title="Recall", owner=world.officer_a,
        due_date=timezone.localdate(), created_by=world.cpo,
    )  # fmt: skip
    _, path, _ = PAGES[name]
    path = path.replace("{ref}", values["ref"]).replace("{pk}", str(action.pk))
    client = Client()
    response = client.post(path, {"draft_owner": kept_input.owner_token(world.officer_a.pk)})
    if name in CREDENTIAL_FORMS:
        assert response.status_code == 302 and response["Location"].startswith("/login/")
        back = unquote(response["Location"].partition("next=")[2]) or "/login/"
        client.force_login(world.officer_a)
        assert client.get(back).status_code in {200, 302, 404}, back  # never a 405 or a 500
        return
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    back = unquote(response["Location"].split("next=", 1)[1])
    client.force_login(getattr(world, RIGHTFUL.get(name, "officer_a")))
    if name in OF_A_RUN:
        # Back to the run's own page; the action's id names no run here (404, never a 405).
        assert client.get(back).status_code in {200, 404}, back
        assert back.startswith("/governance/disposal/"), back
        return
    assert client.get(back).status_code == 200, back
