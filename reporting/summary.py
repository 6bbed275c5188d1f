"""The Summary: the key messages of a quarter, written from its figures (SPEC §6).

Page 2 of the quarterly report and the top of the dashboard show the same list, made here by a
pure function of :class:`~reporting.figures.QuarterFigures` (no queries):

- breaches, near misses and notifiable breaches: whether each **rose, fell or held steady**
  against the previous quarter, and how it stands against the average of the four quarters
  before (both said in words with the numbers); a first quarter has nothing to compare with;
- notifications to the Commissioner: **late ones** (or none late), against the 100 % target;
- the median hours to notification against its target, and to containment;
- **overdue remediation actions**;
- **units flagged for possible under-reporting**: near-miss share persistently below the
  unit's control limit (docs/reporting.md);
- **recurring causes** (the same cause in the same unit three or more times in four quarters);
- **notices to affected people sent late** or past their due date (only when there are any);
- the **reporting culture**: confidential and anonymous reports, days from occurrence to report.

A message about a figure outside its target, or a finding that needs the reader's attention
(late notifications, overdue actions, flagged units, recurring causes, late notices), is
``flagged``: the page marks it in words ("Needs attention"), not by colour alone. "Steady"
means within ``STEADY_PERCENT`` of the figure compared with. Tests: tests/reporting/test_summary.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from reporting.figures import Headline, QuarterFigures
from reporting.sentences import percent

# A change smaller than this (in per cent of the figure compared with) is "steady".
STEADY_PERCENT = 5
# At most this many units or causes are named in one message; the rest are counted.
NAMED = 3


class Kind(StrEnum):
    """What a message says (for tests and for the page to mark it)."""

    RISE = "rise"
    FALL = "fall"
    STEADY = "steady"
    NO_PREVIOUS = "no_previous"
    LATE = "late"
    NONE_LATE = "none_late"
    NONE_COUNTED = "none_counted"
    TARGET_MISSED = "target_missed"
    TARGET_MET = "target_met"
    OVERDUE = "overdue"
    NONE_OVERDUE = "none_overdue"
    UNDER_REPORTING = "under_reporting"
    NONE_UNDER_REPORTING = "none_under_reporting"
    RECURRING = "recurring"
    NONE_RECURRING = "none_recurring"
    NOTICES_LATE = "notices_late"
    CULTURE = "culture"


@dataclass(frozen=True)
class Message:
    """One key message: its topic ("Breaches"), what it says (:class:`Kind`), its words, and
    whether it needs the reader's attention."""

    topic: str
    kind: Kind
    text: str
    flagged: bool = False


