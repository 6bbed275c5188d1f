"""Cached figures and the clock: an entry is never served past the first moment its figures could
read differently with nothing written (reporting.figures.stable_until), nor past MAX_AGE.

The clock is frozen at NOW (``django.utils.timezone.now``) and moved by each test; every
timestamp of the data is given explicitly. NOW is 48 days into 2026 Q4, so the dashboard opens
on 2026 Q3, and 2026 Q4 "to date" is compared with the same 48 days and 10 hours of 2026 Q3.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import BusinessUnit, User
from breaches.models import Action, Incident, IndividualNotice
from reporting.cache import MAX_AGE
from reporting.figures import Period, Quarter, QuarterFigures, quarter_figures, stable_until
from tests.factories import BusinessUnitFactory, IncidentFactory, UserFactory

ZONE = ZoneInfo("Pacific/Auckland")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZONE)
Q4, Q3, Q2 = Quarter(2026, 4), Quarter(2026, 3), Quarter(2026, 2)
URL = "/reports/dashboard/"
WARM = 3  # as in test_dashboard_cache.py


class Clock:
    def __init__(self) -> None:
        self.now = NOW


@pytest.fixture
def clock(settings: Any) -> Iterator[Clock]:
    settings.TIME_ZONE = "Pacific/Auckland"
    frozen = Clock()
    with mock.patch("django.utils.timezone.now", side_effect=lambda: frozen.now):
        yield frozen


@pytest.fixture
def unit() -> BusinessUnit:
    return BusinessUnitFactory(name="Site A", code="site-a")


@pytest.fixture
def executive(unit: BusinessUnit) -> User:
    return UserFactory(username="exec", role=User.Role.EXECUTIVE, business_unit=unit)


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def breach(unit: BusinessUnit, reported: datetime, **fields: Any) -> Incident:
    return IncidentFactory(
        business_unit=unit,
        reporter=UserFactory(business_unit=unit),
        reported_at=reported,
        aware_at=reported - timedelta(hours=2),
        **fields,
    )


def dashboard(user: User, quarter: Quarter | None = None) -> tuple[QuarterFigures, int]:
    """The dashboard's figures at the clock's time, and how many queries it made (signed in
    afresh each time: a session lasts an hour without a request)."""
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"quarter": quarter.code} if quarter else {})
    assert response.status_code == 200
    return response.context["figures"], len(queries)


def same_stretch(quarter: Quarter, plus: timedelta) -> datetime:
    """The moment of ``quarter`` as far from its start (by the wall clock) as NOW is from Q4's,
    plus ``plus``: when the comparison with that quarter reaches it."""
    return quarter.bounds()[0] + (NOW - Q4.bounds()[0]) + plus


@pytest.mark.django_db(transaction=True)
def test_a_deadline_passing_is_not_served_stale(
    clock: Clock, unit: BusinessUnit, executive: User
) -> None:
    """The last complete quarter, read now: a breach still within its deadline is "not counted
    yet" until the deadline passes, then late."""
    breach(unit, Q3.bounds()[1] - timedelta(days=1), regulator_deadline=NOW + timedelta(minutes=7))
    figures, _ = dashboard(executive)
    assert (figures.current.within_deadline, figures.current.missed) == (1, 0)
    clock.now = NOW + timedelta(minutes=7) - timedelta(microseconds=1)
    figures, queries = dashboard(executive)
    assert queries == WARM and figures.current.within_deadline == 1
    clock.now = NOW + timedelta(minutes=7, microseconds=1)
    figures, queries = dashboard(executive)
    assert queries > WARM and (figures.current.within_deadline, figures.current.missed) == (0, 1)


@pytest.mark.django_db(transaction=True)
def test_no_entry_outlives_max_age(clock: Clock, unit: BusinessUnit, executive: User) -> None:
    """Settled figures hold until a write; MAX_AGE bounds them anyway, for writes made around
    the ORM."""
    breach(unit, Q3.bounds()[0] + timedelta(days=3))
    first, _ = dashboard(executive)
    clock.now = NOW + timedelta(seconds=MAX_AGE - 1)
    again, queries = dashboard(executive)
    assert queries == WARM and again == first
    clock.now = NOW + timedelta(seconds=MAX_AGE)
    again, queries = dashboard(executive)
    assert queries > WARM and again == first


@pytest.mark.django_db(transaction=True)
def test_the_quarter_to_date_meets_earlier_quarters_incidents_on_time(
    clock: Clock, unit: BusinessUnit, executive: User
) -> None:
    """2026 Q4 to date is compared with the same stretch of Q3, and averaged with the same
    stretches of the four quarters before: as the clock moves, so do they."""
    breach(unit, same_stretch(Q2, timedelta(minutes=3)))
    breach(unit, same_stretch(Q3, timedelta(minutes=6)))
    figures, _ = dashboard(executive, Q4)
    assert (figures.previous.breaches, figures.average.breaches) == (0, 0)
    clock.now = NOW + timedelta(minutes=2)
    figures, queries = dashboard(executive, Q4)
    assert queries == WARM and figures.average.breaches == 0
    clock.now = NOW + timedelta(minutes=3, seconds=1)
    figures, queries = dashboard(executive, Q4)
    assert queries > WARM and (figures.previous.breaches, figures.average.breaches) == (0, 0.5)
    clock.now = NOW + timedelta(minutes=5)
    figures, queries = dashboard(executive, Q4)
    assert queries == WARM
    clock.now = NOW + timedelta(minutes=6, seconds=1)
    figures, queries = dashboard(executive, Q4)
    assert queries > WARM and (figures.previous.breaches, figures.average.breaches) == (1, 1.0)


