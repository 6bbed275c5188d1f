"""The regulator clock (SPEC §4.3): from awareness to the deadline, and how close it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from accounts import organisation
from breaches.models import Incident, RegulatorDecision


def clock_purpose(incident: Incident) -> str:
    """What the deadline is for: AU's 30 days are to finish assessing (s26WH), not to notify."""
    if (
        incident.jurisdiction == Incident.Jurisdiction.AU
        and incident.decision_notify_regulator != RegulatorDecision.NOTIFY
    ):
        return "to finish assessing the breach (AU s26WH)"
    return "to notify the regulator"


@dataclass(frozen=True)
class Clock:
    deadline: datetime
    left: timedelta
    state: str  # "ok", "soon", "missed", "stopped"
    purpose: str = "to notify the regulator"

    @property
    def hours_left(self) -> int:
        return int(self.left.total_seconds() // 3600)


def clock_for(incident: Incident, now: datetime | None = None) -> Clock | None:
    """Time left to notify the regulator, and whether it is close or missed."""
    if incident.regulator_deadline is None or incident.kind != Incident.Kind.BREACH:
        return None
    now = now or timezone.now()
    left = incident.regulator_deadline - now
    if not incident.clock_running:
        state = "stopped"
    elif left <= timedelta(0):
        state = "missed"
    elif left <= timedelta(hours=organisation.current().reminder_horizon_hours):
        state = "soon"
    else:
        state = "ok"
    return Clock(incident.regulator_deadline, left, state, clock_purpose(incident))
