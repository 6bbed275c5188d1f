"""Celery entry points for incidents: thin, explicitly named, ids in, a service call out.

Services queue these by name (``config.celery.enqueue_on_commit``), never by importing this
module, so nothing here is imported back.
"""

from __future__ import annotations

import smtplib
from datetime import timedelta

from celery import Task, shared_task
from django.conf import settings

from breaches.intake.alerts import alert_pending_reports, officers_alert_new_report
from breaches.response.actions import send_action_reminders as action_reminders
from breaches.triage.reminders import send_deadline_reminders as deadline_reminders

NOTIFY_OFFICERS = "breaches.tasks.notify_officers_of_new_report"


@shared_task(name=NOTIFY_OFFICERS, bind=True, max_retries=5, default_retry_delay=30, acks_late=True)
def notify_officers_of_new_report(self: Task, incident_id: int) -> int:
    """E-mail the officers of a new report once (see ``officers_alert_new_report``)."""
    try:
        return officers_alert_new_report(incident_id=incident_id)
    except (OSError, smtplib.SMTPException) as exc:
        # The mail server is unreachable: the claim rolled back, so a retry sends again.
        raise self.retry(exc=exc) from exc


@shared_task(name="breaches.tasks.send_deadline_reminders", acks_late=True)
def send_deadline_reminders() -> int:
    """Remind officers of regulator deadlines (run by beat; sends each reminder once)."""
    return deadline_reminders()


@shared_task(name="breaches.tasks.send_action_reminders", acks_late=True)
def send_action_reminders() -> int:
    """Remind owners of actions that fell due (run by beat; each reminder sent once)."""
    return action_reminders()


@shared_task(name="breaches.tasks.send_pending_alerts", acks_late=True)
def send_pending_alerts(older_than_seconds: int | None = None) -> int:
    """The outbox sweep for officers' alerts (run by beat): see ``alert_pending_reports``."""
    grace = settings.OUTBOX_GRACE_SECONDS if older_than_seconds is None else older_than_seconds
    return alert_pending_reports(older_than=timedelta(seconds=grace))
