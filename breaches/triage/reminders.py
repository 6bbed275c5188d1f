"""Deadline reminders to the incident's officers, each sent once (SPEC §4.3)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import organisation
from breaches.models import DeadlineReminder, Incident
from breaches.selectors import cpo_emails, handling_officers
from breaches.triage.clock import clock_purpose


def send_deadline_reminders(now: datetime | None = None) -> int:
    """E-mail each incident's officers once per reminder point and once when missed.

    Safe to run as often as the scheduler likes: a reminder row is claimed (unique key) in
    the same transaction as the e-mail is sent, so each is sent exactly once.
    """
    now = now or timezone.now()
    values = organisation.current()
    horizon = now + timedelta(hours=values.reminder_horizon_hours)
    candidates = (
        Incident.objects.clock_running()
        .open()
        .filter(regulator_deadline__lte=horizon)
        .select_related("business_unit")
    )
    sent = 0
    for incident in candidates:
        assert incident.regulator_deadline is not None
        due: list[tuple[str, int]] = [
            (DeadlineReminder.Kind.APPROACHING, hours)
            for hours in values.reminder_hours
            if incident.regulator_deadline - timedelta(hours=hours)
            <= now
            < incident.regulator_deadline
        ]
        if incident.regulator_deadline <= now:
            due = [(DeadlineReminder.Kind.MISSED, 0)]
        for kind, hours in due:
            sent += _send_once(incident, kind=kind, hours=hours, now=now)
    return sent


def _send_once(incident: Incident, *, kind: str, hours: int, now: datetime) -> int:
    # A report restricted on arrival names its reporter so that they can follow it: they are
    # not among those reminded of the deadline.
    officers = [
        o
        for o in handling_officers(incident)
        if not (incident.is_restricted and o.pk == incident.reporter_id)
    ]
    recipients = [o.email for o in officers if o.email] + cpo_emails()
    recipients = sorted(set(recipients))
    assert incident.regulator_deadline is not None
    deadline_text = timezone.localtime(incident.regulator_deadline).strftime("%a %d %b %Y %H:%M")
    link = settings.SITE_URL.rstrip("/") + reverse(
        "breaches:triage", kwargs={"reference": incident.reference}
    )
    if kind == DeadlineReminder.Kind.MISSED:
        subject = f"MISSED: notification deadline for {incident.reference} passed ({deadline_text})"
        body = "The deadline to notify the regulator has passed and no notification is recorded."
    else:
        left = max(0, int((incident.regulator_deadline - now).total_seconds() // 3600))
        subject = f"{left} hours left {clock_purpose(incident)} for {incident.reference}"
        body = f"The deadline to notify the regulator is {deadline_text}."
    try:
        with transaction.atomic():
            DeadlineReminder.objects.create(
                incident=incident,
                kind=kind,
                hours_before=hours,
                deadline=incident.regulator_deadline,
                sent_at=now,
                recipients=recipients,
            )
            if recipients:
                send_mail(
                    subject=subject,
                    message=f"{body}\n\nIncident: {incident.reference} ({incident.business_unit})"
                    f"\nOpen it: {link}\n",
                    from_email=None,
                    recipient_list=recipients,
                )
    except IntegrityError:
        return 0  # already sent by an earlier (or concurrent) run
    return 1
