"""Who may do what with an incident they can already see.

Visibility is ``Incident.objects.visible_to``'s job; these answer the next question: given an
incident in scope, does this person *handle* it as a privacy officer, or only follow it as its
reporter (or as someone named on a restriction)?
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.models import User

if TYPE_CHECKING:
    from breaches.models import Incident


def can_use_register(user: User) -> bool:
    """The register lists incidents across units: privacy officers and the CPO only."""
    return user.is_authenticated and user.is_officer


def handles(user: User, incident: Incident) -> bool:
    """Does ``user`` handle ``incident`` as a privacy officer?

    The CPO handles every incident; a privacy officer those in their assigned subtrees, and a
    restricted one only when named on it. Reporting an incident never makes an officer its
    handler: an officer who reports something outside their units follows it as a reporter.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role == User.Role.CHIEF_PRIVACY_OFFICER:
        return True
    if user.role != User.Role.PRIVACY_OFFICER:
        return False
    if incident.is_restricted:
        return incident.restricted_to.filter(pk=user.pk).exists()
    path = incident.business_unit.path
    return any(path.startswith(prefix) for prefix in user.assigned_paths())


def can_write_internal(user: User, incident: Incident) -> bool:
    """Internal notes are written and read by the incident's handlers only."""
    return handles(user, incident)


def can_contribute(user: User, incident: Incident) -> bool:
    """May ``user`` add information, comments or evidence to ``incident`` (already in scope)?

    Its handlers may at any time; its reporter while it is open.
    """
    if handles(user, incident):
        return True
    return incident.reporter_id == user.pk and incident.is_open
