"""Restricting an incident to named people, and lifting it (SPEC §3)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.history import stamp_history
from accounts.models import User
from breaches.models import Incident
from breaches.permissions import lock_for_write


def incident_restrict(
    *, incident: Incident, actor: User, people: Iterable[User], reason: str
) -> Incident:
    """Restrict an incident to named people (the CPO sees it anyway), with a reason."""
    if not actor.is_chief_privacy_officer:
        raise PermissionDenied("Only the chief privacy officer restricts incidents.")
    named = list(people)
    errors = {}
    if any(p.role in {User.Role.EXECUTIVE, User.Role.ADMINISTRATOR} for p in named):
        errors["people"] = "Executives and administrators do not see incident details (SPEC §3)."
    if not reason.strip():
        errors["reason"] = "Say why the incident is restricted."
    if not named:
        errors["people"] = "Name at least one person who may still see it."
    if errors:
        raise ValidationError(errors)
    return _set_restriction(incident, actor, named, history=f"restricted: {reason.strip()}")


def incident_unrestrict(*, incident: Incident, actor: User, reason: str) -> Incident:
    if not actor.is_chief_privacy_officer:
        raise PermissionDenied("Only the chief privacy officer lifts a restriction.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the restriction is lifted."})
    return _set_restriction(incident, actor, None, history=f"restriction lifted: {reason.strip()}")


def _set_restriction(
    incident: Incident, actor: User, named: list[User] | None, *, history: str
) -> Incident:
    """Restrict to ``named`` (or lift, with None), on the locked row, credited on its history."""
    with transaction.atomic():
        locked = lock_for_write(
            incident, actor=actor, refusal="Only the chief privacy officer can do this."
        )
        stamp_history(locked, user=actor, reason=history)
        locked.is_restricted = named is not None
        locked.save()
        if named is not None:
            locked.restricted_to.set(named)
    return locked
