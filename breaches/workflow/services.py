"""The one service that moves an incident along its workflow, enforcing the transition table.

Every transition is made by the incident's handlers, is written to the timeline with who, when
and why, and an impossible one is refused with a message that says what is possible instead.
Closing an incident that still has open actions needs an answer for each of them (done, or
carried over with a reason: ``breaches.response.actions.settle_open_actions``).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.history import stamp_history
from accounts.models import User
from breaches.models import Incident
from breaches.permissions import handles, lock_for_write
from breaches.response.actions import ClosingAnswer, ClosingOutcome, settle_open_actions
from breaches.workflow.transitions import Transition, transitions_from

S = Incident.Status


def available_transitions(incident: Incident, user: User) -> list[tuple[Transition, str | None]]:
    """What this person may do now: each transition with the reason it is blocked, if it is."""
    if incident.disposed_at is not None or not handles(user, incident):
        return []  # a disposed-of incident stays closed (breaches.permissions.DISPOSED)
    return [
        (t, t.precondition(incident) if t.precondition else None)
        for t in transitions_from(incident)
    ]


def incident_transition(
    *,
    incident: Incident,
    to: str,
    actor: User,
    reason: str = "",
    actions: Sequence[ClosingAnswer] = (),
) -> Incident:
    """Move ``incident`` to ``to``, or refuse with a message. Written to the timeline.

    ``actions``: when closing, what happens to each open action (all of them must be answered).
    """
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
        note = reason.strip() or transition.label
        if to == S.CLOSED:
            settled = settle_open_actions(incident=locked, actor=actor, answers=actions)
            note = _with_settled(note, [outcome for _, outcome in settled])
        elif actions:
            raise ValidationError(
                {"actions": "Only closing the incident asks what happens to its open actions."}
            )
        locked.status = to
        stamp_history(locked, user=actor, reason=note)
        locked.updated_at = timezone.now()
        locked.save()
    return locked


def _with_settled(note: str, outcomes: list[str]) -> str:
    """The closing note on the incident's history, with what became of its open actions."""
    if not outcomes:
        return note
    done = outcomes.count(ClosingOutcome.DONE)
    carried = outcomes.count(ClosingOutcome.CARRIED_OVER)
    parts = [f"{done} marked done"] if done else []
    parts += [f"{carried} carried over"] if carried else []
    summary = f"open actions: {' and '.join(parts)}"
    # The history's reason column is short: the summary is kept whole, the note shortened.
    return f"{note[: 97 - len(summary)]} ({summary})"
