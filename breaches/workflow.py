"""The incident workflow (SPEC §2): one transition table, one service that enforces it.

``reported → triage → assessed → (notifying) → remediation → closed``, with ``reopened`` by an
officer; a near miss goes ``reported → triage → remediation | closed`` and is never notifiable.
Every transition is made by the incident's handlers (``breaches.permissions.handles``), is
written to the timeline with who, when and why, and an impossible one is refused with a message
that says what is possible instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from breaches.models import Decision, Incident
from breaches.permissions import handles

S = Incident.Status
K = Incident.Kind


def _has_assessment(incident: Incident) -> str | None:
    if not incident.assessments.exists():
        return "Save a triage assessment first."
    return None


def _has_decision(incident: Incident) -> str | None:
    if not Decision.objects.filter(incident=incident, superseded_by__isnull=True).exists():
        return "Record the notification decision first."
    return None


def _decided_to_notify(incident: Incident) -> str | None:
    if incident.decision_notify_regulator != "yes":
        return "The decision is not to notify the regulator, so there is nothing to notify."
    return None


def _notified_if_notifiable(incident: Incident) -> str | None:
    """A breach decided notifiable leaves notifying only once the regulator was notified (or
    a reason for not notifying or delaying is recorded)."""
    if incident.kind != K.BREACH or incident.decision_notify_regulator != "yes":
        return None
    if incident.regulator_notified_at is not None:
        return None
    if incident.notifications.filter(recipient="regulator", method="not_notified").exists():
        return None
    return "Record the notification to the regulator (or why not) first."


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    label: str
    # Returns a reason the transition cannot happen yet, or None.
    precondition: Callable[[Incident], str | None] | None = None


BREACH_TRANSITIONS = [
    Transition(S.REPORTED, S.TRIAGE, "Start triage"),
    Transition(S.TRIAGE, S.ASSESSED, "Mark assessed", _has_assessment),
    Transition(S.ASSESSED, S.NOTIFYING, "Start notifying", _decided_to_notify),
    Transition(
        S.ASSESSED,
        S.REMEDIATION,
        "Move to remediation",
        lambda i: _has_decision(i) or _notified_if_notifiable(i),
    ),
    Transition(S.NOTIFYING, S.REMEDIATION, "Move to remediation", _notified_if_notifiable),
    Transition(S.REMEDIATION, S.CLOSED, "Close", _notified_if_notifiable),
    Transition(S.CLOSED, S.REOPENED, "Reopen"),
    Transition(S.REOPENED, S.TRIAGE, "Back to triage"),
    Transition(S.REOPENED, S.REMEDIATION, "Back to remediation"),
]
NEAR_MISS_TRANSITIONS = [
    Transition(S.REPORTED, S.TRIAGE, "Start triage"),
    Transition(S.TRIAGE, S.REMEDIATION, "Move to remediation"),
    Transition(S.TRIAGE, S.CLOSED, "Close"),
    Transition(S.REMEDIATION, S.CLOSED, "Close"),
    Transition(S.CLOSED, S.REOPENED, "Reopen"),
    Transition(S.REOPENED, S.TRIAGE, "Back to triage"),
    Transition(S.REOPENED, S.REMEDIATION, "Back to remediation"),
]
TRANSITIONS: dict[str, list[Transition]] = {
    K.BREACH: BREACH_TRANSITIONS,
    K.NEAR_MISS: NEAR_MISS_TRANSITIONS,
}


def transitions_from(incident: Incident) -> list[Transition]:
    return [t for t in TRANSITIONS[incident.kind] if t.source == incident.status]


def available_transitions(incident: Incident, user: User) -> list[tuple[Transition, str | None]]:
    """What this person may do now: each transition with the reason it is blocked, if it is."""
    if not handles(user, incident):
        return []
    return [
        (t, t.precondition(incident) if t.precondition else None)
        for t in transitions_from(incident)
    ]


def incident_transition(*, incident: Incident, to: str, actor: User, reason: str = "") -> Incident:
    """Move ``incident`` to ``to``, or refuse with a message. Written to the timeline."""
    with transaction.atomic():
        locked = (
            Incident.objects.select_for_update(of=("self",))
            .select_related("business_unit")
            .get(pk=incident.pk)
        )
        # Re-checked inside the transaction: scope or status may have changed meanwhile.
        if not handles(actor, locked):
            raise PermissionDenied("Only the incident's privacy officers change its status.")
        allowed = {t.target: t for t in transitions_from(locked)}
        if to not in allowed:
            possible = ", ".join(S(t).label.lower() for t in allowed) or "nothing"
            raise ValidationError(
                {
                    "to": f"A {locked.get_kind_display().lower()} that is "
                    f"{locked.get_status_display().lower()} cannot become "
                    f"{S(to).label.lower() if to in S.values else repr(to)}; "
                    f"from here it can go to: {possible}."
                }
            )
        transition = allowed[to]
        blocked = transition.precondition(locked) if transition.precondition else None
        if blocked:
            raise ValidationError({"to": blocked})
        reason = reason.replace("\x00", "")
        if to == S.REOPENED and not reason.strip():
            raise ValidationError({"reason": "Say why the incident is being reopened."})
        locked.status = to
        locked._history_user = actor  # type: ignore[attr-defined]
        locked._change_reason = reason.strip()[:100] or transition.label  # type: ignore[attr-defined]
        locked.updated_at = timezone.now()
        locked.save()
    return locked
