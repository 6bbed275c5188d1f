"""Background jobs about incidents. Tasks take ids, never objects."""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from breaches.models import Incident
from breaches.selectors import cpo_emails, officers_for_incident


@shared_task(bind=True, max_retries=5, default_retry_delay=30, acks_late=True)
def notify_officers_of_new_report(self, incident_id: int) -> int:  # type: ignore[no-untyped-def]
    """E-mail the privacy officers of a new report's unit subtree, once.

    The row is claimed with a conditional UPDATE, so a duplicated or retried delivery sends
    nothing twice. The e-mail names the reference and unit only: the content stays in the
    register, behind its access log.
    """
    try:
        return _notify_officers(incident_id)
    except (OSError, smtplib.SMTPException) as exc:
        # The mail server is unreachable: the claim rolled back, so a retry sends again.
        raise self.retry(exc=exc) from exc


def _notify_officers(incident_id: int) -> int:
    with transaction.atomic():
        claimed = Incident.objects.filter(pk=incident_id, officers_notified_at__isnull=True).update(
            officers_notified_at=timezone.now()
        )
        if not claimed:
            return 0
        incident = Incident.objects.select_related("business_unit").get(pk=incident_id)
        recipients = [o.email for o in officers_for_incident(incident) if o.email]
        if not recipients:
            # No officer covers this unit: the chief privacy officer hears instead of nobody.
            recipients = cpo_emails()
        if not recipients:
            return 0
        kind = incident.get_kind_display().lower()
        link = settings.SITE_URL.rstrip("/") + reverse(
            "breaches:incident-detail", kwargs={"reference": incident.reference}
        )
        # Sent inside the transaction: if sending fails, the claim rolls back.
        send_mail(
            subject=f"New {kind} reported: {incident.reference} ({incident.business_unit})",
            message=(
                f"A new {kind} has been reported in {incident.business_unit}.\n\n"
                f"Reference: {incident.reference}\n"
                f"Open it in the register: {link}\n"
            ),
            from_email=None,
            recipient_list=recipients,
        )
    return len(recipients)


@shared_task(acks_late=True)
def send_deadline_reminders() -> int:
    """Remind officers of regulator deadlines (run by beat; sends each reminder once)."""
    from breaches.triage.reminders import send_deadline_reminders as send

    return send()


@shared_task(acks_late=True)
def send_action_reminders() -> int:
    """Remind owners of actions that fell due (run by beat; each reminder sent once)."""
    from breaches.response.actions import send_action_reminders as send

    return send()
