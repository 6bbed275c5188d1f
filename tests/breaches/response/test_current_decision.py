"""Issue 13: the incident page says the decision in force near its top ("Decision: Notifiable —
signed by …, 3 Mar 2026 14:05", or "No decision yet"), to those who may see triage results:
the incident's officers and the CPO. Its reporter sees no triage figures there, as before."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from breaches.models import Incident
from breaches.triage.engine import parse_facts
from breaches.triage.services import assessment_create, decision_record
from tests.breaches.triage.engine.test_facts import VALID
from tests.conftest import World
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def page_of(user: User, incident: Incident) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(incident.get_absolute_url())
    assert response.status_code == 200
    return unescape(response.content.decode())


def decision_line(page: str) -> str | None:
    found = re.search(r'<p class="current-decision"[^>]*>(.*?)</p>', page, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else None


def decide(world: World, regulator: str, individuals: str, actor: User) -> None:
    incident = Incident.objects.get(pk=world.incident_a.pk)
    assessment = assessment_create(incident=incident, facts=parse_facts(VALID), actor=actor)
    decision_record(
        incident=incident, assessment=assessment, actor=actor, notify_regulator=regulator,
        notify_individuals=individuals, rationale="Recovered unread within the hour.",
    )  # fmt: skip


def test_officers_see_no_decision_yet(world: World) -> None:
    for officer in (world.officer_a, world.cpo):
        assert decision_line(page_of(officer, world.incident_a)) == "Decision: No decision yet"


def test_officers_see_the_decision_in_force_who_signed_it_and_when(world: World) -> None:
    decide(world, "yes", "yes", world.officer_a)
    line = decision_line(page_of(world.officer_a, world.incident_a))
    signed = timezone.localtime(world.incident_a.decisions.get().decided_at)
    assert line == (
        "Decision: Notifiable (individuals: notify affected individuals) — signed by "
        f"{world.officer_a}, {signed.day} {signed:%b %Y %H:%M}"
    )
    # A later decision supersedes it: the line follows the one in force.
    decide(world, "no", "no", world.cpo)
    line = decision_line(page_of(world.officer_a, world.incident_a))
    assert line is not None
    assert line.startswith("Decision: Not notifiable (individuals: do not notify individuals)")
    assert f"signed by {world.cpo}," in line


def test_a_near_miss_needs_no_decision(world: World) -> None:
    Incident.objects.filter(pk=world.incident_a.pk).update(kind=Incident.Kind.NEAR_MISS)
    line = decision_line(page_of(world.officer_a, world.incident_a))
    assert line == "Decision: none needed: a near miss is never notifiable"


def test_the_reporter_sees_no_triage_result_on_the_page(world: World) -> None:
    """SPEC §3: the reporter follows their report without the officers' triage; the page
    showed them no decision or severity before, and the line changes nothing of that."""
    assert decision_line(page_of(world.reporter, world.incident_a)) is None
    decide(world, "yes", "yes", world.officer_a)
    page = page_of(world.reporter, world.incident_a)
    assert decision_line(page) is None
    assert "Notifiable" not in page and "signed by" not in page and "Severity" not in page
    assert decision_line(page_of(world.officer_a, world.incident_a)) is not None


def test_an_officer_following_their_own_report_elsewhere_sees_it_as_a_reporter(
    world: World,
) -> None:
    """Reporting an incident outside one's units does not make one its handler."""
    own = IncidentFactory(reporter=world.officer_a, business_unit=world.site_b1, summary="Mine")
    assert decision_line(page_of(world.officer_a, own)) is None
    assert decision_line(page_of(world.officer_b, own)) == "Decision: No decision yet"
