"""What falls due: closed long enough under the rule of its class (kind, notifiable or not),
counted from its last closure; never one reopened, on hold, already disposed of, or without a
rule in force."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from breaches.models import Incident
from governance.disposal import closed_at, due_incidents
from governance.models import LegalHold, RetentionRule
from tests.conftest import World
from tests.governance.conftest import closed_incident, years_ago

pytestmark = pytest.mark.django_db

NEAR_MISS = Incident.Kind.NEAR_MISS


def due(now: Any = None) -> dict[str, int]:
    found: Any = due_incidents(Incident.objects.all(), now=now or timezone.now())
    return dict(found.values_list("reference", "due_rule"))


def test_the_run_lists_exactly_the_incidents_due(
    world: World, rules: dict[str, RetentionRule]
) -> None:
    c = closed_incident
    expected = {
        # Notifiable breaches: 7 years.
        c(world, closed=years_ago(8)): rules["notifiable"],
        # Undecided breaches count as notifiable (kept the longer period).
        c(world, closed=years_ago(7.1), decision=""): rules["notifiable"],
        # Breaches decided not notifiable: 2 years.
        c(world, closed=years_ago(2.1), decision="no"): rules["not_notifiable"],
        # Near misses: 1 year.
        c(world, closed=years_ago(1.2), kind=NEAR_MISS): rules["near_miss"],
        # Closed, reopened and closed again long enough ago: due, counted from the last.
        c(world, closed=years_ago(12), reopened=years_ago(11), closed_again=years_ago(8)): rules[
            "notifiable"
        ],
    }
    kept = [
        c(world, closed=years_ago(6.9)),  # notifiable, not yet 7 years
        c(world, closed=years_ago(6.9), decision=""),  # undecided: as notifiable
        c(world, closed=years_ago(1.9), decision="no"),
        c(world, closed=years_ago(0.9), kind=NEAR_MISS),
        # Reopened after closure: open again, never due.
        c(world, closed=years_ago(9), reopened=years_ago(8.5)),
        # Closed again recently: retention starts again from the new closure.
        c(world, closed=years_ago(12), reopened=years_ago(3), closed_again=years_ago(2.5)),
    ]
    held = c(world, closed=years_ago(9))
    LegalHold.objects.create(incident=held, reason="HRRT", placed_by=world.cpo)
    released = c(world, closed=years_ago(9))
    LegalHold.objects.create(
        incident=released, reason="OIA", placed_by=world.cpo, released_by=world.cpo,
        released_at=timezone.now(),
    )  # fmt: skip
    expected[released] = rules["notifiable"]
    assert due() == {i.reference: r.pk for i, r in expected.items()}
    assert not {i.reference for i in [*kept, held]} & set(due())
    # The world's open incidents are never due.
    assert world.incident_a.reference not in due()


def test_closure_is_read_from_the_history(world: World) -> None:
    first, reopened, again = years_ago(5), years_ago(4), years_ago(3)
    incident = closed_incident(world, closed=first, reopened=reopened, closed_again=again)
    simple = closed_incident(world, closed=first)
    open_now = closed_incident(world, closed=first, reopened=reopened)
    found = dict(
        Incident.objects.filter(pk__in=[incident.pk, simple.pk, open_now.pk])
        .annotate(closed=closed_at())
        .values_list("pk", "closed")
    )
    assert found == {incident.pk: again, simple.pk: first, open_now.pk: None}


def test_nothing_is_due_without_a_rule_in_force(world: World) -> None:
    closed_incident(world, closed=years_ago(30))
    RetentionRule.objects.create(
        kind="breach",
        notifiable=True,
        years=1,
        authority="DA",
        reason="r",
        proposed_by=world.admin,
    )  # fmt: skip (proposed, not approved)
    assert due() == {}


def test_an_incident_closed_without_history_is_never_due(
    world: World, rules: dict[str, RetentionRule]
) -> None:
    """Incidents written in bulk (no history row says when they were closed) are kept."""
    Incident.objects.filter(pk=world.incident_b.pk).update(
        status=Incident.Status.CLOSED, updated_at=years_ago(20)
    )
    assert due() == {}


def test_due_is_one_query_whatever_the_number_of_incidents(
    world: World, rules: dict[str, RetentionRule], django_assert_num_queries: Any
) -> None:
    in_force = list(RetentionRule.objects.in_force())
    for years in range(8, 14):
        closed_incident(world, closed=years_ago(years))
    with django_assert_num_queries(1):
        assert (
            len(list(due_incidents(Incident.objects.all(), now=timezone.now(), rules=in_force)))
            == 6
        )


def test_due_reads_the_clock_it_is_given(world: World, rules: dict[str, RetentionRule]) -> None:
    incident = closed_incident(world, closed=years_ago(1.5), kind=NEAR_MISS)
    assert incident.reference in due()
    assert due(timezone.now() - timedelta(days=365)) == {}
