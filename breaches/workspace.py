"""The officer's workspace services: notifications, actions, restriction (SPEC §2, §3)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from breaches.models import Action, Incident, Notification
from breaches.permissions import handles
from breaches.validation import in_future, too_early


def _locked_for(incident: Incident, actor: User) -> Incident:
    """The incident, locked, after re-checking inside the transaction that actor handles it."""
    locked = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("business_unit")
        .get(pk=incident.pk)
    )
    if not handles(actor, locked):
        raise PermissionDenied("Only the incident's privacy officers can do this.")
    return locked


def notification_record(
    *,
    incident: Incident,
    actor: User,
    recipient: str,
    method: str,
    notified_at: datetime | None,
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
        locked = _locked_for(incident, actor)
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
            locked._history_user = actor  # type: ignore[attr-defined]
            locked._change_reason = "notification recorded"  # type: ignore[attr-defined]
            locked.save()
    return notification


def notified_on_time(incident: Incident) -> bool | None:
    """Was the regulator notified by the deadline? None when not applicable or not yet."""
    if incident.regulator_notified_at is None or incident.regulator_deadline is None:
        return None
    return incident.regulator_notified_at <= incident.regulator_deadline


def action_create(
    *,
    incident: Incident,
    actor: User,
    title: str,
    owner: User,
    due_date: date,
    kind: str = Action.Kind.REMEDIATION,
    description: str = "",
) -> Action:
    if not title.strip():
        raise ValidationError({"title": "Say what needs doing."})
    if not (date(2000, 1, 1) <= due_date <= date(2100, 1, 1)):
        raise ValidationError({"due_date": "That date cannot be right: check the year."})
    if not owner.is_active:
        raise ValidationError({"owner": "Choose someone who still works here."})
    with transaction.atomic():
        locked = _locked_for(incident, actor)
        action = Action(
            incident=locked,
            kind=kind,
            title=title.strip(),
            description=description.strip(),
            owner=owner,
            due_date=due_date,
            created_by=actor,
        )
        action._history_user = actor  # type: ignore[attr-defined]
        action.save()
    return action


def action_set_status(*, action: Action, actor: User, status: str) -> Action:
    """The owner marks their action done; the incident's officers may also cancel or reopen."""
    incident = action.incident
    is_handler = handles(actor, incident)
    owner_done = (
        action.owner_id == actor.pk
        and status == Action.Status.DONE
        and action.status == Action.Status.OPEN
    )
    if not (is_handler or owner_done):
        raise PermissionDenied("Only the action's owner or the incident's officers can do this.")
    with transaction.atomic():
        locked = Action.objects.select_for_update().get(pk=action.pk)
        locked.status = status
        locked.completed_at = timezone.now() if status == Action.Status.DONE else None
        locked._history_user = actor  # type: ignore[attr-defined]
        locked.save()
    return locked


def send_action_reminders(today: date | None = None) -> int:
    """E-mail each owner once when their open action falls due. Safe to run any number of times."""
    today = today or timezone.localdate()
    sent = 0
    due = Action.objects.filter(
        status=Action.Status.OPEN, due_date__lte=today, reminded_at__isnull=True
    ).select_related("owner", "incident")
    for action in due:
        with transaction.atomic():
            # Claim it: a concurrent or repeated run finds nothing left to claim.
            claimed = Action.objects.filter(pk=action.pk, reminded_at__isnull=True).update(
                reminded_at=timezone.now()
            )
            if not claimed or not action.owner.email:
                continue
            link = settings.SITE_URL.rstrip("/") + reverse("breaches:my-actions")
            send_mail(
                subject=f"Action due: {action.title} ({action.incident.reference})",
                message=f'Your action "{action.title}" was due on {action.due_date:%d %b %Y}.\n'
                f"See your actions: {link}\n",
                from_email=None,
                recipient_list=[action.owner.email],
            )
            sent += 1
    return sent


def incident_restrict(
    *, incident: Incident, actor: User, people: Iterable[User], reason: str
) -> Incident:
    """Restrict an incident to named people (the CPO sees it anyway), with a reason."""
    if not actor.is_chief_privacy_officer:
        raise PermissionDenied("Only the chief privacy officer restricts incidents.")
    named = list(people)
    errors = {}
    if any(p.role in {User.Role.EXECUTIVE, User.Role.ADMINISTRATOR} for p in named):
        errors["people"] = "Executives and administrators do not see incident details (SPEC §3)."
    if not reason.strip():
        errors["reason"] = "Say why the incident is restricted."
    if not named:
        errors["people"] = "Name at least one person who may still see it."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Incident.objects.select_for_update(of=("self",)).get(pk=incident.pk)
        locked._history_user = actor  # type: ignore[attr-defined]
        locked._change_reason = f"restricted: {reason.strip()}"[:100]  # type: ignore[attr-defined]
        locked.is_restricted = True
        locked.save()
        locked.restricted_to.set(named)
    return locked


def incident_unrestrict(*, incident: Incident, actor: User, reason: str) -> Incident:
    if not actor.is_chief_privacy_officer:
        raise PermissionDenied("Only the chief privacy officer lifts a restriction.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the restriction is lifted."})
    with transaction.atomic():
        locked = Incident.objects.select_for_update(of=("self",)).get(pk=incident.pk)
        locked._history_user = actor  # type: ignore[attr-defined]
        locked._change_reason = f"restriction lifted: {reason.strip()}"[:100]  # type: ignore[attr-defined]
        locked.is_restricted = False
        locked.save()
    return locked
