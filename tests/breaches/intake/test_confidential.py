"""Confidential reports: the reporter's identity never reaches an officer through any door
(issue 17 items 1 and 5; SPEC §2 "Confidential report").

A confidential report by a reporter with a name and username found nowhere else is commented on
and given evidence by them, then every page, API response, export, PDF and e-mail an officer (an
executive, an administrator) can reach is fetched and searched for them. The chief privacy
officer and the reporter themself do see the name.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse, StreamingHttpResponse
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from accounts.models import User
from breaches.intake import confidentiality
from breaches.intake.confidentiality import may_see_reporter, reporter_label
from breaches.intake.services import attachment_add, comment_add, incident_create
from breaches.models import Comment, Incident
from breaches.timeline import incident_timeline
from breaches.triage.engine import parse_facts
from breaches.triage.reminders import send_deadline_reminders
from breaches.triage.services import assessment_create, decision_record
from tests.breaches.intake.test_uploads import PDF
from tests.breaches.triage.engine.test_facts import VALID
from tests.conftest import World
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FIRST, LAST, USERNAME = "Zephyrine", "Quillback", "zq-reporter-7"
# Every way the reporter could be named: first and last name, username, e-mail address.
SECRETS = (FIRST, LAST, USERNAME, "zq.reporter7")


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [s for s in SECRETS if s.lower() in lowered]


def body(response: HttpResponse | StreamingHttpResponse) -> str:
    if isinstance(response, StreamingHttpResponse):
        raw = b"".join(
            part if isinstance(part, bytes) else str(part).encode()
            for part in response.streaming_content
        )
    else:
        raw = response.content
    if response.get("Content-Type", "").startswith("application/pdf"):
        reader = PdfReader(io.BytesIO(raw))
        return "\n".join(page.extract_text() for page in reader.pages)
    return raw.decode("utf-8", errors="replace")


@pytest.fixture
def zephyrine(world: World) -> User:
    return UserFactory(
        username=USERNAME,
        first_name=FIRST,
        last_name=LAST,
        email="zq.reporter7@agency.example",
        business_unit=world.site_a1,
    )


@pytest.fixture
def confidential(
    world: World, zephyrine: User, django_capture_on_commit_callbacks: Any
) -> Iterator[Incident]:
    """A confidential breach in site A1 (officer_a's), with the reporter's comment and evidence,
    an assessment and a decision (so the drafts exist), and the officers' alert sent."""
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_create(
            reporter=zephyrine,
            kind=Incident.Kind.BREACH,
            summary="Case notes e-mailed to the wrong caregiver",
            aware_at=timezone.now() - timedelta(hours=70),
            channel=Incident.Channel.EMAIL,
            business_unit=world.site_a1,
            reporting=Incident.Reporting.CONFIDENTIAL,
            discovered_by=Incident.Discovery.SELF_REPORTED,
        )
    comment_add(
        incident=incident,
        author=zephyrine,
        body="I noticed it straight away.",
        visibility=Comment.Visibility.SHARED,
    )
    attachment_add(
        incident=incident,
        uploaded_by=zephyrine,
        upload=SimpleUploadedFile("sent.pdf", PDF, "application/pdf"),
    )
    # The reporter reads their own report (an access event naming them, for the access log).
    own = Client()
    own.force_login(zephyrine)
    assert own.get(incident.get_absolute_url()).status_code == 200
    facts = parse_facts({**VALID, "aware_at": incident.aware_at.isoformat()})
    assessment = assessment_create(incident=incident, facts=facts, actor=world.officer_a)
    decision_record(
        incident=incident, assessment=assessment, actor=world.officer_a,
        notify_regulator="yes", notify_individuals="yes", rationale="",
    )  # fmt: skip
    incident.refresh_from_db()
    yield incident


def pages(reference: str) -> list[str]:
    """Every page an officer may open that concerns the incident (or lists it)."""
    return [
        f"/incidents/{reference}/",
        f"/incidents/{reference}/triage/",
        f"/incidents/{reference}/details/",
        f"/incidents/{reference}/access-log/",
        f"/incidents/{reference}/notices/",
        f"/incidents/{reference}/notification-content/",
        f"/incidents/{reference}/drafts/commissioner.pdf",
        f"/incidents/{reference}/drafts/letter.pdf",
        "/incidents/",
        f"/incidents/?q={reference}",
        "/incidents/home/",
        "/incidents/actions/mine/",
        "/incidents/export.csv",
    ]


# Searching the register for the reporter finds nothing (the search box shows what was typed).
SEARCHES = [
    *(f"/incidents/?q={term}" for term in (USERNAME, FIRST, LAST)),
    *(f"/incidents/export.csv?q={term}" for term in (USERNAME, FIRST)),
    *(f"/api/v1/incidents/?q={term}" for term in (USERNAME, FIRST)),
]


def api_urls(reference: str) -> list[str]:
    """Every API resource of the incident (breaches/api/urls.py) and the lists holding it."""
    incident = f"/api/v1/incidents/{reference}/"
    return [
        "/api/v1/incidents/",
        incident,
        incident + "comments/",
        incident + "attachments/",
        incident + "notifications/",
        incident + "actions/",
        incident + "access-log/",
        incident + "restriction/",
        "/api/v1/actions/mine/",
    ]


def fetch_everything(user: User, reference: str) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    api = APIClient()
    api.force_authenticate(user)
    seen: dict[str, str] = {}
    for url in pages(reference):
        response = client.get(url)
        assert response.status_code < 500, url
        seen[url] = body(response)
    for url in api_urls(reference):
        response = api.get(url)
        assert response.status_code < 500, url
        seen[url] = body(response)
    for url in SEARCHES:
        response = (api if url.startswith("/api/") else client).get(url)
        assert response.status_code < 500, url
        text = body(response)
        assert reference not in text, url
        seen[url] = text.replace(url.partition("?q=")[2], "")
    return seen


def test_no_door_names_a_confidential_reporter_to_an_officer(
    world: World, confidential: Incident
) -> None:
    reference = confidential.reference
    seen = fetch_everything(world.officer_a, reference)
    # The officer did reach the incident through these doors (not a vacuous pass).
    assert reference in seen[f"/incidents/{reference}/"]
    assert "Confidential reporter" in seen[f"/incidents/{reference}/"]
    assert "I noticed it straight away." in seen[f"/incidents/{reference}/"]
    assert "sent.pdf" in seen[f"/incidents/{reference}/"]
    assert reference in seen["/incidents/export.csv"]
    assert reference in seen["/api/v1/incidents/"]
    assert '"reporter":"Confidential reporter"' in seen[f"/api/v1/incidents/{reference}/"]
    assert '"author":"Confidential reporter"' in seen[f"/api/v1/incidents/{reference}/comments/"]
    assert "Confidential reporter" in seen[f"/incidents/{reference}/access-log/"]
    assert "Confidential reporter" in seen[f"/api/v1/incidents/{reference}/access-log/"]
    assert "%PDF" not in seen[f"/incidents/{reference}/drafts/letter.pdf"]  # read as text
    found = {url: leaks(text) for url, text in seen.items() if leaks(text)}
    assert found == {}


@pytest.mark.parametrize("persona", ["officer_b", "executive", "admin", "reporter", "named"])
def test_nobody_else_learns_the_reporter_either(
    world: World, confidential: Incident, persona: str
) -> None:
    seen = fetch_everything(world.persona(persona), confidential.reference)  # type: ignore[arg-type]
    found = {url: leaks(text) for url, text in seen.items() if leaks(text)}
    assert found == {}


def test_the_chief_privacy_officer_sees_who_reported_it(
    world: World, confidential: Incident
) -> None:
    reference = confidential.reference
    seen = fetch_everything(world.cpo, reference)
    page = seen[f"/incidents/{reference}/"]
    assert f"<dd>{FIRST} {LAST}</dd>" in page or f"<dd>{USERNAME}</dd>" in page
    assert "Confidential reporter" not in page
    assert f'"reporter":"{USERNAME}"' in seen[f"/api/v1/incidents/{reference}/"]
    assert f'"author":"{USERNAME}"' in seen[f"/api/v1/incidents/{reference}/comments/"]
    assert leaks(seen[f"/incidents/{reference}/access-log/"])


def test_the_reporter_follows_it_under_my_reports_and_sees_themself(
    zephyrine: User, confidential: Incident
) -> None:
    client = Client()
    client.force_login(zephyrine)
    mine = client.get("/incidents/mine/")
    assert confidential.reference in mine.content.decode()
    page = client.get(confidential.get_absolute_url()).content.decode()
    assert "Confidential reporter" not in page
    assert leaks(page)
    api = APIClient()
    api.force_authenticate(zephyrine)
    detail = api.get(f"/api/v1/incidents/{confidential.reference}/").json()
    assert detail["reporter"] == USERNAME and detail["reporting"] == "confidential"


def test_the_e_mails_to_officers_never_name_the_reporter(
    world: World, confidential: Incident
) -> None:
    alerts = list(mail.outbox)  # the new-report alert, sent when the report committed
    assert alerts and any(world.officer_a.email in m.to for m in alerts)
    mail.outbox.clear()
    # A day before the deadline and after it: the reminders go out.
    assert send_deadline_reminders(now=confidential.regulator_deadline - timedelta(hours=1))
    assert send_deadline_reminders(now=confidential.regulator_deadline + timedelta(hours=1))
    reminders = list(mail.outbox)
    assert len(reminders) == 2
    for message in [*alerts, *reminders]:
        text = f"{message.subject}\n{message.body}\n{message.to}\n{message.cc}"
        assert leaks(text) == [], message.subject


def test_the_timeline_hides_the_reporter_without_a_viewer_and_from_officers(
    world: World, zephyrine: User, confidential: Incident
) -> None:
    by_reporter = [
        e for e in incident_timeline(confidential, include_internal=True) if e.by_reporter
    ]
    # Reported it, commented, attached evidence: all theirs, none named.
    assert len(by_reporter) == 3
    assert {e.actor for e in by_reporter} == {"Confidential reporter"}
    seen = incident_timeline(confidential, include_internal=True, viewer=world.officer_a)
    assert not any(leaks(e.actor) for e in seen)
    for viewer in (world.cpo, zephyrine):
        named = incident_timeline(confidential, include_internal=True, viewer=viewer)
        assert {e.actor for e in named if e.by_reporter} == {str(zephyrine)}


def test_the_rule_in_one_place(world: World, zephyrine: User) -> None:
    incident = Incident(reporter=zephyrine, reporting=Incident.Reporting.CONFIDENTIAL)
    assert [may_see_reporter(incident, u) for u in (world.cpo, zephyrine)] == [True, True]
    for other in (world.officer_a, world.executive, world.admin, world.reporter, None):
        assert not may_see_reporter(incident, other)
        assert reporter_label(incident, other) == "Confidential reporter"
    incident.reporting = Incident.Reporting.NAMED
    assert reporter_label(incident, world.officer_a) == str(zephyrine)
    incident.reporting = Incident.Reporting.ANONYMOUS
    # The anonymous account is not the sender: nobody, the CPO included, reads a name.
    for anyone in (world.cpo, zephyrine, world.officer_a):
        assert reporter_label(incident, anyone) == "Anonymous"
    world.cpo.is_active = False
    incident.reporting = Incident.Reporting.CONFIDENTIAL
    assert not confidentiality.may_see_reporter(incident, world.cpo)


def test_the_action_owner_list_does_not_single_out_the_reporter(
    world: World, confidential: Incident
) -> None:
    client = Client()
    client.force_login(world.officer_a)
    html = client.get(confidential.get_absolute_url()).content.decode()
    picker = re.search(r'<select name="owner".*?</select>', html, flags=re.S)
    assert picker is not None
    assert leaks(picker.group(0)) == []
