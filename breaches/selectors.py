"""Shared reads about incidents that are not simply ``visible_to``."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from breaches.models import Action, Incident


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


def handling_officers(incident: Incident) -> QuerySet[User]:
    """The privacy officers who handle ``incident`` and so may be e-mailed about it: those named
    on it when it is restricted (nobody else may hear of it), else the officers of its unit."""
    if incident.is_restricted:
        return incident.restricted_to.filter(
            role=User.Role.PRIVACY_OFFICER, is_active=True
        ).order_by("username")
    return officers_for_incident(incident)


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
    return get_object_or_404(
        Incident.objects.visible_to(user)
        .handled_by(user)
        .select_related("business_unit", "reporter"),
        reference=reference,
    )


def actions_owned_by(user: User) -> QuerySet[Action]:
    """The person's own actions, as far as scope lets them know of them (SPEC §3 side doors).

    Each carries ``incident_visible``: may the owner see the incident? If not, they get the
    action's own title and due date only. An action on a restricted incident they are not
    named on is left out altogether: nothing about it reaches them.
    """
    visible = Incident.objects.visible_to(user).filter(pk=OuterRef("incident_id"))
    return (
        Action.objects.filter(owner_id=user.pk)
        .annotate(incident_visible=Exists(visible))
        .exclude(incident__is_restricted=True, incident_visible=False)
        .select_related("incident", "owner")
    )


def actions_acted_on_by(user: User) -> QuerySet[Action]:
    """Actions ``user`` may change the status of: their own (as above) and those of incidents
    they can see (the service then checks they handle it)."""
    own = actions_owned_by(user).values("pk")
    return Action.objects.filter(
        Q(pk__in=own) | Q(incident__in=Incident.objects.visible_to(user))
    ).select_related("incident__business_unit")


def owners_losing_sight(incident: Incident) -> list[User]:
    """Owners of the incident's open actions who cannot see it (any more): the CPO is told
    when a restriction takes it away from them."""
    owners = User.objects.filter(
        actions__incident=incident, actions__status=Action.Status.OPEN
    ).distinct()
    return [
        o
        for o in owners.order_by("username")
        if not Incident.objects.visible_to(o).filter(pk=incident.pk).exists()
    ]
