"""The merged timeline: every source, oldest first, in a fixed number of queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from breaches.models import (
    Action,
    Assessment,
    Attachment,
    Comment,
    Decision,
    Incident,
    IncidentBreachType,
    Notification,
)
from breaches.timeline import PROVIDERS, incident_timeline
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _attach(incident: Incident, world: World, name: str, **kwargs: object) -> Attachment:
    # The timeline reads only the row, so no file is stored.
    return Attachment.objects.create(
        incident=incident,
        file=f"attachments/{name}",
        original_name=name,
        content_type="application/pdf",
        size=9,
        sha256="0" * 64,
        uploaded_by=world.reporter,
        **kwargs,
    )


def test_sources_are_merged_oldest_first_and_ties_keep_the_providers_order(world: World) -> None:
    incident = world.incident_a
    start = incident.history.get().history_date

    def at(minutes: int) -> datetime:
        return start + timedelta(minutes=minutes)

    Action.objects.create(
        incident=incident,
        title="Recall the letter",
        owner=world.officer_a,
        due_date=date(2030, 1, 2),
        created_by=world.officer_a,
        created_at=at(1),
    )
    Comment.objects.create(incident=incident, author=world.reporter, body="A", created_at=at(2))
    incident._history_user = world.officer_a  # type: ignore[attr-defined]
    incident._history_date = at(3)  # type: ignore[attr-defined]
    incident.status = Incident.Status.TRIAGE
    incident.save()
    Assessment.objects.create(
        incident=incident,
        facts={},
        result={},
        rule_set="nz-2020.1",
        jurisdiction=Incident.Jurisdiction.NZ,
        severity="low",
        notify_regulator="no",
        notify_individuals="no",
        regulator_deadline=at(60),
        created_by=world.officer_a,
        created_at=at(4),
    )
    _attach(incident, world, "letter.pdf", uploaded_at=at(5))
    # Two entries at the same instant: comments come before notifications.
    Notification.objects.create(
        incident=incident,
        recipient=Notification.Recipient.REGULATOR,
        method=Notification.Method.NOT_NOTIFIED,
        reason="Not notifiable",
        recorded_by=world.officer_a,
        recorded_at=at(6),
    )
    Comment.objects.create(incident=incident, author=world.reporter, body="B", created_at=at(6))

    handler = incident_timeline(incident, include_internal=True)
    assert [(e.verb, e.text) for e in handler] == [
        ("reported this incident", ""),
        ("added an action", f"Recall the letter — {world.officer_a}, due 02 Jan 2030"),
        ("commented", "A"),
        ("changed", ""),
        ("assessed notifiability", "Low; regulator no, individuals no (nz-2020.1)"),
        ("attached evidence", "letter.pdf"),
        ("commented", "B"),
        ("recorded a notification", "The regulator: "
         "Not notified (reason recorded)\nNot notifiable"),
    ]  # fmt: skip
    assert [e.at for e in handler] == sorted(e.at for e in handler)
    reporter = incident_timeline(incident, include_internal=False)
    assert [e.verb for e in reporter] == [
        "reported this incident",
        "commented",
        "changed",
        "attached evidence",
        "commented",
    ]


def _add_history(world: World, incident: Incident, round_: int) -> None:
    """One more of everything the timeline reads, including a change of unit."""
    incident = Incident.objects.get(pk=incident.pk)
    incident._history_user = world.officer_a  # type: ignore[attr-defined]
    incident.summary = f"Edit {round_}"
    incident.save()
    incident.business_unit = world.site_b1 if round_ % 2 else world.site_a1
    incident.is_restricted = not incident.is_restricted
    incident.save()
    kind = list(IncidentBreachType.Type)[round_ % len(IncidentBreachType.Type)]
    IncidentBreachType.objects.filter(incident=incident).delete()
    IncidentBreachType.objects.create(incident=incident, breach_type=kind)
    for visibility in Comment.Visibility:
        Comment.objects.create(incident=incident, author=world.officer_a, body="x", visibility=visibility)  # fmt: skip
    _attach(incident, world, f"{round_}.pdf")
    assessment = Assessment.objects.create(
        incident=incident,
        facts={},
        result={},
        rule_set="nz-2020.1",
        jurisdiction=Incident.Jurisdiction.NZ,
        severity="low",
        notify_regulator="no",
        notify_individuals="no",
        regulator_deadline=timezone.now(),
        created_by=world.officer_a,
    )
    Decision.objects.create(
        incident=incident,
        assessment=assessment,
        notify_regulator=Decision.Regulator.DO_NOT_NOTIFY,
        notify_individuals=Decision.Individuals.DO_NOT_NOTIFY,
        decided_by=world.officer_a,
        supersedes=Decision.objects.filter(incident=incident).last(),
    )
    Notification.objects.create(
        incident=incident,
        recipient=Notification.Recipient.REGULATOR,
        method=Notification.Method.EMAIL,
        notified_at=timezone.now(),
        recorded_by=world.officer_a,
    )
    Action.objects.create(
        incident=incident,
        title=f"Action {round_}",
        owner=world.named,
        due_date=date(2030, 1, 2),
        created_by=world.officer_a,
    )


@pytest.mark.parametrize("internal", [False, True], ids=["reporter", "handler"])
def test_the_number_of_queries_does_not_grow_with_history(world: World, internal: bool) -> None:
    def measure() -> tuple[int, int]:
        incident = Incident.objects.get(pk=world.incident_a.pk)
        with CaptureQueriesContext(connection) as ctx:
            entries = incident_timeline(incident, include_internal=internal)
        return len(ctx.captured_queries), len(entries)

    _add_history(world, world.incident_a, 1)
    few, short = measure()
    for round_ in range(2, 6):
        _add_history(world, world.incident_a, round_)
    many, long = measure()
    assert long > short
    assert many == few
    # One query per source, and one for the reporter of a report saved without a session.
    assert few <= len(PROVIDERS) + 1
