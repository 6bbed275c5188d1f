"""The notices' rules in SQL, for any list of incidents: who is still to be told (SPEC §4.4).

Here, beside the records, so that the register's row columns
(``IncidentQuerySet.with_list_columns``) and the notices' services
(``breaches.response.notices``) share one rule.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan, In

from breaches.models.evidence import AffectedIndividual
from breaches.models.incident import Incident
from breaches.models.response import IndividualNotice
from breaches.models.triage import Decision

Outcome = IndividualNotice.Outcome

#: The outcomes after which a person counts as told (or decided not to be): a planned notice
#: and a returned one leave them still to be told.
TOLD = (Outcome.SENT, Outcome.DELIVERED, Outcome.WITHHELD)
#: The current decision's answers for individuals that make the people affected "to be told".
TO_NOTIFY = (Decision.Individuals.NOTIFY, Decision.Individuals.DELAY)


def count_of(rows: Any) -> Coalesce:
    """SQL: how many of ``rows`` (filtered on the outer incident) there are."""
    counted = rows.order_by().values("incident_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def untold() -> Coalesce:
    """SQL: the outer incident's people with no notice sent, delivered or withheld."""
    told = IndividualNotice.objects.filter(affected_id=OuterRef("pk"), outcome__in=TOLD)
    return count_of(
        AffectedIndividual.objects.filter(incident_id=OuterRef("pk")).filter(~Exists(told))
    )


def telling_in_hand() -> Q:
    """SQL: telling the outer incident's people is in hand: it is a breach, and notices have
    been planned or the decision in force says to notify individuals (now or after a delay).

    Scalar subqueries (a count, the decision's answer), not EXISTS: PostgreSQL may turn an
    EXISTS in a select list into a hashed scan of the whole table, where these stay look-ups
    by the incident's index for each row of the page."""
    planned = count_of(IndividualNotice.objects.filter(incident_id=OuterRef("pk")))
    decided = Subquery(
        Decision.objects.current()
        .filter(incident_id=OuterRef("pk"))
        .order_by("-decided_at", "-id")
        .values("notify_individuals")[:1]
    )
    return Q(kind=Incident.Kind.BREACH) & (
        Q(GreaterThan(planned, 0)) | Q(In(decided, [str(answer) for answer in TO_NOTIFY]))
    )


def people_to_tell() -> Case:
    """SQL: how many people affected by the outer query's incident are still to be told.

    A person is still to be told while no notice of theirs is sent, delivered or withheld (a
    planned or returned one leaves them to tell). Only a breach has people to tell, and only
    once telling them is in hand: notices have been planned, or the decision in force says to
    notify individuals (now or after a lawful delay). Correlated subqueries on the outer rows
    only: a register page costs the same whatever the size of the register.
    """
    return Case(
        When(telling_in_hand(), then=untold()), default=Value(0), output_field=IntegerField()
    )
