"""Shared reads about incidents that are not simply ``visible_to``."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from breaches.models import Incident


def officers_for_incident(incident: Incident) -> QuerySet[User]:
    """Active privacy officers whose assigned subtrees contain the incident's unit.

    An officer assigned to a unit covers every unit below it, so the officers of a unit are
    those assigned to the unit itself or to any of its ancestors: the prefixes of its path.
    """
    path = incident.business_unit.path
    parts = path.strip("/").split("/")
    prefixes = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    return (
        User.objects.filter(
            role=User.Role.PRIVACY_OFFICER, is_active=True, assigned_units__path__in=prefixes
        )
        .distinct()
        .order_by("username")
    )
