"""Recording notifications to the regulator and to affected people (SPEC §2, §4.3)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.history import stamp_history
from accounts.models import User
from breaches.intake.validation import in_future, too_early
from breaches.models import Incident, Notification
from breaches.permissions import lock_for_write


def notification_record(
    *,
    incident: Incident,
    actor: User,
    recipient: str,
    method: str,
    notified_at: datetime | None = None,
    reference_number: str = "",
    reason: str = "",
) -> Notification:
    """Record a notification, or the reason for not notifying (or delaying). Append-only."""
    errors: dict[str, str] = {}
    not_notified = method == Notification.Method.NOT_NOTIFIED
    if not_notified:
        if not reason.strip():
            errors["reason"] = "Say why they were not notified (or why it is delayed)."
        notified_at = None
    elif notified_at is None:
        errors["notified_at"] = "Say when they were notified."
    elif in_future(notified_at) or too_early(notified_at):
        errors["notified_at"] = "That date cannot be right: check it."
    elif notified_at < incident.aware_at - timedelta(days=1):
        errors["notified_at"] = "That is before the agency became aware of the breach."
    if incident.kind == Incident.Kind.NEAR_MISS and not not_notified:
        errors["method"] = "A near miss is never notifiable."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = lock_for_write(incident, actor=actor)
        on_time = None
        if (
            recipient == Notification.Recipient.REGULATOR
            and notified_at
            and locked.regulator_deadline
        ):
            on_time = notified_at <= locked.regulator_deadline
        notification = Notification.objects.create(
            incident=locked,
            recipient=recipient,
            method=method,
            notified_at=notified_at,
            reference_number=reference_number.strip(),
            reason=reason.strip(),
            on_time=on_time,
            recorded_by=actor,
        )
        if recipient == Notification.Recipient.REGULATOR and notified_at:
            first = locked.regulator_notified_at
            if first is None or notified_at < first:
                locked.regulator_notified_at = notified_at  # the clock stops
            stamp_history(locked, user=actor, reason="notification recorded")
            locked.save()
    return notification
