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
