"""Remediation and prevention actions: owners, due dates, reminders (SPEC §2, §4.3)."""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.history import stamp_history
from accounts.models import User
from breaches.intake.validation import one_line, single_line
from breaches.models import Action, Incident
from breaches.permissions import lock_for_write
from breaches.selectors import actions_owned_by

logger = logging.getLogger(__name__)


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
    try:
        single_line(title)
    except ValidationError as exc:
        raise ValidationError({"title": exc.messages}) from exc
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
    """E-mail each owner once when their open action falls due. Safe to run any number of times.

    One action that cannot be reminded (a mail server refusing it, say) records its error on
    the row and the run goes on to the next; it is tried again on the next run.
    """
    today = today or timezone.localdate()
    sent = 0
    due = Action.objects.filter(
        status=Action.Status.OPEN, due_date__lte=today, reminded_at__isnull=True
    ).select_related("owner", "incident")
    for action in due:
        try:
            sent += _remind_owner(action)
        except Exception as exc:
            logger.exception("action %s: reminder failed", action.pk)
            Action.objects.filter(pk=action.pk).update(reminder_error=repr(exc)[:500])
    return sent


def _remind_owner(action: Action) -> int:
    """Claim the action's reminder and e-mail its owner, in one transaction (a failed send
    releases the claim). The owner hears what they may see (SPEC §3): the action's own title
    and due date; the incident's reference only if they can see the incident; and nothing at
    all about a restricted incident they are not named on."""
    owner = action.owner
    # The same rule as the owner's "my actions" list: None when they may hear nothing of it.
    own = actions_owned_by(owner).filter(pk=action.pk).first()
    visible: bool | None = getattr(own, "incident_visible", None)
    with transaction.atomic():
        # Claim it: a concurrent or repeated run finds nothing left to claim.
        claimed = Action.objects.filter(pk=action.pk, reminded_at__isnull=True).update(
            reminded_at=timezone.now(), reminder_error=""
        )
        if not claimed or not owner.email or visible is None:
            return 0
        title = one_line(action.title)
        about = f" ({action.incident.reference})" if visible else ""
        link = settings.SITE_URL.rstrip("/") + reverse("breaches:my-actions")
        send_mail(
            subject=one_line(f"Action due: {title}{about}"),
            message=f'Your action "{title}" was due on {action.due_date:%d %b %Y}.\n'
            f"See your actions: {link}\n",
            from_email=None,
            recipient_list=[owner.email],
        )
    return 1
