"""Who may do what with an incident they can already see, and the one way writes lock it.

Visibility is ``Incident.objects.visible_to``'s job and handling is ``handled_by``'s; the
functions here are their Python twins for one loaded incident, and :func:`lock_for_write` is the
helper every scoped write service calls: inside the write's transaction it locks the row and
re-checks, against the database as it is now, that the actor still sees (and, for officers'
work, still handles) the incident. Scope can change between the page being opened and the form
being sent (a restriction, a reassignment): the write is then refused, never done on stale scope.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import User
from breaches.models import Incident

# Why nothing more can be written to a disposed-of incident.
DISPOSED = (
    "This incident's personal content was disposed of under the retention rules: "
    "nothing more can be added to it or changed."
)


def can_use_register(user: User) -> bool:
    """The register lists incidents across units: privacy officers and the CPO only."""
    return user.is_authenticated and user.is_officer


def handles(user: User, incident: Incident) -> bool:
    """Does ``user`` handle ``incident`` as a privacy officer? (``handled_by`` for one row.)

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
    return incident.business_unit_id in user.covered_unit_ids()


def can_write_internal(user: User, incident: Incident) -> bool:
    """Internal notes are written and read by the incident's handlers only."""
    return handles(user, incident)


def can_contribute(user: User, incident: Incident) -> bool:
    """May ``user`` add information, comments or evidence to ``incident`` (already in scope)?

    Its handlers may at any time; its reporter while it is open. Nobody may once its personal
    content was disposed of (SPEC §9): nothing new goes into a record kept only for its figures.
    """
    if incident.disposed_at is not None:
        return False
    if handles(user, incident):
        return True
    return incident.reporter_id == user.pk and incident.is_open


def lock_for_write(
    incident: Incident, *, actor: User, handling: bool = True, refusal: str = ""
) -> Incident:
    """The incident, locked for the rest of the caller's transaction, after re-checking scope.

    ``handling``: the actor must handle the incident (officers' work); otherwise seeing it is
    enough and the service checks the finer rule (``can_contribute``) on the locked row.
    Must be called inside ``transaction.atomic()``.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_for_write must be called inside transaction.atomic()")
    scope = Incident.objects.visible_to(actor)
    if handling:
        scope = scope.handled_by(actor)
    locked = (
        scope.select_for_update(of=("self",))
        .select_related("business_unit")
        .filter(pk=incident.pk)
        .first()
    )
    if locked is None:
        raise PermissionDenied(refusal or "Only the incident's privacy officers can do this.")
    if locked.disposed_at is not None:
        raise PermissionDenied(DISPOSED)
    return locked