def number(value: float) -> str:
    """``13,183``, ``381.5``."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def _plural(count: int, one: str, many: str) -> str:
    return f"{number(count)} {one if count == 1 else many}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{number(value)} %"


def _change(current: float, base: float) -> tuple[Kind, int]:
    """The direction of ``current`` against ``base`` and the change in whole per cent of it:
    ``rise``, ``fall`` or ``steady`` (equal, or within STEADY_PERCENT)."""
    if current == base:
        return Kind.STEADY, 0
    if base == 0:
        return Kind.RISE, 0
    percent = round(abs(current - base) / base * 100)
    if percent < STEADY_PERCENT:
        return Kind.STEADY, percent
    return (Kind.RISE if current > base else Kind.FALL), percent


def against_previous(current: float, previous: float, phrase: str, shown: str) -> tuple[Kind, str]:
    """(kind, words): ``up 12 % on 2026 Q2 (368)``, ``down 3 % on …``, ``about level with …``,
    ``the same as …``, ``up from none in …``. ``shown`` is the previous figure as written."""
    kind, percent = _change(current, previous)
    if current == previous:
        return kind, f"the same as {phrase}"
    if previous == 0:
        return kind, f"up from none in {phrase}"
    if kind == Kind.STEADY:
        return kind, f"about level with {phrase} ({shown})"
    return kind, f"{'up' if kind == Kind.RISE else 'down'} {percent} % on {phrase} ({shown})"


def against_average(current: float, average: float, label: str) -> tuple[Kind, str]:
    """(kind, words): ``8 % above the four-quarter average (381.5)``, ``… below …``,
    ``in line with …``."""
    kind, percent = _change(current, average)
    if kind == Kind.STEADY:
        return kind, f"in line with {label} ({number(average)})"
    where = "above" if kind == Kind.RISE else "below"
    if average == 0:
        return kind, f"{where} {label} (0)"
    return kind, f"{percent} % {where} {label} ({number(average)})"


def count_message(
    figures: QuarterFigures, topic: str, current: int, previous: int, average: float | None
) -> Message:
    """A count (breaches, near misses, notifiable breaches) against the previous quarter and
    the average of the quarters before."""
    label, phrase, avg = figures.label, figures.compared_phrase, figures.average
    name = topic.lower()
    if not avg.quarters:
        return Message(
            topic,
            Kind.NO_PREVIOUS,
            f"{topic}: {number(current)} in {label}, the first quarter with figures in the "
            "register, so there is nothing earlier to compare with.",
        )
    kind, versus_previous = against_previous(current, previous, phrase, number(previous))
    # The average adds nothing when it is the previous quarter alone.
    has_average = average is not None and len(avg.quarters) > 1
    if current == 0 and previous == 0:
        text = f"No {name} in {label}, as in {phrase}"
        if average is not None and has_average:
            text += f"; {avg.label} was {number(average)}"
        return Message(topic, kind, f"{text}.")
    versus_average = ""
    if average is not None and has_average:
        average_kind, words = against_average(current, average, avg.label)
        opposite = {kind, average_kind} == {Kind.RISE, Kind.FALL}
        versus_average = f"{' but' if opposite else ' and'} {words}"
    verb = {Kind.RISE: "rose to", Kind.FALL: "fell to", Kind.STEADY: "held steady at"}[kind]
    text = f"{topic} {verb} {number(current)} in {label}: {versus_previous}{versus_average}."
    return Message(topic, kind, text)


def on_time_message(figures: QuarterFigures) -> Message:
    """Late notifications (or none), against the 100 % target."""
    c, p, avg = figures.current, figures.previous, figures.average
    topic = "Notified on time"
    if c.counted_for_on_time == 0:
        text = c.on_time_status or (
            f"No breach of {figures.label} reached its notification deadline."
        )
        return Message(topic, Kind.NONE_COUNTED, text)

    def share(value: float | None, where: str) -> str:
        return f"none counted in {where}" if value is None else f"{_percent(value)} in {where}"

    compared = share(p.notified_on_time_pct, figures.compared_phrase)
    if avg.quarters and len(avg.quarters) > 1:
        compared += f" and {share(avg.notified_on_time_pct, avg.label)}"
    text = f"{c.on_time_status} On time: {_percent(c.notified_on_time_pct)}, against {compared}."
    if c.late:
        return Message(topic, Kind.LATE, text, flagged=True)
    return Message(topic, Kind.NONE_LATE, text)


def notification_hours_message(figures: QuarterFigures) -> Message | None:
    """The median hours to notification against its target (None when nothing was notified)."""
    c, p = figures.current, figures.previous
    median = c.median_hours_to_notification
    if median is None:
        return None
    before = p.median_hours_to_notification
    compared = (
        f"{number(before)} hours in {figures.compared_phrase}"
        if before is not None
        else f"none notified in {figures.compared_phrase}"
    )
    target = c.notification_target_hours
    state = "Above target" if c.notification_above_target else "On target"
    text = (
        f"{state} (at most {target} hours): the median was {number(median)} hours from "
        f"awareness to notification, against {compared}."
    )
    kind = Kind.TARGET_MISSED if c.notification_above_target else Kind.TARGET_MET
    return Message("Time to notify", kind, text, flagged=c.notification_above_target)


def containment_message(figures: QuarterFigures) -> Message | None:
    """The median hours to containment against the previous quarter (no target)."""
    median = figures.current.median_hours_to_containment
    if median is None:
        return None
    before = figures.previous.median_hours_to_containment
    text = f"Breaches were contained a median of {number(median)} hours after awareness"
    if before is None:
        return Message(
            "Time to contain",
            Kind.NO_PREVIOUS,
            f"{text}; none was contained in {figures.compared_phrase}.",
        )
    kind, words = against_previous(
        median, before, figures.compared_phrase, f"{number(before)} hours"
    )
    return Message("Time to contain", kind, f"{text}: {words}.")


def actions_message(figures: QuarterFigures) -> Message:
    c, p = figures.current, figures.previous
    when = "now" if figures.to_date else "at the quarter's end"
    oldest = figures.actions.oldest_overdue_days if figures.actions else None
    compared = f"{number(p.overdue_actions)} overdue in {figures.compared_phrase}"
    if c.overdue_actions:
        was = "was" if c.overdue_actions == 1 else "were"
        text = (
            f"{_plural(c.overdue_actions, 'remediation action', 'remediation actions')} {was} "
            f"overdue {when}, of {number(c.open_actions)} open"
        )
        if oldest is not None:
            text += f"; the oldest {_plural(oldest, 'day', 'days')} past its due date"
        return Message("Overdue actions", Kind.OVERDUE, f"{text} ({compared}).", flagged=True)
    if not c.open_actions:
        text = f"No remediation action was open or overdue {when} ({compared})."
    else:
        text = (
            f"No remediation action was overdue {when}, of {number(c.open_actions)} open "
            f"({compared})."
        )
    return Message("Overdue actions", Kind.NONE_OVERDUE, text)


def _named(items: list[str], total: int) -> str:
    shown = items[:NAMED]
    more = total - len(shown)
    if more > 0:
        return f"{'; '.join(shown)} and {number(more)} more"
    if len(shown) == 1:
        return shown[0]
    return f"{'; '.join(shown[:-1])} and {shown[-1]}"


def under_reporting_message(figures: QuarterFigures) -> Message:
    """Units whose near-miss share was below their control limit in the period and in an
    earlier quarter of the four (docs/reporting.md, "Possible under-reporting")."""
    flagged = [u for u in figures.units if u.possible_under_reporting]
    topic = "Possible under-reporting"
    agency = figures.control[0].share if figures.control else None
    share = f"the agency's share was {percent(agency)}" if agency is not None else ""
    if not flagged:
        text = "No unit's share of near misses was persistently below its control limit"
        return Message(
            topic, Kind.NONE_UNDER_REPORTING, f"{text} ({share})." if share else f"{text}."
        )
    names = [
        f"{u.unit} ({percent(u.near_miss_share)} of {number(u.reports)} reports, limit "
        f"{percent(u.lower_limit)})"
        for u in flagged
    ]
    one = len(flagged) == 1
    whose = "unit's" if one else "units'"
    text = (
        f"{number(len(flagged))} {whose} share of near misses was below "
        f"{'its' if one else 'their'} control limit in {figures.label} and in an earlier "
        f"quarter, which may mean near misses go unreported: {_named(names, len(flagged))}."
    )
    if share:
        text += f" The agency's share was {percent(agency)}."
    return Message(topic, Kind.UNDER_REPORTING, text, flagged=True)


def notices_message(figures: QuarterFigures) -> Message | None:
    """Notices to affected people sent after their due date, or past it and not sent (issue
    16); None when there were none."""
    c, p = figures.current, figures.previous
    if not (c.notices_late or c.notices_overdue):
        return None
    when = "now" if figures.to_date else "at the quarter's end"
    if c.notices_late:
        was = "was sent after its" if c.notices_late == 1 else "were sent after their"
        text = (
            f"{number(c.notices_late)} of {_plural(c.notices_sent, 'notice', 'notices')} to "
            f"affected people sent in {figures.label} {was} due date"
        )
    else:
        text = f"No notice to affected people sent in {figures.label} was late"
    if c.notices_overdue:
        past = (
            "was past its due date and not sent"
            if c.notices_overdue == 1
            else "were past their due date and not sent"
        )
        text += (
            f"{', and' if c.notices_late else ', but'} {number(c.notices_overdue)} {past} {when}"
        )
    before = (
        f"{figures.compared_phrase}: {number(p.notices_late)} of {number(p.notices_sent)} late, "
        f"{number(p.notices_overdue)} not sent"
    )
    return Message(
        "Notices to affected people", Kind.NOTICES_LATE, f"{text} ({before}).", flagged=True
    )


def culture_message(figures: QuarterFigures) -> Message | None:
    """Confidential and anonymous reports against the previous quarter, and the median days
    from occurrence to report (None when nothing was reported)."""
    c, p = figures.current, figures.previous
    if not c.reports:
        return None
    if p.reports:
        before = (
            f"{figures.compared_phrase}: {_percent(p.confidential_pct)} and "
            f"{_percent(p.anonymous_pct)}"
        )
    else:
        before = f"none reported in {figures.compared_phrase}"
    text = (
        f"{_percent(c.confidential_pct)} of reports were confidential and "
        f"{_percent(c.anonymous_pct)} anonymous ({before})."
    )
    if c.median_days_to_report is not None:
        text += (
            f" The median time from occurrence to report was "
            f"{_plural_float(c.median_days_to_report, 'day', 'days')} where the occurrence is "
            f"known ({number(c.days_to_report_known)} of "
            f"{_plural(c.reports, 'report', 'reports')})."
        )
    return Message("Reporting culture", Kind.CULTURE, text)


def _plural_float(value: float, one: str, many: str) -> str:
    return f"{number(value)} {one if value == 1 else many}"


def recurring_message(figures: QuarterFigures) -> Message:
    recurring = figures.recurring
    topic = "Recurring causes"
    if not recurring:
        return Message(
            topic,
            Kind.NONE_RECURRING,
            "No cause recurred in the same unit three or more times in the last four quarters.",
        )
    named = [f"{r.cause} in {r.unit} ({number(r.count)} times)" for r in recurring]
    count = _plural(len(recurring), "recurring cause", "recurring causes")
    most = "" if len(recurring) == 1 else ", the most frequent first"
    return Message(
        topic,
        Kind.RECURRING,
        f"{count} (the same cause in the same unit three or more times in the last four "
        f"quarters){most}: {_named(named, len(recurring))}.",
        flagged=True,
    )


def key_messages(figures: QuarterFigures) -> list[Message]:
    """The Summary of ``figures``, in reading order (see the module docstring)."""
    c: Headline = figures.current
    p: Headline = figures.previous
    avg = figures.average
    messages: list[Message | None] = [
        count_message(figures, "Breaches", c.breaches, p.breaches, avg.breaches),
        count_message(figures, "Near misses", c.near_misses, p.near_misses, avg.near_misses),
        count_message(figures, "Notifiable breaches", c.notifiable, p.notifiable, avg.notifiable),
        on_time_message(figures),
        notification_hours_message(figures),
        containment_message(figures),
        actions_message(figures),
        notices_message(figures),
        under_reporting_message(figures),
        recurring_message(figures),
        culture_message(figures),
    ]
    return [m for m in messages if m is not None]
