"""The Summary's key messages, each kind worked by hand (issue 14, SPEC §6).

``key_messages`` is a pure function of the figures, so each case builds figures directly and
reads the words back; tests/reporting/test_report_volume.py checks the Summary is page 2 of the
PDF and tests/reporting/test_dashboard.py that the dashboard shows the same messages.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from reporting.figures import (
    ActionFigures,
    AgencyShare,
    Average,
    Headline,
    QuarterFigures,
    Recurring,
    UnitRow,
)
from reporting.summary import Message, against_average, against_previous, key_messages

FOUR = ["2025 Q3", "2025 Q4", "2026 Q1", "2026 Q2"]


def headline(**kw: Any) -> Headline:
    values: dict[str, Any] = {
        "breaches": 0, "near_misses": 0, "notifiable": 0, "notified_on_time_pct": None,
        "median_hours_to_containment": None, "median_hours_to_notification": None,
        "open_actions": 0, "overdue_actions": 0, "notification_target_hours": 72,
    }  # fmt: skip
    values.update(kw)
    return Headline(**values)


def figures(
    current: Headline | None = None,
    previous: Headline | None = None,
    average: Average | None = None,
    **kw: Any,
) -> QuarterFigures:
    values: dict[str, Any] = {
        "quarter": "2026Q3",
        "generated_for": "the whole agency",
        "current": current or headline(),
        "previous": previous or headline(),
        "average": average
        or Average(quarters=FOUR, label="the four-quarter average", breaches=0, near_misses=0,
                   notifiable=0),
        "label": "2026 Q3",
        "compared_label": "2026 Q2",
        "compared_phrase": "2026 Q2",
        "actions": ActionFigures(completed=0, open=0, overdue=0, oldest_overdue_days=None),
    }  # fmt: skip
    values.update(kw)
    return QuarterFigures(**values)


def message(f: QuarterFigures, topic: str) -> Message:
    [found] = [m for m in key_messages(f) if m.topic == topic]
    return found


# --- rises, falls, steady, against the previous quarter and the four-quarter average --------


def test_a_rise_against_both() -> None:
    f = figures(
        headline(breaches=412),
        headline(breaches=368),
        Average(quarters=FOUR, label="the four-quarter average", breaches=381.5),
    )
    m = message(f, "Breaches")
    # 412 / 368 = +11.96 % → 12 %; 412 / 381.5 = +7.99 % → 8 %.
    assert m.kind == "rise" and not m.flagged
    assert m.text == (
        "Breaches rose to 412 in 2026 Q3: up 12 % on 2026 Q2 (368) and 8 % above the "
        "four-quarter average (381.5)."
    )


def test_a_fall_against_both() -> None:
    f = figures(
        headline(near_misses=120),
        headline(near_misses=150),
        Average(quarters=FOUR, label="the four-quarter average", near_misses=133.3),
    )
    m = message(f, "Near misses")
    # 120 / 150 = −20 %; 120 / 133.3 = −9.98 % → 10 %.
    assert m.kind == "fall"
    assert m.text == (
        "Near misses fell to 120 in 2026 Q3: down 20 % on 2026 Q2 (150) and 10 % below the "
        "four-quarter average (133.3)."
    )


def test_a_rise_on_the_quarter_but_below_the_average_says_but() -> None:
    f = figures(
        headline(breaches=1_100),
        headline(breaches=1_000),
        Average(quarters=FOUR, label="the four-quarter average", breaches=1_250),
    )
    assert message(f, "Breaches").text == (
        "Breaches rose to 1,100 in 2026 Q3: up 10 % on 2026 Q2 (1,000) but 12 % below the "
        "four-quarter average (1,250)."
    )


def test_steady_within_five_per_cent() -> None:
    f = figures(
        headline(notifiable=40),
        headline(notifiable=41),
        Average(quarters=FOUR, label="the four-quarter average", notifiable=36),
    )
    m = message(f, "Notifiable breaches")
    # 40 / 41 = −2.4 %: steady; 40 / 36 = +11 %.
    assert m.kind == "steady"
    assert m.text == (
        "Notifiable breaches held steady at 40 in 2026 Q3: about level with 2026 Q2 (41) and "
        "11 % above the four-quarter average (36)."
    )
    same = figures(headline(notifiable=40), headline(notifiable=40),
                   Average(quarters=FOUR, label="the four-quarter average", notifiable=39))  # fmt: skip
    assert message(same, "Notifiable breaches").text == (
        "Notifiable breaches held steady at 40 in 2026 Q3: the same as 2026 Q2 and in line "
        "with the four-quarter average (39)."
    )


def test_up_from_none_and_none_at_all() -> None:
    f = figures(headline(notifiable=3), headline(notifiable=0))
    m = message(f, "Notifiable breaches")
    assert m.kind == "rise"
    assert m.text == (
        "Notifiable breaches rose to 3 in 2026 Q3: up from none in 2026 Q2 and above the "
        "four-quarter average (0)."
    )
    quiet = figures(average=Average(quarters=FOUR, label="the four-quarter average",
                                    notifiable=1.5))  # fmt: skip
    m = message(quiet, "Notifiable breaches")
    assert m.kind == "steady"
    assert m.text == (
        "No notifiable breaches in 2026 Q3, as in 2026 Q2; the four-quarter average was 1.5."
    )


def test_no_previous_data() -> None:
    """The register's first quarter: nothing earlier to compare with, said so."""
    f = figures(headline(breaches=7), average=Average())
    m = message(f, "Breaches")
    assert m.kind == "no_previous"
    assert m.text == (
        "Breaches: 7 in 2026 Q3, the first quarter with figures in the register, so there is "
        "nothing earlier to compare with."
    )