@pytest.mark.django_db(transaction=True)
def test_the_quarter_to_date_turns_a_day_at_midnight(
    clock: Clock, unit: BusinessUnit, executive: User
) -> None:
    """Its dates, and an action due today falling overdue."""
    incident = breach(unit, Q4.bounds()[0] + timedelta(days=2))
    Action.objects.create(
        incident=incident, title="Recall the letter", owner=executive, created_by=executive,
        due_date=NOW.date(), created_at=Q4.bounds()[0] + timedelta(days=3),
    )  # fmt: skip
    clock.now = NOW.replace(hour=23, minute=58)
    figures, _ = dashboard(executive, Q4)
    assert (figures.dates, figures.current.overdue_actions) == ("1 Oct – 18 Nov", 0)
    clock.now = NOW.replace(hour=23, minute=59, second=59)
    figures, queries = dashboard(executive, Q4)
    assert queries == WARM
    clock.now = NOW.replace(hour=0, minute=0, second=1) + timedelta(days=1)
    figures, queries = dashboard(executive, Q4)
    assert queries > WARM
    assert (figures.dates, figures.current.overdue_actions) == ("1 Oct – 19 Nov", 1)


# --- stable_until itself: exactly the first moment the figures could change -------------------


def figures_at(moment: datetime, quarter: Quarter) -> dict[str, Any]:
    return quarter_figures(Incident.objects.all(), quarter, scope="x", now=moment).to_dict()


@pytest.mark.django_db
def test_stable_until_finds_the_next_incident_of_the_stretch_compared_with(
    unit: BusinessUnit,
) -> None:
    breach(unit, same_stretch(Q3, timedelta(hours=1)))
    breach(unit, same_stretch(Q3, timedelta(hours=-1)))
    until = stable_until(Incident.objects.all(), Period.of(Q4, NOW))
    assert until == NOW + timedelta(hours=1)
    assert figures_at(until - timedelta(microseconds=1), Q4) == figures_at(NOW, Q4)
    assert figures_at(until + timedelta(microseconds=1), Q4)["previous"]["breaches"] == 2


@pytest.mark.django_db
def test_stable_until_finds_the_next_deadline_of_a_complete_quarter(unit: BusinessUnit) -> None:
    deadline = NOW + timedelta(days=2)
    breach(unit, Q3.bounds()[1] - timedelta(hours=5), regulator_deadline=deadline)
    breach(unit, Q3.bounds()[0] + timedelta(days=1), regulator_deadline=NOW - timedelta(days=1))
    assert stable_until(Incident.objects.all(), Period.of(Q3, NOW)) == deadline
    assert figures_at(deadline, Q3) == figures_at(NOW, Q3)
    assert figures_at(deadline + timedelta(microseconds=1), Q3)["current"]["missed"] == 2


@pytest.mark.django_db
def test_stable_until_is_none_for_settled_figures_and_midnight_at_most_to_date(
    unit: BusinessUnit,
) -> None:
    breach(unit, Q3.bounds()[0] + timedelta(days=1), regulator_deadline=NOW - timedelta(days=1))
    breach(unit, Q4.bounds()[0] + timedelta(days=1), regulator_deadline=NOW - timedelta(days=1))
    incidents = Incident.objects.all()
    assert stable_until(incidents, Period.of(Q3, NOW)) is None
    midnight = datetime(2026, 11, 19, tzinfo=ZONE)
    assert stable_until(incidents, Period.of(Q4, NOW)) == midnight


@pytest.mark.django_db(transaction=True)
def test_a_notice_falling_due_in_the_quarter_to_date_is_not_served_stale(
    clock: Clock, unit: BusinessUnit, executive: User
) -> None:
    """Issue 16: a notice not sent counts as overdue once its due time passes, and the same
    stretch of Q3 meets a notice sent late as the clock reaches it."""
    incident = breach(unit, Q4.bounds()[0] + timedelta(days=2))
    IndividualNotice.objects.create(
        incident=incident, is_public=True, created_by=executive,
        created_at=Q4.bounds()[0] + timedelta(days=3), due_at=NOW + timedelta(minutes=7),
    )  # fmt: skip
    IndividualNotice.objects.create(
        incident=incident, is_public=True, created_by=executive, outcome="sent",
        created_at=Q3.bounds()[0], due_at=Q3.bounds()[0] + timedelta(days=1),
        sent_at=same_stretch(Q3, timedelta(minutes=4)),
    )  # fmt: skip
    # The first moment a notice changes a figure: Q3's stretch reaching the late one.
    assert stable_until(Incident.objects.all(), Period.of(Q4, NOW)) == NOW + timedelta(minutes=4)
    figures, _ = dashboard(executive, Q4)
    assert (figures.current.notices_overdue, figures.previous.notices_late) == (0, 0)
    clock.now = NOW + timedelta(minutes=4) - timedelta(microseconds=1)
    figures, queries = dashboard(executive, Q4)
    assert queries == WARM
    clock.now = NOW + timedelta(minutes=4, seconds=1)
    figures, queries = dashboard(executive, Q4)
    assert queries > WARM and figures.previous.notices_late == 1
    assert figures.current.notices_overdue == 0
    clock.now = NOW + timedelta(minutes=7, seconds=1)
    figures, queries = dashboard(executive, Q4)
    assert queries > WARM and figures.current.notices_overdue == 1
