"""Telling the privacy officers that a new report has arrived, once."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from breaches.models import Incident
from breaches.selectors import cpo_emails, handling_officers

logger = logging.getLogger(__name__)


def officers_alert_new_report(*, incident_id: int) -> int:
    """E-mail the privacy officers of a new report's unit subtree, once; return how many.

    The row is claimed with a conditional UPDATE, so a duplicated or retried delivery sends
    nothing twice; if sending fails the claim rolls back, so a retry sends again. The e-mail
    names the reference and unit only: the content stays in the register, behind its access log.
    """
    with transaction.atomic():
        claimed = Incident.objects.filter(pk=incident_id, officers_notified_at__isnull=True).update(
            officers_notified_at=timezone.now()
        )
        if not claimed:
            return 0
        incident = Incident.objects.select_related("business_unit").get(pk=incident_id)
        # Restricted meanwhile (the alert waited for the broker): only those named hear of it.
        recipients = [o.email for o in handling_officers(incident) if o.email]
        if not recipients:
            # No officer covers this unit: the chief privacy officer hears instead of nobody.
            recipients = cpo_emails()
        if not recipients:
            return 0
        kind = incident.get_kind_display().lower()
        link = settings.SITE_URL.rstrip("/") + reverse(
            "breaches:incident-detail", kwargs={"reference": incident.reference}
        )
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


def alert_pending_reports(*, older_than: timedelta, within: timedelta = timedelta(days=7)) -> int:
    """The outbox sweep: alert the officers of every recent report whose alert never went out
    (its task could not reach the broker). Each is claimed, so nothing is sent twice; one that
    fails is left for the next sweep and the rest still go."""
    now = timezone.now()
    pending = Incident.objects.filter(
        officers_notified_at__isnull=True,
        reported_at__lte=now - older_than,
        reported_at__gte=now - within,
    ).values_list("pk", flat=True)
    sent = 0
    for incident_id in pending:
        try:
            sent += 1 if officers_alert_new_report(incident_id=incident_id) else 0
        except Exception:  # one that cannot be sent now must not stop the others
            logger.exception(
                "incident %s: officers' alert failed; the next sweep retries", incident_id
            )
    return sent
