"""The officers' new-report e-mail says when the regulator clock runs out, in NZ time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from breaches.intake.alerts import officers_alert_new_report
from breaches.models import Incident
from tests.breaches.intake.test_pages import form_data
from tests.conftest import World
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

AUCKLAND = ZoneInfo("Pacific/Auckland")


def nz(moment: datetime) -> str:
    """The e-mail's way of writing a time, worked out here independently."""
    local = moment.astimezone(AUCKLAND)
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} {local.tzname()}"


def alert_for(**fields: Any) -> str:
    incident = IncidentFactory(**fields)
    mail.outbox.clear()
    assert officers_alert_new_report(incident_id=incident.pk) == 1
    [message] = mail.outbox
    assert incident.reference in message.body
    return message.body


def test_a_reported_breach_tells_the_officers_its_deadline(
    world: World, client: Client, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(world.reporter)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/incidents/new/", form_data(world))
    incident = Incident.objects.get(summary__startswith="Letter about a family group conference")
    [message] = mail.outbox
    assert message.to == [world.officer_a.email]
    deadline = incident.aware_at + timedelta(hours=72)
    assert incident.regulator_deadline == deadline
    assert f"Deadline to notify the regulator: {nz(deadline)}." in message.body
    assert f"became aware: {nz(incident.aware_at)}." in message.body
    # Still no content: the summary and description stay in the register.
    assert "family group conference" not in message.body
    assert "Found out when the family rang" not in message.body


def test_the_deadline_is_written_in_new_zealand_time_whatever_the_server(world: World) -> None:
    # 20:30:15 UTC on 1 March 2030 is 09:30 on Saturday 2 March in Auckland (daylight time).
    aware = datetime(2030, 3, 1, 20, 30, 15, tzinfo=UTC)
    body = alert_for(
        reporter=world.reporter,
        business_unit=world.site_a1,
        aware_at=aware,
        regulator_deadline=aware + timedelta(hours=72),
    )
    assert (
        "The regulator clock started when the agency became aware: "
        "Saturday 2 March 2030, 09:30 NZDT.\n"
        "Deadline to notify the regulator: Tuesday 5 March 2030, 09:30 NZDT.\n"
    ) in body


def test_a_breach_whose_deadline_has_passed_says_so(world: World) -> None:
    aware = timezone.now() - timedelta(days=5)
    body = alert_for(
        reporter=world.reporter,
        business_unit=world.site_a1,
        aware_at=aware,
        regulator_deadline=aware + timedelta(hours=72),
    )
    deadline = nz(aware + timedelta(hours=72))
    assert f"Deadline to notify the regulator: {deadline} (already passed)." in body


def test_a_breach_that_arrives_without_a_deadline_gets_the_one_from_awareness(
    world: World, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.TRIAGE_NZ_TARGET_HOURS = 48
    aware = datetime(2030, 6, 1, 0, 0, tzinfo=UTC)  # 12:00 NZST
    body = alert_for(
        reporter=world.reporter,
        business_unit=world.site_a1,
        aware_at=aware,
        regulator_deadline=None,
    )
    assert "became aware: Saturday 1 June 2030, 12:00 NZST." in body
    assert "Deadline to notify the regulator: Monday 3 June 2030, 12:00 NZST." in body


def test_an_australian_breach_has_thirty_days_to_finish_assessing(world: World) -> None:
    aware = datetime(2030, 6, 1, 0, 0, tzinfo=UTC)
    body = alert_for(
        reporter=world.reporter,
        business_unit=world.site_a1,
        aware_at=aware,
        jurisdiction=Incident.Jurisdiction.AU,
        regulator_deadline=aware + timedelta(days=30),
    )
    assert (
        "Deadline to finish assessing the breach (AU s26WH): Monday 1 July 2030, 12:00 NZST."
    ) in body


def test_a_near_miss_says_no_clock_runs_and_when_it_would_have_started(world: World) -> None:
    aware = datetime(2030, 6, 1, 0, 0, tzinfo=UTC)
    body = alert_for(
        reporter=world.reporter,
        business_unit=world.site_a1,
        kind=Incident.Kind.NEAR_MISS,
        aware_at=aware,
    )
    assert "The agency became aware: Saturday 1 June 2030, 12:00 NZST." in body
    assert "A near miss is never notifiable, so no regulator clock runs." in body
    assert "Deadline" not in body
