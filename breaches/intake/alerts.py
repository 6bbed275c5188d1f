"""Telling the privacy officers that a new report has arrived, once."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from breaches.models import Incident
from breaches.selectors import cpo_emails, handling_officers
from breaches.triage.clock import clock_purpose

logger = logging.getLogger(__name__)


def officers_alert_new_report(*, incident_id: int) -> int:
    """E-mail the privacy officers of a new report's unit subtree, once; return how many.

    The row is claimed with a conditional UPDATE, so a duplicated or retried delivery sends
    nothing twice; if sending fails the claim rolls back, so a retry sends again. The e-mail
    names the reference, unit and regulator deadline only: the content stays in the register,
    behind its access log.
    """
    with transaction.atomic():
        claimed = Incident.objects.filter(pk=incident_id, officers_notified_at__isnull=True).update(
            officers_notified_at=timezone.now()
        )
        if not claimed:
            return 0
        incident = Incident.objects.select_related("business_unit").get(pk=incident_id)
        # Restricted meanwhile (the alert waited for the broker): only those named hear of it.
        # A report restricted on arrival names its reporter (an officer may report too): they
        # are not who must hear of it, the CPO is.
        recipients = [
            o.email
            for o in handling_officers(incident)
            if o.email and not (incident.is_restricted and o.pk == incident.reporter_id)
        ]
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
                f"{clock_lines(incident)}\n"
                f"Open it in the register: {link}\n"
            ),
            from_email=None,
            recipient_list=recipients,
        )
    return len(recipients)


def local_time(moment: datetime) -> str:
    """``Thursday 5 March 2026, 09:30 NZDT``: the organisation's time zone, named."""
    return date_format(
        timezone.localtime(moment, timezone.get_default_timezone()), "l j F Y, H:i T"
    )


def clock_lines(incident: Incident) -> str:
    """When the regulator clock started and when it runs out (SPEC §4.3), in local time.

    The clock starts at awareness, before anyone has triaged the report: the officers learn the
    deadline from the first e-mail, not from the reminder 24 hours before it.
    """
    aware = local_time(incident.aware_at)
    if incident.kind != Incident.Kind.BREACH:
        return (
            f"The agency became aware: {aware}.\n"
            "A near miss is never notifiable, so no regulator clock runs. If triage finds it is "
            "a breach, the clock runs from that moment of awareness.\n"
        )
    # Set at intake from the moment of awareness; worked out the same way if it is missing.
    deadline = incident.regulator_deadline or incident.provisional_deadline()
    assert deadline is not None  # a breach always has one
    overdue = " (already passed)" if deadline <= timezone.now() else ""
    return (
        f"The regulator clock started when the agency became aware: {aware}.\n"
        f"Deadline {clock_purpose(incident)}: {local_time(deadline)}{overdue}.\n"
    )


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
