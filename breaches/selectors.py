"""Shared reads about incidents that are not simply ``visible_to``."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import User
from breaches.models import Incident
from breaches.permissions import handles


def officers_for_incident(incident: Incident) -> QuerySet[User]:
    """Active privacy officers whose assigned subtrees contain the incident's unit.

    An officer assigned to a unit covers every unit below it, so the officers of a unit are
    those assigned to the unit itself or to any of its ancestors: the prefixes of its path.
    """
    return (
        User.objects.filter(
            role=User.Role.PRIVACY_OFFICER,
            is_active=True,
            assigned_units__path__in=incident.business_unit.path_prefixes(),
        )
        .distinct()
        .order_by("username")
    )


def cpo_emails() -> list[str]:
    """E-mail addresses of the active chief privacy officers."""
    return list(
        User.objects.filter(
            role=User.Role.CHIEF_PRIVACY_OFFICER, is_active=True, email__gt=""
        ).values_list("email", flat=True)
    )


def incident_in_scope(user: User, reference: str) -> Incident:
    """The incident ``user`` may see, by reference; 404 when it is outside their scope."""
    return get_object_or_404(
        Incident.objects.visible_to(user).select_related("business_unit", "reporter"),
        reference=reference,
    )


def incident_handled(user: User, reference: str) -> Incident:
    """An incident ``user`` handles as its officer; 404 otherwise (its existence stays hidden)."""
    incident = incident_in_scope(user, reference)
    if not handles(user, incident):
        raise Http404
    return incident
