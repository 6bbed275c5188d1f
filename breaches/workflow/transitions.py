"""The incident workflow's one transition table (SPEC §2).

``reported → triage → assessed → (notifying) → remediation → closed``, with ``reopened`` by an
officer; a near miss goes ``reported → triage → remediation | closed`` and is never notifiable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from breaches.models import Decision, Incident, Notification, RegulatorDecision

S = Incident.Status


K = Incident.Kind


def _has_assessment(incident: Incident) -> str | None:
    if not incident.assessments.exists():
        return "Save a triage assessment first."
    return None


def _has_decision(incident: Incident) -> str | None:
    if not Decision.objects.filter(incident=incident).current().exists():
        return "Record the notification decision first."
    return None


def _decided_to_notify(incident: Incident) -> str | None:
    if incident.decision_notify_regulator != RegulatorDecision.NOTIFY:
        return "The decision is not to notify the regulator, so there is nothing to notify."
    return None


def _notified_if_notifiable(incident: Incident) -> str | None:
    """A breach decided notifiable leaves notifying only once the regulator was notified (or
    a reason for not notifying or delaying is recorded)."""
    if incident.kind != K.BREACH or incident.decision_notify_regulator != RegulatorDecision.NOTIFY:
        return None
    if incident.regulator_notified_at is not None:
        return None
    if incident.notifications.filter(
        recipient=Notification.Recipient.REGULATOR, method=Notification.Method.NOT_NOTIFIED
    ).exists():
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
