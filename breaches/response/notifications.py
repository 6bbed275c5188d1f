"""Recording notifications to the regulator and to affected people (SPEC §2, §4.3, §4.4).

A notification to the regulator may be given in stages (SPEC §4.4; GDPR Art. 33(4), and the NZ
Act lets information be given incrementally): one initial notification, then updates, then at
most one final one. The clock stops at the initial notification, and only the initial one is
on time or late; updates and the final one are dated after it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.history import stamp_history
from accounts.models import User
from breaches.intake.validation import in_future, too_early
from breaches.models import Incident, Notification, NotificationContent
from breaches.permissions import lock_for_write

Stage = Notification.Stage

# What the drafts need that the report does not hold (breaches.triage.completeness reads it).
CONTENT_FIELDS = (
    "contact_point",
    "likely_consequences",
    "measures_taken",
    "advice_to_individuals",
    "other_agencies",
)
CONTENT_MAX = 5000

STAGE_ONLY_FOR_REGULATOR = "Stages are for notifications to the regulator only: leave it empty."
STAGE_NOT_FOR_NOT_NOTIFIED = (
    "A stage is for a notification made: leave it empty when recording why it was not."
)
STAGE_NEEDED = "Say which stage this is: initial, update or final."


def stage_problem(*, recipient: str, method: str, stage: str) -> str | None:
    """What is wrong with ``stage`` given for this recipient and method."""
    if not stage:
        return None
    if stage not in Stage.values:
        return "Choose initial, update or final."
    if recipient != Notification.Recipient.REGULATOR:
        return STAGE_ONLY_FOR_REGULATOR
    if method == Notification.Method.NOT_NOTIFIED:
        return STAGE_NOT_FOR_NOT_NOTIFIED
    return None


def stage_required(*, recipient: str, method: str) -> bool:
    """A stage belongs to every notification made to the regulator, and to nothing else."""
    return (
        recipient == Notification.Recipient.REGULATOR and method != Notification.Method.NOT_NOTIFIED
    )


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%d %b %Y %H:%M}"


def _stages_so_far(locked: Incident) -> list[tuple[str, datetime | None]]:
    """(stage, when) of the regulator notifications made so far, in the order recorded. One
    recorded before stages existed (no stage) counts as the initial one."""
    rows = (
        Notification.objects.filter(incident=locked, recipient=Notification.Recipient.REGULATOR)
        .exclude(method=Notification.Method.NOT_NOTIFIED)
        .order_by("recorded_at", "id")
        .values_list("stage", "notified_at")
    )
    return [(stage or Stage.INITIAL, at) for stage, at in rows]


def _stage_error(
    earlier: list[tuple[str, datetime | None]], stage: str, notified_at: datetime | None
) -> tuple[str, str] | None:
    """(field, message) when ``stage`` cannot follow the regulator stages already recorded."""
    initial = next(((s, at) for s, at in earlier if s == Stage.INITIAL), None)
    if any(s == Stage.FINAL for s, _ in earlier):
        return "stage", "The final notification is already recorded: no stage follows it."
    if not stage:
        return "stage", STAGE_NEEDED
    if stage == Stage.INITIAL and initial is not None:
        told = f" ({_when(initial[1])})" if initial[1] else ""
        return (
            "stage",
            f"The initial notification is already recorded{told}: record an update or the "
            "final one.",
        )
    if stage != Stage.INITIAL and initial is None:
        return (
            "stage",
            "Record the initial notification first: updates and the final one follow it.",
        )
    if initial is not None and initial[1] and notified_at and notified_at < initial[1]:
        return (
            "notified_at",
            f"That is before the initial notification ({_when(initial[1])}): check the date.",
        )
    return None


def notification_record(
    *,
    incident: Incident,
    actor: User,
    recipient: str,
    method: str,
    notified_at: datetime | None = None,
    reference_number: str = "",
    reason: str = "",
    stage: str | None = None,
) -> Notification:
    """Record a notification, or the reason for not notifying (or delaying). Append-only.

    ``stage``: for a notification made to the regulator. Left empty (or not given), it is the
    initial one when none is recorded yet; after that it must be said (update or final), and an
    empty one is refused beside the field.
    """
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
    staged = stage_required(recipient=recipient, method=method)
    problem = stage_problem(recipient=recipient, method=method, stage=stage or "")
    if problem:
        errors["stage"] = problem
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = lock_for_write(incident, actor=actor)
        if staged:
            earlier = _stages_so_far(locked)
            if not stage and not earlier:
                stage = Stage.INITIAL  # the first one (see above)
            wrong = _stage_error(earlier, stage or "", notified_at)
            if wrong:
                raise ValidationError({wrong[0]: wrong[1]})
        on_time = None
        if staged and stage == Stage.INITIAL and notified_at and locked.regulator_deadline:
            # The clock stops at the first notification: only the initial one is judged.
            on_time = notified_at <= locked.regulator_deadline
        notification = Notification.objects.create(
            incident=locked,
            recipient=recipient,
            method=method,
            stage=(stage or "") if staged else "",
            notified_at=notified_at,
            reference_number=reference_number.strip(),
            reason=reason.strip(),
            on_time=on_time,
            recorded_by=actor,
        )
        if staged and stage == Stage.INITIAL and notified_at:
            locked.regulator_notified_at = notified_at  # the clock stops
            stamp_history(locked, user=actor, reason="notification recorded")
            locked.save()
    return notification


def notification_content_save(
    *, incident: Incident, actor: User, **fields: str
) -> NotificationContent:
    """Write what the drafts need that the report does not hold (``NotificationContent``),
    under the incident's lock, with a history row crediting ``actor``. Fields not given keep
    their value; each given one is stored stripped."""
    unknown = set(fields) - set(CONTENT_FIELDS)
    if unknown:
        raise TypeError(f"Not notification content: {', '.join(sorted(unknown))}")
    errors = {
        name: "Keep it under 5,000 characters."
        for name, value in fields.items()
        if len(value or "") > CONTENT_MAX
    }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = lock_for_write(incident, actor=actor)
        content = NotificationContent.objects.filter(incident=locked).first()
        if content is None:
            content = NotificationContent(incident=locked)
        for name, value in fields.items():
            setattr(content, name, (value or "").strip())
        stamp_history(content, user=actor, reason="notification content written")
        content.save()
    return content
