"""The notified-on-time figure, the "to date" view and the targets, worked by hand (issue 13).

The dashboard once showed "Notified on time 100 %" for a quarter in which two breaches had
missed their deadline with nothing recorded: they were dropped from the count instead of counted
late. The rules (docs/reporting.md, "What each figure counts"):

- on time: notified at or before the deadline;
- late: notified after the deadline, or the deadline has passed with no notification recorded
  (whether or not a decision was recorded);
- not counted yet: not notified and the deadline has not passed;
- excluded: decided not notifiable, and breaches with no deadline.

One module computes the figures (reporting/figures.py); the dashboard and the PDF read them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from breaches.models import Incident
from reporting.figures import Period, Quarter, quarter_figures
from tests.factories import BusinessUnitFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db
NZ = ZoneInfo("Pacific/Auckland")
Q3 = Quarter(2026, 3)


def at(y: int, m: int, d: int, h: int = 12) -> datetime:
    return datetime(y, m, d, h, tzinfo=NZ)


def breach(reported: datetime, **kw: object) -> Incident:
    """A breach reported at ``reported`` in a unit of its own, aware two hours earlier."""
    unit = BusinessUnitFactory()
    return IncidentFactory(
        reporter=UserFactory(business_unit=unit), business_unit=unit, kind=Incident.Kind.BREACH,
        reported_at=reported, aware_at=reported - timedelta(hours=2), **kw,
    )  # fmt: skip


def figures_at(now: datetime, quarter: Quarter = Q3):  # type: ignore[no-untyped-def]
    return quarter_figures(Incident.objects.all(), quarter, scope="agency", now=now)


def test_two_missed_deadlines_with_nothing_recorded_are_late_not_dropped() -> None:
    """The issue's quarter: one notified on time, two past the deadline with no notification
    and no decision. It was 100 % (1 of 1); it is 1 of 3."""
    breach(at(2026, 7, 6), decision_notify_regulator="yes",
           regulator_deadline=at(2026, 7, 9), regulator_notified_at=at(2026, 7, 8))  # fmt: skip
    breach(at(2026, 8, 3), regulator_deadline=at(2026, 8, 6))
    breach(at(2026, 9, 1), regulator_deadline=at(2026, 9, 4))
    h = figures_at(at(2026, 10, 5)).current
    assert (h.on_time, h.notified_late, h.missed, h.missed_undecided) == (1, 0, 2, 2)
    assert h.notified_on_time_pct == pytest.approx(33.3)
    assert h.on_time_below_target
    assert h.on_time_status == (
        "Below target (100 %): 2 of 3 breaches were notified late — 2 past their deadline "
        "with no notification or decision recorded."
    )


@pytest.fixture
def each_rule() -> dict[str, Incident]:
    """One breach of 2026 Q3 per rule; the figures are made at noon on 2 October."""
    return {
        # on time: deadline 10 Jul, notified 9 Jul
        "on_time": breach(at(2026, 7, 7), decision_notify_regulator="yes",
                          regulator_deadline=at(2026, 7, 10), regulator_notified_at=at(2026, 7, 9)),
        # late with a notification: deadline 1 Aug, notified 3 Aug
        "notified_late": breach(at(2026, 7, 29), decision_notify_regulator="yes",
                                regulator_deadline=at(2026, 8, 1),
                                regulator_notified_at=at(2026, 8, 3)),
        # missed and unrecorded: deadline 20 Aug, no notification, no decision
        "unrecorded": breach(at(2026, 8, 17), regulator_deadline=at(2026, 8, 20)),
        # decided notifiable, never notified: deadline 10 Sep
        "decided_not_sent": breach(at(2026, 9, 7), decision_notify_regulator="yes",
                                   regulator_deadline=at(2026, 9, 10)),
        # deadline not yet passed at noon on 2 Oct (3 Oct), nothing recorded: not counted yet
        "within": breach(at(2026, 9, 30, 20), regulator_deadline=at(2026, 10, 3, 20)),
        # not notifiable, deadline long passed, never notified: excluded
        "not_notifiable": breach(at(2026, 7, 2), decision_notify_regulator="no",
                                 regulator_deadline=at(2026, 7, 5)),
        # no deadline was ever set: cannot be judged, excluded
        "no_clock": breach(at(2026, 7, 15)),
    }  # fmt: skip


def test_each_rule_worked_by_hand(each_rule: dict[str, Incident]) -> None:
    h = figures_at(at(2026, 10, 2)).current
    assert h.breaches == 7
    assert h.notifiable == 3  # decided "notify": on_time, notified_late, decided_not_sent
    assert h.on_time == 1
    assert h.notified_late == 1
    assert h.missed == 2  # unrecorded and decided_not_sent
    assert h.missed_undecided == 1  # unrecorded
    assert h.within_deadline == 1  # within: not counted yet
    # 1 on time of 4 counted (on_time, notified_late, unrecorded, decided_not_sent).
    assert h.notified_on_time_pct == pytest.approx(25.0)
    assert h.on_time_status == (
        "Below target (100 %): 3 of 4 breaches were notified late — 1 notified after its "
        "deadline; 2 past their deadline with no notification recorded (1 with no decision "
        "recorded either). Not counted yet: 1 breach is still within its deadline."
    )


def test_a_breach_within_its_deadline_is_counted_once_it_passes(
    each_rule: dict[str, Incident],
) -> None:
    # At noon on 4 October the last deadline (3 Oct, 20:00) has passed with nothing recorded.
    h = figures_at(at(2026, 10, 4)).current
    assert (h.on_time, h.late, h.within_deadline) == (1, 4, 0)
    assert h.notified_on_time_pct == pytest.approx(20.0)
    # Had it been notified on 3 October, before its deadline, it would count on time.
    Incident.objects.filter(pk=each_rule["within"].pk).update(regulator_notified_at=at(2026, 10, 3))
    h = figures_at(at(2026, 10, 4)).current
    assert (h.on_time, h.late, h.within_deadline) == (2, 3, 0)
    assert h.notified_on_time_pct == pytest.approx(40.0)


def test_every_breach_on_time_is_on_target_in_words() -> None:
    for day in (6, 13):
        breach(at(2026, 7, day), decision_notify_regulator="yes",
               regulator_deadline=at(2026, 7, day + 3),
               regulator_notified_at=at(2026, 7, day + 1))  # fmt: skip
    h = figures_at(at(2026, 10, 2)).current
    assert h.notified_on_time_pct == 100.0 and not h.on_time_below_target
    assert h.on_time_status == "On target: all 2 breaches counted were notified on time."
    # Aware at 10:00 (two hours before the report), notified the next day at noon: 26 h.
    assert h.median_hours_to_notification == pytest.approx(26.0)
    assert h.notification_status == "On target (at most 72 hours)." and not (
        h.notification_above_target
    )


def test_nothing_past_its_deadline_yet_says_so() -> None:
    breach(at(2026, 9, 30, 20), regulator_deadline=at(2026, 10, 3, 20))
    h = figures_at(at(2026, 10, 1)).current
    assert h.notified_on_time_pct is None and not h.on_time_below_target
    assert h.on_time_status == "Not counted yet: 1 breach is still within its deadline."


def test_the_median_target_is_the_notification_target_setting(settings) -> None:  # type: ignore[no-untyped-def]
    # Notified 80 h after awareness (before a 90-hour deadline).
    breach(at(2026, 7, 6), decision_notify_regulator="yes",
           regulator_deadline=at(2026, 7, 9, 22), regulator_notified_at=at(2026, 7, 9, 18))  # fmt: skip
    h = figures_at(at(2026, 10, 2)).current
    assert h.median_hours_to_notification == pytest.approx(80.0)
    assert h.notification_above_target and h.notification_target_hours == 72
    settings.TRIAGE_NZ_TARGET_HOURS = 96
    h = figures_at(at(2026, 10, 2)).current
    assert not h.notification_above_target
    assert h.notification_status == "On target (at most 96 hours)."


def test_the_notifiable_list_says_each_outcome_in_words(each_rule: dict[str, Incident]) -> None:
    listed = {n.reference: (n.on_time, n.outcome) for n in figures_at(at(2026, 10, 2)).notifiable}
    ref = {name: incident.reference for name, incident in each_rule.items()}
    assert listed == {
        ref["on_time"]: (True, "Yes"),
        ref["notified_late"]: (False, "No: notified after its deadline"),
        # Late with no decision: listed, as it is counted late.
        ref["unrecorded"]: (False, "No: deadline passed, no decision or notification recorded"),
        ref["decided_not_sent"]: (False, "No: deadline passed, not notified"),
    }  # within (no decision, not yet due), not_notifiable and no_clock are not listed


# --- the quarter in progress: "to date", compared with the same days ------------------------


def test_a_quarter_in_progress_is_to_date_and_compared_with_the_same_days() -> None:
    now = at(2026, 12, 2)  # noon, 2 December: 2026 Q4 is 62½ days old
    # 2026 Q3: two breaches in its first 62½ days, one after (not in the comparison).
    breach(at(2026, 7, 10))
    # Reported 30 Aug, deadline 2 Sep, notified 5 Sep: at the same point of Q3 (noon, 1 Sep)
    # it was still within its deadline, so the comparison does not count it yet.
    breach(at(2026, 8, 30), decision_notify_regulator="yes",
           regulator_deadline=at(2026, 9, 2), regulator_notified_at=at(2026, 9, 5))  # fmt: skip
    breach(at(2026, 9, 20))
    # 2026 Q4 so far: one breach, notified late.
    breach(at(2026, 10, 20), decision_notify_regulator="yes",
           regulator_deadline=at(2026, 10, 23), regulator_notified_at=at(2026, 10, 24))  # fmt: skip
    f = figures_at(now, Quarter(2026, 4))
    assert f.to_date and f.label == "2026 Q4 to date"
    assert (f.dates, f.days) == ("1 Oct – 2 Dec", 63)
    assert f.compared_label == "Same days of 2026 Q3"
    assert f.compared_note == (
        "2026 Q4 to date covers 63 days (1 Oct – 2 Dec). Each figure is shown beside the same "
        "63 days of 2026 Q3 (1 Jul – 1 Sep), with deadlines, notifications and actions as they "
        "stood at that point, so a part quarter is not set against a whole one."
    )
    assert (f.current.breaches, f.current.notified_on_time_pct) == (1, 0.0)
    p = f.previous
    assert p.breaches == 2  # not the 20 September one
    assert (p.within_deadline, p.late, p.notified_on_time_pct) == (1, 0, None)
    assert p.median_hours_to_notification is None  # notified 5 Sep: after the same point
    assert f.trend[-1] == {"quarter": "2026 Q4 to date", "breaches": 1, "near_misses": 0}
    # A complete quarter is compared with the whole previous one.
    whole = figures_at(at(2026, 12, 2), Q3)
    assert not whole.to_date and (whole.label, whole.dates) == ("2026 Q3", "1 Jul – 30 Sep")
    assert whole.compared_label == "2026 Q2"
    assert whole.previous.breaches == 0 and whole.current.breaches == 3


def test_a_quarter_not_started_has_no_figures() -> None:
    with pytest.raises(ValueError, match="has not started"):
        Period.of(Quarter(2027, 1), at(2026, 12, 2))


def test_the_same_days_never_run_past_the_previous_quarter() -> None:
    # 30 June is day 91 of Q2; Q1 2026 has only 90 days: the comparison is the whole of Q1.
    period = Period.of(Quarter(2026, 2), at(2026, 6, 30, 23))
    comparison = period.comparison()
    assert comparison.end == Quarter(2026, 1).bounds()[1]
    assert (comparison.dates, comparison.days) == ("1 Jan – 31 Mar", 90)