def test_fewer_than_four_quarters_and_one_quarter() -> None:
    two = Average(quarters=FOUR[2:], label="the average of the two quarters before", breaches=10)
    assert message(figures(headline(breaches=15), headline(breaches=12), two), "Breaches").text == (
        "Breaches rose to 15 in 2026 Q3: up 25 % on 2026 Q2 (12) and 50 % above the average of "
        "the two quarters before (10)."
    )
    # One quarter before: its average is the previous quarter itself, said once.
    one = Average(quarters=FOUR[3:], label="the one quarter before", breaches=12)
    assert message(figures(headline(breaches=15), headline(breaches=12), one), "Breaches").text == (
        "Breaches rose to 15 in 2026 Q3: up 25 % on 2026 Q2 (12)."
    )


def test_a_quarter_to_date_is_compared_with_the_same_days() -> None:
    f = figures(
        headline(breaches=30),
        headline(breaches=20),
        Average(quarters=FOUR, label="the average of the same days of the four quarters before",
                breaches=24),
        label="2026 Q4 to date", to_date=True, compared_phrase="the same 63 days of 2026 Q3",
    )  # fmt: skip
    assert message(f, "Breaches").text == (
        "Breaches rose to 30 in 2026 Q4 to date: up 50 % on the same 63 days of 2026 Q3 (20) and "
        "25 % above the average of the same days of the four quarters before (24)."
    )


def test_the_comparison_phrases() -> None:
    assert against_previous(10, 10, "2026 Q2", "10") == ("steady", "the same as 2026 Q2")
    assert against_previous(104, 100, "2026 Q2", "100") == (
        "steady",
        "about level with 2026 Q2 (100)",
    )
    assert against_previous(105, 100, "2026 Q2", "100") == ("rise", "up 5 % on 2026 Q2 (100)")
    assert against_average(95, 100, "the four-quarter average") == (
        "fall",
        "5 % below the four-quarter average (100)",
    )


# --- notifications: late, none late, targets --------------------------------------------------


def test_late_notifications_are_flagged() -> None:
    c = headline(notified_on_time_pct=60.0, on_time=3, notified_late=1, missed=1,
                 missed_undecided=1, on_time_below_target=True,
                 on_time_status="Below target (100 %): 2 of 5 breaches were notified late — 1 "
                 "notified after its deadline; 1 past its deadline with no notification or "
                 "decision recorded.")  # fmt: skip
    p = headline(notified_on_time_pct=100.0, on_time=4)
    avg = Average(quarters=FOUR, label="the four-quarter average", notified_on_time_pct=92.3)
    m = message(figures(c, p, avg), "Notified on time")
    assert m.kind == "late" and m.flagged
    assert m.text == (
        "Below target (100 %): 2 of 5 breaches were notified late — 1 notified after its "
        "deadline; 1 past its deadline with no notification or decision recorded. On time: "
        "60 %, against 100 % in 2026 Q2 and 92.3 % in the four-quarter average."
    )


