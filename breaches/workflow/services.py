"""The one service that moves an incident along its workflow, enforcing the transition table.

Every transition is made by the incident's handlers, is written to the timeline with who, when
and why, and an impossible one is refused with a message that says what is possible instead.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.history import stamp_history
from accounts.models import User
from breaches.models import Incident
from breaches.permissions import handles, lock_for_write
from breaches.workflow.transitions import Transition, transitions_from

S = Incident.Status


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
        # Re-checked inside the transaction: scope or status may have changed meanwhile.
        locked = lock_for_write(
            incident, actor=actor, refusal="Only the incident's privacy officers change its status."
        )
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
        stamp_history(locked, user=actor, reason=reason.strip()[:100] or transition.label)
        locked.updated_at = timezone.now()
        locked.save()
    return locked
