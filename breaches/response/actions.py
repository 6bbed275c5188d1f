"""Remediation and prevention actions: owners, due dates, reminders (SPEC §2, §4.3)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from breaches.models import Action, Incident
from breaches.permissions import handles


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
