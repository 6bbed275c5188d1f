"""Retention and disposal fixtures: rules in force, incidents closed long ago (their history says
when), and personal content in every place an incident keeps it, marked with a name that must
not survive disposal anywhere in the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from accounts.history import stamp_history
from accounts.models import AccessEvent, User
from breaches.models import (
    Action,
    AffectedIndividual,
    Assessment,
    Attachment,
    Comment,
    Decision,
    Incident,
    IncidentBreachType,
    IncidentInformationCategory,
    Notification,
)
from governance.models import RetentionRule
from tests.conftest import World
from tests.factories import IncidentFactory

# Personal content: the names of people a record is about.
SECRET = "Aroha Whetu-Kingi"
HELD_SECRET = "Mereana Tapsell-Ngata"
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def years_ago(years: float, *, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=round(365.25 * years))


@pytest.fixture
def private_storage(tmp_path: Path) -> Iterator[Path]:
    """Evidence stored under a temporary directory, as in production (private, no URL)."""
    stores = {
        "default": {
            "BACKEND": "config.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=stores):
        yield tmp_path


def rule_in_force(
    *, kind: str, notifiable: bool, years: int, proposer: User, approver: User
) -> RetentionRule:
    return RetentionRule.objects.create(
        kind=kind, notifiable=notifiable, years=years, authority="DA 1234, class 2.1",
        reason="The agency's disposal authority.", proposed_by=proposer, decided_by=approver,
        decided_at=timezone.now(), status=RetentionRule.Status.IN_FORCE,
    )  # fmt: skip


@pytest.fixture
def rules(world: World) -> dict[str, RetentionRule]:
    """Notifiable breaches kept 7 years after closure, other breaches 2, near misses 1."""
    made = {
        name: rule_in_force(
            kind=kind,
            notifiable=notifiable,
            years=years,
            proposer=world.admin,
            approver=world.cpo,
        )
        for name, kind, notifiable, years in [
            ("notifiable", Incident.Kind.BREACH, True, 7),
            ("not_notifiable", Incident.Kind.BREACH, False, 2),
            ("near_miss", Incident.Kind.NEAR_MISS, False, 1),
        ]
    }
    return made


def closed_incident(
    world: World,
    *,
    closed: datetime,
    kind: str = Incident.Kind.BREACH,
    decision: str = "yes",
    reported: datetime | None = None,
    reopened: datetime | None = None,
    closed_again: datetime | None = None,
    unit: object = None,
    secret: str = SECRET,
) -> Incident:
    """An incident reported a month before ``closed`` and closed then, as its history says
    (optionally reopened, and closed again, later)."""
    reported = reported or closed - timedelta(days=30)
    incident: Incident = IncidentFactory.build(
        reporter=world.reporter,
        business_unit=unit or world.site_a1,
        kind=kind,
        reported_at=reported,
        aware_at=reported - timedelta(hours=3),
        summary=f"Letter about {secret} sent to the wrong address",
        description=f"{secret}'s letter went to her former partner.",
        cause_detail=f"The file of {secret} was open on the screen.",
        containment_steps=f"Rang the recipient about {secret}'s letter.",
        channel=Incident.Channel.POST,
        cause_category=Incident.Cause.WRONG_RECIPIENT,
        individuals_affected=2,
        severity="high" if kind == Incident.Kind.BREACH else "",
        decision_notify_regulator=decision if kind == Incident.Kind.BREACH else "",
        regulator_deadline=reported + timedelta(hours=72) if kind == Incident.Kind.BREACH else None,
        regulator_notified_at=(
            reported + timedelta(hours=30)
            if kind == Incident.Kind.BREACH and decision == "yes"
            else None
        ),
        contained_at=reported + timedelta(hours=5),
    )
    _save_at(incident, reported, world.reporter, "")
    IncidentBreachType.objects.create(incident=incident, breach_type="unauthorised_disclosure")
    IncidentInformationCategory.objects.create(incident=incident, category="care_protection")
    incident.status = Incident.Status.CLOSED
    _save_at(incident, closed, world.officer_a, f"Closed after speaking to {secret}")
    if reopened:
        incident.status = Incident.Status.REOPENED
        _save_at(incident, reopened, world.officer_a, f"Reopened: {secret} rang again")
    if closed_again:
        incident.status = Incident.Status.CLOSED
        _save_at(incident, closed_again, world.officer_a, "Closed again")
    return incident


def _save_at(incident: Incident, moment: datetime, user: User, reason: str) -> None:
    incident._history_date = moment  # type: ignore[attr-defined]  # simple-history reads it
    stamp_history(incident, user=user, reason=reason)
    incident.save()


def add_personal_content(world: World, incident: Incident, secret: str = SECRET) -> Attachment:
    """Personal content in every child record, append-only ones included; returns the
    attachment (its file is in storage)."""
    officer = world.officer_a
    AffectedIndividual.objects.create(incident=incident, reference=f"CASE-{secret}", role="client")
    attachment = Attachment(
        incident=incident, original_name=f"{secret} letter.pdf", content_type="application/pdf",
        size=9, sha256="a" * 64, uploaded_by=world.reporter,
    )  # fmt: skip
    attachment.file.save("evidence.pdf", ContentFile(f"%PDF-1.4 {secret}".encode()), save=True)
    Comment.objects.create(incident=incident, author=officer, body=f"{secret} is safe now.")
    Action.objects.create(
        incident=incident, title=f"Visit {secret}", description=f"Check on {secret}.",
        owner=officer, due_date=date(2020, 1, 1), created_by=officer,
        status=Action.Status.DONE, completed_at=incident.reported_at + timedelta(days=3),
        carry_over_reason=f"{secret} moved",
    )  # fmt: skip
    Notification.objects.create(
        incident=incident, recipient="regulator", method="online_form",
        notified_at=incident.regulator_notified_at, reference_number="OPC-2020-1",
        reason=f"Delayed while {secret} was moved to safety.", on_time=True, recorded_by=officer,
    )  # fmt: skip
    assessment = Assessment.objects.create(
        incident=incident, facts={"kind": "breach"}, result={"severity": "high"},
        rule_set="nz-privacy-act-2020@1", jurisdiction="NZ", severity="high",
        notify_regulator="yes", notify_individuals="yes",
        regulator_deadline=incident.aware_at + timedelta(hours=72), created_by=officer,
    )  # fmt: skip
    Decision.objects.create(
        incident=incident, assessment=assessment, notify_regulator="yes",
        notify_individuals="delay", ground=f"s116: {secret} at risk",
        rationale=f"{secret}'s safety first.", decided_by=officer,
    )  # fmt: skip
    AccessEvent.objects.create(
        user=officer, action=AccessEvent.Action.DOWNLOAD, incident=incident,
        detail={"attachment": attachment.pk, "name": attachment.original_name},
    )  # fmt: skip
    return attachment


def tables_holding(text: str) -> set[str]:
    """Every table of the database with a row holding ``text`` in any column."""
    quote = connection.ops.quote_name
    found = set()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608
            if any(text in str(value) for row in cursor.fetchall() for value in row):
                found.add(table)
    return found