def test_none_late() -> None:
    c = headline(notified_on_time_pct=100.0, on_time=5,
                 on_time_status="On target: all 5 breaches counted were notified on time.")  # fmt: skip
    m = message(figures(c), "Notified on time")
    assert m.kind == "none_late" and not m.flagged
    assert m.text == (
        "On target: all 5 breaches counted were notified on time. On time: 100 %, against none "
        "counted in 2026 Q2 and none counted in the four-quarter average."
    )


def test_nothing_counted_yet() -> None:
    m = message(figures(), "Notified on time")
    assert (m.kind, m.flagged) == ("none_counted", False)
    assert m.text == "No breach of 2026 Q3 reached its notification deadline."
    waiting = headline(within_deadline=1,
                       on_time_status="Not counted yet: 1 breach is still within its deadline.")  # fmt: skip
    assert message(figures(waiting), "Notified on time").text == (
        "Not counted yet: 1 breach is still within its deadline."
    )


def test_the_notification_target_missed_and_met() -> None:
    missed = headline(median_hours_to_notification=75.0, notification_above_target=True)
    m = message(figures(missed, headline(median_hours_to_notification=48.0)), "Time to notify")
    assert m.kind == "target_missed" and m.flagged
    assert m.text == (
        "Above target (at most 72 hours): the median was 75 hours from awareness to "
        "notification, against 48 hours in 2026 Q2."
    )
    met = headline(median_hours_to_notification=40.5)
    m = message(figures(met), "Time to notify")
    assert m.kind == "target_met" and not m.flagged
    assert m.text == (
        "On target (at most 72 hours): the median was 40.5 hours from awareness to "
        "notification, against none notified in 2026 Q2."
    )
    # Nothing notified: no message about the median at all.
    assert all(m.topic != "Time to notify" for m in key_messages(figures()))


def test_time_to_contain_against_the_previous_quarter() -> None:
    f = figures(headline(median_hours_to_containment=8.0),
                headline(median_hours_to_containment=10.0))  # fmt: skip
    m = message(f, "Time to contain")
    assert m.kind == "fall"
    assert m.text == (
        "Breaches were contained a median of 8 hours after awareness: down 20 % on 2026 Q2 "
        "(10 hours)."
    )


# --- overdue actions, flagged units, recurring causes ------------------------------------------


def test_overdue_actions() -> None:
    f = figures(
        headline(open_actions=40, overdue_actions=12),
        headline(overdue_actions=8),
        actions=ActionFigures(completed=3, open=40, overdue=12, oldest_overdue_days=45),
    )
    m = message(f, "Overdue actions")
    assert m.kind == "overdue" and m.flagged
    assert m.text == (
        "12 remediation actions were overdue at the quarter's end, of 40 open; the oldest 45 "
        "days past its due date (8 overdue in 2026 Q2)."
    )
    one = figures(headline(open_actions=2, overdue_actions=1),
                  actions=ActionFigures(completed=0, open=2, overdue=1, oldest_overdue_days=1),
                  to_date=True)  # fmt: skip
    assert message(one, "Overdue actions").text == (
        "1 remediation action was overdue now, of 2 open; the oldest 1 day past its due date "
        "(0 overdue in 2026 Q2)."
    )


def test_no_overdue_actions() -> None:
    m = message(figures(headline(open_actions=6)), "Overdue actions")
    assert (m.kind, m.flagged) == ("none_overdue", False)
    assert m.text == (
        "No remediation action was overdue at the quarter's end, of 6 open (0 overdue in 2026 Q2)."
    )
    assert message(figures(), "Overdue actions").text == (
        "No remediation action was open or overdue at the quarter's end (0 overdue in 2026 Q2)."
    )


