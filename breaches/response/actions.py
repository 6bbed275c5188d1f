"""Remediation and prevention actions: owners, due dates, reminders, and what becomes of the
open ones when their incident is closed (SPEC §2, §4.3)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.history import stamp_history
from accounts.models import User
from breaches.intake.validation import one_line, single_line
from breaches.models import Action, Incident
from breaches.models.response import CARRIED_OVER_ON_CLOSING, DONE_ON_CLOSING
from breaches.permissions import lock_for_write
from breaches.selectors import actions_owned_by, officers_for_incident

logger = logging.getLogger(__name__)

PAST_DUE_DATE = "The due date cannot be in the past."
NOT_SEEING = "{owner} cannot see this incident: choose someone who can."
CARRY_OVER_REASON_LENGTH = 1000


def due_date_problem(due: date, *, was: date | None = None) -> str | None:
    """What is wrong with ``due`` as an action's due date, or None.

    Today (the organisation's local date) is fine; an earlier day is not. Only a date being set
    is checked: ``was`` is the action's date as stored, which may have passed since and is
    never a reason to refuse a change to anything else.
    """
    if was is not None and due == was:
        return None
    if not (date(2000, 1, 1) <= due <= date(2100, 1, 1)):
        return "That date cannot be right: check the year."
    if due < timezone.localdate():
        return PAST_DUE_DATE
    return None


def owner_candidates(incident: Incident) -> QuerySet[User]:
    """The people who can see ``incident``, and so may own its actions: one query.

    The same people ``Incident.objects.visible_to(person)`` shows it to (SPEC §3), read from
    the incident's side: the chief privacy officers; if it is restricted, the people named on
    it and nobody else; otherwise its reporter and the officers whose assigned units cover its
    unit (``officers_for_incident``). Executives and administrators appear only where that rule
    admits them (their own report). A confidential or anonymous report's reporter is never
    offered: an action in their name would name them. A test holds this to ``visible_to`` for
    every persona, and
    :func:`action_create` checks the chosen owner with ``visible_to`` itself.
    """
    sees = Q(role=User.Role.CHIEF_PRIVACY_OFFICER)
    if incident.is_restricted:
        sees |= Q(pk__in=incident.restricted_to.values("pk"))
    else:
        sees |= Q(pk=incident.reporter_id)
        sees |= Q(pk__in=officers_for_incident(incident).order_by().values("pk"))
    hidden = Q()
    if incident.reporting != Incident.Reporting.NAMED:
        # Giving a confidential reporter an action would name them to whoever reads it.
        hidden = Q(pk=incident.reporter_id)
    return (
        User.objects.filter(sees, is_active=True)
        .exclude(hidden)
        .select_related("business_unit")
        .order_by("business_unit__path", "last_name", "first_name", "username")
    )


def sees_incident(person: User, incident: Incident) -> bool:
    """May ``person`` see ``incident``? (``visible_to``, for one person and one incident.)"""
    return Incident.objects.visible_to(person).filter(pk=incident.pk).exists()


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
    """Add an action to the incident (its officers). The owner must be able to see the
    incident, and the due date may not have passed."""
    if not title.strip():
        raise ValidationError({"title": "Say what needs doing."})
    try:
        single_line(title)
    except ValidationError as exc:
        raise ValidationError({"title": exc.messages}) from exc
    problem = due_date_problem(due_date)
    if problem:
        raise ValidationError({"due_date": problem})
    if not owner.is_active:
        raise ValidationError({"owner": "Choose someone who still works here."})
    with transaction.atomic():
        locked = lock_for_write(incident, actor=actor)
        # Checked on the locked row: a restriction made meanwhile counts.
        if not sees_incident(owner, locked):
            raise ValidationError({"owner": NOT_SEEING.format(owner=owner)})
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
    """The owner marks their action done; the incident's officers may also cancel or reopen.

    The due date is not checked: an overdue action is marked done or reopened as it is.
    """
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


# --- closing an incident that has open actions ------------------------------------------------


class ClosingOutcome(models.TextChoices):
    """What closing the incident does with one of its open actions."""

    DONE = "done", "Mark it done"
    CARRIED_OVER = "carried_over", "Carry it over (it stays open, owned and due as it is)"


@dataclass(frozen=True)
class ClosingAnswer:
    """The closing officer's answer for one open action: done, or carried over with a reason."""

    action_id: int
    outcome: str
    reason: str = ""


def closing_problems(
    open_actions: Iterable[Action], answers: Mapping[int, ClosingAnswer]
) -> dict[int, dict[str, str]]:
    """Per open action (by id), what is missing from its answer: ``{"outcome": …}`` when there
    is no answer (or not a known one), ``{"reason": …}`` when it is carried over without one.

    The one rule, used by the page's form (each error beside its row) and by the service.
    """
    problems: dict[int, dict[str, str]] = {}
    for action in open_actions:
        answer = answers.get(action.pk)
        title = one_line(action.title)
        if answer is None or answer.outcome not in ClosingOutcome.values:
            problems[action.pk] = {
                "outcome": f"Say whether “{title}” is done or carried over.",
            }
        elif answer.outcome == ClosingOutcome.CARRIED_OVER and not answer.reason.strip():
            problems[action.pk] = {"reason": f"Say why “{title}” is carried over."}
        elif len(answer.reason) > CARRY_OVER_REASON_LENGTH:
            problems[action.pk] = {
                "reason": f"Keep the reason for “{title}” under {CARRY_OVER_REASON_LENGTH} "
                "characters."
            }
    return problems


def settle_open_actions(
    *, incident: Incident, actor: User, answers: Sequence[ClosingAnswer]
) -> list[tuple[Action, str]]:
    """Apply the answers for the open actions of ``incident``, which is being closed.

    Called by the workflow service inside its transaction, on the locked incident. Each open
    action needs an answer (a refusal names each one missing); an answer about an action of
    the incident that is no longer open is moot and left alone; one about any other action is
    refused. Done: the action is marked done. Carried over: it stays open, owned and due as it
    is, with the reason. Either way its history row says who, when, and which it was.
    """
    open_actions = list(
        Action.objects.select_for_update(of=("self",))
        .filter(incident=incident, status=Action.Status.OPEN)
        .order_by("due_date", "id")
    )
    by_id = {answer.action_id: answer for answer in answers}
    open_ids = {action.pk for action in open_actions}
    asked_about = set(by_id) - open_ids
    errors = []
    if asked_about:
        ours = set(
            Action.objects.filter(incident=incident, pk__in=asked_about).values_list(
                "pk", flat=True
            )
        )
        errors += [
            f"Action {pk} is not an action of this incident." for pk in sorted(asked_about - ours)
        ]
    problems = closing_problems(open_actions, by_id)
    errors += [message for problem in problems.values() for message in problem.values()]
    if errors:
        raise ValidationError({"actions": errors})
    now = timezone.now()
    settled = []
    for action in open_actions:
        answer = by_id[action.pk]
        if answer.outcome == ClosingOutcome.DONE:
            action.status = Action.Status.DONE
            action.completed_at = now
            stamp_history(action, user=actor, reason=DONE_ON_CLOSING)
        else:
            action.carried_over_at = now
            action.carry_over_reason = answer.reason.replace("\x00", "").strip()
            stamp_history(action, user=actor, reason=CARRIED_OVER_ON_CLOSING)
        action.save()
        settled.append((action, answer.outcome))
    return settled


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
