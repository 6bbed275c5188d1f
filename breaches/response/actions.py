"""Remediation and prevention actions: owners, due dates, reminders (SPEC §2, §4.3)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.history import stamp_history
from accounts.models import User
from breaches.models import Action, Incident
from breaches.permissions import lock_for_write


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
        locked = lock_for_write(incident, actor=actor)
        action = Action(
            incident=locked,
            kind=kind,
            title=title.strip(),
            description=description.strip(),
            owner=owner,
            due_date=due_date,
            created_by=actor,
        )
        stamp_history(action, user=actor)
        action.save()
    return action


def action_set_status(*, action: Action, actor: User, status: str) -> Action:
    """The owner marks their action done; the incident's officers may also cancel or reopen."""
    with transaction.atomic():
        # The action is locked and the rule re-checked on the row as it is now: the owner may
        # only mark their own open action done; any other change is the incident's officers'.
        locked = (
            Action.objects.select_for_update(of=("self",))
            .select_related("incident__business_unit")
            .get(pk=action.pk)
        )
        owner_done = (
            locked.owner_id == actor.pk
            and status == Action.Status.DONE
            and locked.status == Action.Status.OPEN
        )
        if not owner_done:
            lock_for_write(
                locked.incident,
                actor=actor,
                refusal="Only the action's owner or the incident's officers can do this.",
            )
        locked.status = status
        locked.completed_at = timezone.now() if status == Action.Status.DONE else None
        stamp_history(locked, user=actor)
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