def unit(name: str, breaches: int, near_misses: int, limit: float | None = None) -> UnitRow:
    """A unit row; flagged (persistently below its limit) when ``limit`` is above its share."""
    share = near_misses / (breaches + near_misses)
    below = limit is not None and share < limit
    return UnitRow(
        name, breaches, near_misses, None, possible_under_reporting=below,
        near_miss_share=share, lower_limit=limit, below_limit=below,
        quarters_below=["2026 Q3", "2026 Q1"] if below else [],
    )  # fmt: skip


# The agency's near-miss share in 2026 Q3 and the three quarters before.
CONTROL = [AgencyShare("2026 Q3", 40, 100, 0.4, 14)] + [
    AgencyShare(q, 0, 0, None, None) for q in ["2026 Q2", "2026 Q1", "2025 Q4"]
]


def test_flagged_units_named_in_the_order_of_the_table_and_the_rest_counted() -> None:
    """Units persistently below their control limit (docs/reporting.md): the figures behind
    the flag are named with each unit, the agency's share once."""
    units = [unit("Manukau", 19, 1, 0.0714), unit("Hamilton", 10, 4), unit("Rotorua", 18, 0, 0.08),
             unit("Dunedin", 30, 2, 0.1875), unit("Napier", 40, 5, 0.2)]  # fmt: skip
    m = message(figures(units=units, control=CONTROL), "Possible under-reporting")
    assert m.kind == "under_reporting" and m.flagged
    assert m.text == (
        "4 units' share of near misses was below their control limit in 2026 Q3 and in an "
        "earlier quarter, which may mean near misses go unreported: Manukau (5 % of 20 "
        "reports, limit 7.1 %); Rotorua (0 % of 18 reports, limit 8 %); Dunedin (6.2 % of 32 "
        "reports, limit 18.8 %) and 1 more. The agency's share was 40 %."
    )
    one = message(figures(units=units[:1], control=CONTROL), "Possible under-reporting")
    assert one.text == (
        "1 unit's share of near misses was below its control limit in 2026 Q3 and in an "
        "earlier quarter, which may mean near misses go unreported: Manukau (5 % of 20 "
        "reports, limit 7.1 %). The agency's share was 40 %."
    )
    # Breaches and no near misses, but too few reports for a limit: not flagged (the old rule
    # flagged every such unit).
    none = message(figures(units=[unit("Hamilton", 10, 4), unit("Napier", 5, 0)],
                           control=CONTROL), "Possible under-reporting")  # fmt: skip
    assert (none.kind, none.flagged) == ("none_under_reporting", False)
    assert none.text == (
        "No unit's share of near misses was persistently below its control limit (the "
        "agency's share was 40 %)."
    )


def test_recurring_causes() -> None:
    recurring = [Recurring("Manukau", "Human error: wrong recipient", 9),
                 Recurring("Rotorua", "System or process fault", 4)]  # fmt: skip
    m = message(figures(recurring=recurring), "Recurring causes")
    assert m.kind == "recurring" and m.flagged
    assert m.text == (
        "2 recurring causes (the same cause in the same unit three or more times in the last "
        "four quarters), the most frequent first: Human error: wrong recipient in Manukau (9 "
        "times) and System or process fault in Rotorua (4 times)."
    )
    many = [Recurring(f"Unit {n}", "Other", 10 - n) for n in range(5)]
    assert message(figures(recurring=many), "Recurring causes").text.endswith(
        ": Other in Unit 0 (10 times); Other in Unit 1 (9 times); Other in Unit 2 (8 times) and "
        "2 more."
    )
    none = message(figures(), "Recurring causes")
    assert (none.kind, none.flagged) == ("none_recurring", False)


def test_reading_order_and_only_findings_flagged() -> None:
    f = figures(headline(breaches=2), headline(breaches=1))
    assert [m.topic for m in key_messages(f)] == [
        "Breaches", "Near misses", "Notifiable breaches", "Notified on time",
        "Overdue actions", "Possible under-reporting", "Recurring causes", "Reporting culture",
    ]  # fmt: skip
    assert not any(m.flagged for m in key_messages(f))
    # The function reads nothing but the figures: the same figures, the same words.
    assert key_messages(replace(f)) == key_messages(f)
