"""Who may use which incident page. Object visibility is ``visible_to``'s job, not this one's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.models import User

if TYPE_CHECKING:
    from breaches.models import Incident


def can_use_register(user: User) -> bool:
    """The register lists incidents across units: privacy officers and the CPO only."""
    return user.is_authenticated and user.is_officer


def can_write_internal(user: User) -> bool:
    """Internal notes are written and read by privacy officers and the CPO only."""
    return user.is_authenticated and user.is_officer


def can_contribute(user: User, incident: Incident) -> bool:
    """May ``user`` add information, comments or evidence to ``incident`` (already in scope)?

    The reporter may while the incident is open; its officers may at any time.
    """
    if user.is_officer:
        return True
    return incident.reporter_id == user.pk and incident.is_open
