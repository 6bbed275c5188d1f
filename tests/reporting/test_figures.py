"""Each figure against a small data set worked out by hand (SPEC §6)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from breaches.models import Action, Incident, IncidentBreachType
from reporting.figures import Quarter, quarter_figures
from tests.conftest import World
from tests.factories import BusinessUnitFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db
NZ = ZoneInfo("Pacific/Auckland")


def at(y: int, m: int, d: int, h: int = 12) -> datetime:
    return datetime(y, m, d, h, tzinfo=NZ)


# The moment the figures are made: 2026 Q3 has ended, so it is a complete quarter.
NOW = at(2026, 10, 5)


@pytest.fixture
def data(db: None) -> dict[str, object]:
    north = BusinessUnitFactory(name="North", code="north")
    south = BusinessUnitFactory(name="South", code="south")
    staff_n = UserFactory(business_unit=north)
    staff_s = UserFactory(business_unit=south)

    def incident(unit, kind, reported, **kw):  # type: ignore[no-untyped-def]
        return IncidentFactory(
            reporter=staff_n if unit is north else staff_s, business_unit=unit, kind=kind,
            reported_at=reported, aware_at=kw.pop("aware", reported - timedelta(hours=2)), **kw,
        )  # fmt: skip

    B, N = Incident.Kind.BREACH, Incident.Kind.NEAR_MISS
    # 2026 Q3 (1 Jul – 30 Sep NZ time): North 3 breaches + 1 near miss; South 1 breach, 0 near misses.
    b1 = incident(
        north,
        B,
        at(2026, 7, 10),
        cause_category="wrong_recipient",
        contained_at=at(2026, 7, 10, 12) + timedelta(hours=4),  # 6 h after aware
        decision_notify_regulator="yes",
        regulator_deadline=at(2026, 7, 13, 10),
        regulator_notified_at=at(2026, 7, 11),
    )  # on time; notified 24 h... see below
    b2 = incident(
        north,
        B,
        at(2026, 8, 1),
        cause_category="wrong_recipient",
        contained_at=at(2026, 8, 1, 12) + timedelta(hours=8),  # 10 h after aware
        decision_notify_regulator="yes",
        regulator_deadline=at(2026, 8, 4, 10),
        regulator_notified_at=at(2026, 8, 6),
    )  # late
    incident(north, B, at(2026, 9, 30, 23), cause_category="wrong_recipient")  # still Q3 (NZ time)
    incident(north, N, at(2026, 9, 1), cause_category="papers_unsecured")
    incident(
        south,
        B,
        at(2026, 8, 15),
        cause_category="system_fault",
        is_restricted=True,
        decision_notify_regulator="yes",
        regulator_deadline=at(2026, 8, 18),
    )
    # 2026 Q4 starts 1 Oct NZ time: this one (30 Sep 23:30 UTC = 1 Oct NZ) is Q4.
    incident(south, B, datetime(2026, 9, 30, 23, 30, tzinfo=ZoneInfo("UTC")))
    # 2026 Q2: 1 breach, 2 near misses (North), one with the same cause as Q3's three.
    incident(
        north, B, at(2026, 5, 5), cause_category="papers_unsecured", decision_notify_regulator="no"
    )
    incident(north, N, at(2026, 4, 2))
    incident(north, N, at(2026, 6, 30, 22))
    IncidentBreachType.objects.create(incident=b1, breach_type="unauthorised_disclosure")
    IncidentBreachType.objects.create(incident=b2, breach_type="unauthorised_disclosure")
    IncidentBreachType.objects.create(incident=b2, breach_type="loss")
    officer = UserFactory(business_unit=north)
    for title, due, done in [
        ("Retrain", date(2026, 8, 1), at(2026, 7, 30)),  # completed in Q3
        ("Lock cabinet", date(2026, 9, 1), None),  # overdue at Q3 end
        ("Review merge", date(2026, 10, 30), None),
    ]:  # open, not overdue
        Action.objects.create(incident=b1, title=title, owner=officer, due_date=due,
                              status="done" if done else "open", completed_at=done,
                              created_by=officer, created_at=at(2026, 7, 12))  # fmt: skip
    return {"north": north, "south": south}


def test_headline_figures_worked_by_hand(data: dict[str, object]) -> None:
    figures = quarter_figures(Incident.objects.all(), Quarter(2026, 3), scope="agency", now=NOW)
    h = figures.current
    assert (h.breaches, h.near_misses) == (4, 1)
    assert h.notifiable == 3  # b1, b2 and the restricted South breach (counted, never listed)
    assert h.notified_on_time_pct == pytest.approx(33.3)  # 1 of 3 on time
    assert h.median_hours_to_containment == pytest.approx(8.0)  # 6 h and 10 h
    # b1: aware 10 Jul 10:00, notified 11 Jul 12:00 = 26 h; b2: aware 1 Aug 10:00, 6 Aug 12:00 = 122 h
    assert h.median_hours_to_notification == pytest.approx(74.0)
    assert (h.open_actions, h.overdue_actions) == (2, 1)
    # Targets, in words: on time below 100 %; the median above TRIAGE_NZ_TARGET_HOURS (72).
    assert h.on_time_below_target and h.on_time_status.startswith(
        "Below target (100 %): 2 of 3 breaches were notified late"
    )
    assert h.notification_above_target
    assert h.notification_status == (
        "Above target (at most 72 hours): the median was 74 hours from awareness to notification."
    )
    p = figures.previous
    assert (p.breaches, p.near_misses, p.notifiable) == (1, 2, 0)
    assert p.notified_on_time_pct is None


def test_quarter_boundaries_are_in_new_zealand_time(data: dict[str, object]) -> None:
    q4 = quarter_figures(
        Incident.objects.all(), Quarter(2026, 4), scope="agency", now=at(2027, 1, 5)
    )
    assert q4.current.breaches == 1  # 30 Sep 23:30 UTC is 1 Oct in Auckland
    trend = {t["quarter"]: (t["breaches"], t["near_misses"]) for t in q4.trend}
    assert trend["2026 Q3"] == (4, 1) and trend["2026 Q2"] == (1, 2)
    assert len(q4.trend) == 8 and q4.trend[0]["quarter"] == "2025 Q1"


def test_units_causes_types_recurring_and_the_notifiable_list(data: dict[str, object]) -> None:
    f = quarter_figures(Incident.objects.all(), Quarter(2026, 3), scope="agency", now=NOW)
    units = {u.unit: u for u in f.units}
    assert (units["North"].breaches, units["North"].near_misses, units["North"].ratio) == (
        3,
        1,
        0.33,
    )
    # South's one breach is restricted: a unit row of 1 would single it out (SPEC §3), so the
    # unit rows leave it out while the headline figures count it.
    assert "South" not in units and not units["North"].possible_under_reporting
    assert f.current.breaches == sum(u.breaches for u in f.units) + 1
    assert dict(f.causes) == {"Human error: wrong recipient": 3, "System or process fault": 1}
    assert dict(f.breach_types) == {"Unauthorised disclosure": 2, "Loss": 1}
    assert [(r.unit, r.cause, r.count) for r in f.recurring] == [
        ("North", "Human error: wrong recipient", 3)
    ]
    listed = [(n.unit, n.on_time) for n in f.notifiable]
    assert listed == [("North", True), ("North", False)]  # the restricted one is not listed
    assert all("Incident" not in n.summary and "Letter" not in n.summary for n in f.notifiable)
    assert f.actions is not None
    # As at the quarter's end (1 Oct 00:00 in Auckland), "Lock cabinet" due 1 Sep is 30 days over.
    actions = f.actions
    assert (actions.completed, actions.open, actions.overdue) == (1, 2, 1)
    assert actions.oldest_overdue_days == 30


def test_regenerating_a_past_quarter_gives_the_same_figures(data: dict[str, object]) -> None:
    q3 = Quarter(2026, 3)
    first = quarter_figures(Incident.objects.all(), q3, scope="agency", now=NOW).to_dict()
    # Later activity: a Q4 report and a completed action do not change Q3's figures.
    IncidentFactory(reported_at=at(2026, 10, 20), business_unit=data["north"])
    Action.objects.filter(title="Lock cabinet").update(status="done", completed_at=at(2026, 10, 25))
    # Made again weeks later: every deadline of Q3 had passed by the first run, so no figure moves.
    later = at(2026, 11, 20)
    again = quarter_figures(Incident.objects.all(), q3, scope="agency", now=later).to_dict()
    assert again == first


def test_quarter_parsing() -> None:
    assert Quarter.parse("2026Q3") == Quarter.parse("2026-q3") == Quarter(2026, 3)
    with pytest.raises(ValueError):
        Quarter.parse("2026Q5")


def test_scoping_officers_count_what_they_see(world: World) -> None:
    from django.utils import timezone

    q = Quarter.containing(timezone.localdate())
    assert (
        quarter_figures(
            Incident.objects.countable_by(world.officer_a), q, scope="x"
        ).current.breaches
        == 1
    )
    assert (
        quarter_figures(
            Incident.objects.countable_by(world.executive), q, scope="x"
        ).current.breaches
        == 3
    )
    assert (
        quarter_figures(
            Incident.objects.countable_by(world.reporter), q, scope="x"
        ).current.breaches
        == 0
    )
