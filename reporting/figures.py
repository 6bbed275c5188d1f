"""Figures for the dashboard and the quarterly report (SPEC §6), by database aggregation.

Quarters are calendar quarters in the organisation's time zone. An incident belongs to the
quarter in which it was *reported* (logged). Every figure is computed from a queryset the caller
scoped (``Incident.objects.countable_by(user)``), with aggregate queries: incidents are never
loaded into Python.

A :class:`Period` says which incidents are counted (those reported in ``[start, end)``) and
when their clocks are read (``clock_at``): whether a deadline had passed, a notification or a
containment had been recorded. A complete quarter is read now; the quarter in progress is a
"to date" period, compared with the same stretch of the previous quarter read at the same point,
so like is compared with like. What each figure counts is defined in docs/reporting.md.

Because figures read the clock, :func:`stable_until` says until when figures made now hold with
nothing written; :func:`dashboard_figures` returns that moment with the figures, for the
dashboard's cache (reporting/cache.py). The quarterly report always computes its figures.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.dateformat import format as format_date

from accounts import organisation
from breaches.models import (
    Action,
    Incident,
    IncidentBreachType,
    IncidentInformationCategory,
    IndividualNotice,
    RegulatorDecision,
    Severity,
)
from reporting.sentences import limit_status, what_happened

# The years a quarter may be in: the register holds nothing older than its earliest date (1990).
FIRST_YEAR, LAST_YEAR = 1990, 2100


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def containing(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """``2026Q3`` (or ``2026-Q3``, ``2026 Q3``)."""
        cleaned = text.upper().replace("-", "").replace(" ", "")
        year, _, number = cleaned.partition("Q")
        if not (year.isdigit() and len(year) == 4 and number in {"1", "2", "3", "4"}):
            raise ValueError(f"{text!r} is not a quarter like 2026Q3")
        if not FIRST_YEAR <= int(year) <= LAST_YEAR:
            # Eight quarters of trend before year 1 (or after 9999) are not dates at all.
            raise ValueError(f"{text!r} is outside {FIRST_YEAR}–{LAST_YEAR}")
        return cls(int(year), int(number))

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.number}"

    @property
    def code(self) -> str:
        return f"{self.year}Q{self.number}"

    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    def bounds(self) -> tuple[datetime, datetime]:
        """Start (inclusive) and end (exclusive) as aware datetimes in the organisation's zone."""
        zone = ZoneInfo(settings.TIME_ZONE)
        start = datetime(self.year, 3 * self.number - 2, 1, tzinfo=zone)
        following = self.next()
        end = datetime(following.year, 3 * following.number - 2, 1, tzinfo=zone)
        return start, end

    def since(self, first: Quarter) -> list[Quarter]:
        """The quarters from ``first`` to this one, oldest first (none if ``first`` is later)."""
        quarters: list[Quarter] = []
        quarter = self
        while (quarter.year, quarter.number) >= (first.year, first.number):
            quarters.insert(0, quarter)
            quarter = quarter.previous()
        return quarters

    def last(self, count: int) -> list[Quarter]:
        """The ``count`` quarters ending with this one, oldest first."""
        quarters = [self]
        while len(quarters) < count:
            quarters.insert(0, quarters[0].previous())
        return quarters


@dataclass(frozen=True)
class KindCounts:
    quarter: Quarter
    breaches: int
    near_misses: int


def _kind_aggregates(quarters: list[Quarter]) -> dict[str, Any]:
    aggregates: dict[str, Any] = {}
    for quarter in quarters:
        start, end = quarter.bounds()
        in_quarter = Q(reported_at__gte=start, reported_at__lt=end)
        aggregates[f"b{quarter.code}"] = Count(
            "pk", filter=in_quarter & Q(kind=Incident.Kind.BREACH)
        )
        aggregates[f"n{quarter.code}"] = Count(
            "pk", filter=in_quarter & Q(kind=Incident.Kind.NEAR_MISS)
        )
    return aggregates


def _kind_rows(row: dict[str, Any], quarters: list[Quarter]) -> list[KindCounts]:
    return [KindCounts(q, row[f"b{q.code}"], row[f"n{q.code}"]) for q in quarters]


def kind_counts(incidents: QuerySet[Incident], quarters: list[Quarter]) -> list[KindCounts]:
    """Breaches and near misses reported in each quarter, in one aggregate query."""
    row = incidents.order_by().aggregate(**_kind_aggregates(quarters))
    return _kind_rows(row, quarters)


def quarters_with_data(incidents: QuerySet[Incident]) -> list[Quarter]:
    """The quarters in which at least one of ``incidents`` was reported, newest first.

    Two queries that read an index, whatever the volume: the first and last moments reported,
    then, for each quarter between them, whether anything was reported in it (one ``EXISTS``
    each, in one query), instead of truncating every incident's date to its quarter.
    """
    span = incidents.order_by().aggregate(first=Min("reported_at"), last=Max("reported_at"))
    if span["first"] is None:
        return []
    quarters = Quarter.containing(_day(span["last"])).since(Quarter.containing(_day(span["first"])))
    checks: dict[str, Any] = {}
    for quarter in quarters:
        start, end = quarter.bounds()
        checks[f"q{quarter.code}"] = Exists(
            incidents.order_by().filter(reported_at__gte=start, reported_at__lt=end)
        )
    # One row carries the answers: the first one reported, found by its time in an index.
    row = (
        incidents.order_by().filter(reported_at=span["first"]).annotate(**checks).values(*checks)[0]
    )
    return [q for q in reversed(quarters) if row[f"q{q.code}"]]


def _day(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


@dataclass(frozen=True)
class Period:
    """Which incidents are counted, and when their clocks are read.

    Incidents reported in ``[start, end)`` are counted. ``clock_at`` is the moment at which a
    deadline counts as passed and a notification or containment as recorded (later ones are not
    known yet). A complete quarter is read at the moment the figures are made; a period *to date*
    ends, and is read, at its end. Actions are counted as they stood at ``actions_at``.
    """

    quarter: Quarter
    start: datetime
    end: datetime
    clock_at: datetime
    to_date: bool = False

    @classmethod
    def of(cls, quarter: Quarter, now: datetime) -> Period:
        """The whole quarter once it has ended; else the quarter so far ("to date")."""
        start, end = quarter.bounds()
        now = now.astimezone(start.tzinfo)
        if now >= end:
            return cls(quarter, start, end, now)
        if now < start:
            raise ValueError(f"{quarter.label} has not started yet")
        return cls(quarter, start, now, now, to_date=True)

    def comparison(self) -> Period:
        """What this period is compared with: the whole previous quarter for a complete one;
        for a period to date, the same stretch (by the wall clock) of the previous quarter,
        read at that point, so a quarter half-way through is never set against a whole one."""
        return self.back(1)

    def back(self, quarters: int) -> Period:
        """The same stretch ``quarters`` quarters earlier: the whole quarter for a complete
        period (read at the same moment), the same days of it for a period to date (read at
        their end; never running past that quarter's end)."""
        earlier = self.quarter
        for _ in range(quarters):
            earlier = earlier.previous()
        start, end = earlier.bounds()
        if not self.to_date:
            return Period(earlier, start, end, self.clock_at)
        same = min(start + (self.end - self.start), end)
        return Period(earlier, start, same, same, to_date=True)

    @property
    def actions_at(self) -> datetime:
        return min(self.end, self.clock_at)

    @property
    def first_day(self) -> date:
        return _day(self.start)

    @property
    def last_day(self) -> date:
        return _day(self.end - timedelta(microseconds=1))

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def dates(self) -> str:
        """``1 Oct – 2 Dec``: the first and last day counted, in the organisation's zone."""
        return f"{format_date(self.first_day, 'j M')} – {format_date(self.last_day, 'j M')}"

    @property
    def label(self) -> str:
        return f"{self.quarter.label} to date" if self.to_date else self.quarter.label


def _in(incidents: QuerySet[Incident], period: Period) -> QuerySet[Incident]:
    return incidents.filter(reported_at__gte=period.start, reported_at__lt=period.end)


def median_hours(
    queryset: QuerySet[Incident], until: str, *, by: datetime, count: int | None = None
) -> float | None:
    """Median hours from awareness to ``until`` (a datetime field) among the rows where it was
    recorded by ``by``, computed in the database.

    Portable (PostgreSQL and SQLite): count the rows, then read the middle one or two values in
    duration order. No incident is loaded, only one or two durations. ``count``, when the caller
    has already counted those rows (:func:`headline` does, in its aggregate), saves the count.
    """
    annotated = (
        queryset.filter(**{f"{until}__isnull": False, f"{until}__lte": by})
        .annotate(elapsed=ExpressionWrapper(F(until) - F("aware_at"), output_field=DurationField()))
        .order_by("elapsed", "pk")
    )
    if count is None:
        count = annotated.count()
    if count == 0:
        return None
    middle = annotated.values_list("elapsed", flat=True)
    # Odd: the middle value; even: the mean of the two middle ones.
    values = [middle[count // 2]] if count % 2 else list(middle[count // 2 - 1 : count // 2 + 1])
    hours = [v.total_seconds() / 3600 for v in values]
    return round(sum(hours) / len(hours), 1)


@dataclass
class Headline:
    """The headline figures of one period. ``notified_on_time_pct`` is ``on_time`` out of the
    breaches whose outcome is known: ``on_time + notified_late + missed`` (docs/reporting.md)."""

    breaches: int
    near_misses: int
    notifiable: int
    notified_on_time_pct: float | None
    median_hours_to_containment: float | None
    median_hours_to_notification: float | None
    open_actions: int
    overdue_actions: int
    on_time: int = 0
    notified_late: int = 0
    # Deadline passed with no notification recorded; of them, with no decision recorded either.
    missed: int = 0
    missed_undecided: int = 0
    # Not notified and still within the deadline: not counted yet.
    within_deadline: int = 0
    # Each figure with a target, judged in words ("Below target: …"), not by colour alone.
    on_time_status: str = ""
    on_time_below_target: bool = False
    notification_target_hours: int = 0
    notification_status: str = ""
    notification_above_target: bool = False
    # Reporting culture (issue 17): reports made confidentially or anonymously, of all the
    # period's reports (breaches and near misses).
    confidential: int = 0
    anonymous: int = 0
    # How the incidents came to light: (label, count) in the order of ``Incident.Discovery``,
    # then "Not said" for the reports that left it blank.
    discovered: list[tuple[str, int]] = field(default_factory=list)
    # Days from occurrence to report, over the reports whose occurrence is known (a date not
    # after the report): how many, their median and 90th percentile (nearest rank).
    days_to_report_known: int = 0
    median_days_to_report: float | None = None
    p90_days_to_report: float | None = None
    # Notices to affected people (issue 16): sent in the period, and of them sent after their
    # due date; not sent and past their due date at the period's end (withheld ones never).
    notices_sent: int = 0
    notices_late: int = 0
    notices_overdue: int = 0

    @property
    def late(self) -> int:
        return self.notified_late + self.missed

    @property
    def reports(self) -> int:
        return self.breaches + self.near_misses

    @property
    def confidential_pct(self) -> float | None:
        return _share(self.confidential, self.reports)

    @property
    def anonymous_pct(self) -> float | None:
        return _share(self.anonymous, self.reports)

    @property
    def days_to_report_unknown(self) -> int:
        return self.reports - self.days_to_report_known

    @property
    def counted_for_on_time(self) -> int:
        return self.on_time + self.late


def _share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in per cent, to one decimal; None of nothing."""
    return round(100 * part / whole, 1) if whole else None


def _on_time_status(h: Headline) -> tuple[str, bool]:
    """The on-time figure against its target (every notifiable breach on time), in words."""
    counted, late, within = h.counted_for_on_time, h.late, h.within_deadline
    waiting = (
        f"{_plural(within, 'breach is', 'breaches are')} still within "
        f"{'its' if within == 1 else 'their'} deadline"
    )
    if counted == 0:
        return (f"Not counted yet: {waiting}." if within else ""), False
    if late == 0:
        text = (
            "On target: the 1 breach counted was notified on time."
            if counted == 1
            else f"On target: all {counted} breaches counted were notified on time."
        )
        below = False
    else:
        reasons = []
        if h.notified_late:
            their = "its" if h.notified_late == 1 else "their"
            reasons.append(f"{h.notified_late:,} notified after {their} deadline")
        if h.missed:
            their = "its" if h.missed == 1 else "their"
            undecided, decided = h.missed_undecided, h.missed - h.missed_undecided
            if undecided and decided:
                reasons.append(
                    f"{h.missed:,} past {their} deadline with no notification recorded "
                    f"({undecided:,} with no decision recorded either)"
                )
            elif undecided:
                reasons.append(
                    f"{h.missed:,} past {their} deadline with no notification or decision recorded"
                )
            else:
                reasons.append(
                    f"{h.missed:,} past {their} deadline, decided notifiable but not notified"
                )
        text = (
            f"Below target (100 %): {late:,} of {_plural(counted, 'breach', 'breaches')} "
            f"{'was' if late == 1 else 'were'} notified late — {'; '.join(reasons)}."
        )
        below = True
    if within:
        text += f" Not counted yet: {waiting}."
    return text, below


def _notification_status(median: float | None, target: int) -> tuple[str, bool]:
    """The median hours to notification against its target (the organisation's), in words."""
    if median is None:
        return "", False
    if median > target:
        return (
            f"Above target (at most {target} hours): the median was {median:g} hours from "
            "awareness to notification.",
            True,
        )
    return f"On target (at most {target} hours).", False


BREACH = Q(kind=Incident.Kind.BREACH)
NOTIFIABLE = BREACH & Q(decision_notify_regulator=RegulatorDecision.NOTIFY)


@dataclass(frozen=True)
class ClockRules:
    """The notification clock read at one moment, as filters (docs/reporting.md, "Notified on
    time"): the one definition behind the headline figures, the four-quarter average and the
    order of the notifiable list."""

    on_time: Q
    notified_late: Q
    missed: Q
    within_deadline: Q

    @classmethod
    def at(cls, clock: datetime) -> ClockRules:
        # A breach is on the notification clock unless decided not notifiable; one without a
        # deadline (none was ever set) cannot be judged on time or late.
        on_clock = (
            BREACH
            & Q(regulator_deadline__isnull=False)
            & ~Q(decision_notify_regulator=RegulatorDecision.DO_NOT_NOTIFY)
        )
        notified = Q(regulator_notified_at__lte=clock)
        not_notified = Q(regulator_notified_at__isnull=True) | Q(regulator_notified_at__gt=clock)
        return cls(
            on_time=on_clock & notified & Q(regulator_notified_at__lte=F("regulator_deadline")),
            notified_late=on_clock
            & notified
            & Q(regulator_notified_at__gt=F("regulator_deadline")),
            missed=on_clock & not_notified & Q(regulator_deadline__lt=clock),
            within_deadline=on_clock & not_notified & Q(regulator_deadline__gte=clock),
        )

    @property
    def late(self) -> Q:
        return self.notified_late | self.missed


# How incidents came to light, in the order shown, with the reports that did not say.
DISCOVERY: list[tuple[str, str]] = [
    (Incident.Discovery.SELF_REPORTED, "Self-reported by whoever made the mistake"),
    (Incident.Discovery.COLLEAGUE, "Noticed by a colleague"),
    (Incident.Discovery.CLIENT_OR_PUBLIC, "Told by a client or the public"),
    (Incident.Discovery.AUDIT, "Found by an audit or check"),
    (Incident.Discovery.SYSTEM_ALERT, "A system alert"),
    ("", "Not said"),
]
# A report whose occurrence is known: a date recorded, not after the report itself.
KNOWN_OCCURRENCE = Q(occurred_at__isnull=False, occurred_at__lte=F("reported_at"))
REPORT_LAG = ExpressionWrapper(F("reported_at") - F("occurred_at"), output_field=DurationField())

# The breaches whose notification counts in the median hours to notification.
TIMED_NOTIFICATION = BREACH & ~Q(decision_notify_regulator=RegulatorDecision.DO_NOT_NOTIFY)


def headline(
    incidents: QuerySet[Incident], period: Period, actions: ActionFigures | None = None
) -> Headline:
    """The headline figures of ``period``; what each counts is in docs/reporting.md.
    ``actions``: the period's action figures, when the caller has them already."""
    rows = _in(incidents, period).order_by()
    clock = period.clock_at
    rules = ClockRules.at(clock)
    counts = rows.aggregate(
        breaches=Count("pk", filter=BREACH),
        near_misses=Count("pk", filter=Q(kind=Incident.Kind.NEAR_MISS)),
        notifiable=Count("pk", filter=NOTIFIABLE),
        on_time=Count("pk", filter=rules.on_time),
        notified_late=Count("pk", filter=rules.notified_late),
        missed=Count("pk", filter=rules.missed),
        missed_undecided=Count("pk", filter=rules.missed & Q(decision_notify_regulator="")),
        within_deadline=Count("pk", filter=rules.within_deadline),
        # How many durations each median reads, counted here rather than by median_hours.
        contained=Count(
            "pk", filter=BREACH & Q(contained_at__isnull=False, contained_at__lte=clock)
        ),
        notified=Count(
            "pk",
            filter=TIMED_NOTIFICATION
            & Q(regulator_notified_at__isnull=False, regulator_notified_at__lte=clock),
        ),
        # Reporting culture, in the same pass (issue 17).
        confidential=Count("pk", filter=Q(reporting=Incident.Reporting.CONFIDENTIAL)),
        anonymous=Count("pk", filter=Q(reporting=Incident.Reporting.ANONYMOUS)),
        lag_known=Count("pk", filter=KNOWN_OCCURRENCE),
        **{
            f"found_{value or 'blank'}": Count("pk", filter=Q(discovered_by=value))
            for value, _ in DISCOVERY
        },
    )
    counted = counts["on_time"] + counts["notified_late"] + counts["missed"]
    breaches = rows.filter(BREACH)
    if actions is None:
        actions = action_figures(incidents, period)
    # The target in force at the period's end: a later change never alters a past quarter's.
    target = organisation.as_of(period.actions_at).nz_target_hours
    figures = Headline(
        breaches=counts["breaches"],
        near_misses=counts["near_misses"],
        notifiable=counts["notifiable"],
        notified_on_time_pct=round(100 * counts["on_time"] / counted, 1) if counted else None,
        median_hours_to_containment=median_hours(
            breaches, "contained_at", by=clock, count=counts["contained"]
        ),
        median_hours_to_notification=median_hours(
            breaches.exclude(decision_notify_regulator=RegulatorDecision.DO_NOT_NOTIFY),
            "regulator_notified_at",
            by=clock,
            count=counts["notified"],
        ),
        open_actions=actions.open,
        overdue_actions=actions.overdue,
        on_time=counts["on_time"],
        notified_late=counts["notified_late"],
        missed=counts["missed"],
        missed_undecided=counts["missed_undecided"],
        within_deadline=counts["within_deadline"],
        notification_target_hours=target,
        confidential=counts["confidential"],
        anonymous=counts["anonymous"],
        discovered=[(label, counts[f"found_{value or 'blank'}"]) for value, label in DISCOVERY],
        days_to_report_known=counts["lag_known"],
    )
    figures.on_time_status, figures.on_time_below_target = _on_time_status(figures)
    figures.notification_status, figures.notification_above_target = _notification_status(
        figures.median_hours_to_notification, target
    )
    return figures


@dataclass
class ActionFigures:
    completed: int
    open: int
    overdue: int
    oldest_overdue_days: int | None


def action_figures(incidents: QuerySet[Incident], period: Period) -> ActionFigures:
    """Actions as they stood at the period's end (now, for a period to date), in one query."""
    as_of = period.actions_at
    as_of_day = _day(as_of)
    open_at_end = Q(completed_at__isnull=True) | Q(completed_at__gte=as_of)
    still_open = ~Q(status=Action.Status.CANCELLED) & open_at_end
    overdue = still_open & Q(due_date__lt=as_of_day)
    row = (
        Action.objects.filter(incident__in=incidents, created_at__lt=as_of)
        .order_by()
        .aggregate(
            completed=Count(
                "pk",
                filter=Q(
                    status=Action.Status.DONE,
                    completed_at__gte=period.start,
                    completed_at__lt=as_of,
                ),
            ),
            open=Count("pk", filter=still_open),
            overdue=Count("pk", filter=overdue),
            oldest=Min("due_date", filter=overdue),
        )
    )
    oldest = row["oldest"]
    return ActionFigures(
        completed=row["completed"],
        open=row["open"],
        overdue=row["overdue"],
        oldest_overdue_days=(as_of_day - oldest).days if oldest else None,
    )


# The under-reporting rule (issue 17; docs/reporting.md "Possible under-reporting"): a p-chart
# of each unit's near-miss share, near misses ÷ (near misses + breaches), against the agency's,
# in the period and each of the quarters before it that "persistently" looks back on.
CONTROL_QUARTERS = 4
SIGMAS = 3
NEAR_MISS = Q(kind=Incident.Kind.NEAR_MISS)


@dataclass
class AgencyShare:
    """The agency's near-miss share in one quarter: the centre line p̄ of the p-chart, pooled
    over the unit rows (near misses ÷ reports), and the fewest reports a unit needs for its
    lower limit to be above 0 (None when no unit can be below it: p̄ of 0 or no reports)."""

    quarter: str
    near_misses: int
    reports: int
    share: float | None
    min_reports: int | None


def lower_limit(share: float, reports: int) -> float:
    """The lower control limit of a unit with ``reports`` reports: p̄ − 3·√(p̄(1−p̄)/n)."""
    return share - SIGMAS * math.sqrt(share * (1 - share) / reports)


def min_reports(share: float | None) -> int | None:
    """The fewest reports for a lower limit above 0: the smallest n > 9(1−p̄)/p̄."""
    if share is None or share <= 0:
        return None
    n = max(1, math.floor(SIGMAS**2 * (1 - share) / share) + 1)
    # The formula's floating point, checked against the limit itself.
    while n > 1 and lower_limit(share, n - 1) > 0:
        n -= 1
    while lower_limit(share, n) <= 0:
        n += 1
    return n


@dataclass
class UnitRow:
    unit: str
    breaches: int
    near_misses: int
    ratio: float | None
    # Persistently below the control limit: below it in the period and in at least one of the
    # three quarters before (docs/reporting.md, "Possible under-reporting").
    possible_under_reporting: bool = False
    # The figures behind the flag: the unit's near-miss share p (0–1) and its lower limit in
    # the period (None when the unit has too few reports for a limit above 0), whether it is
    # below, and every quarter it was below in (the period first, then newest first).
    near_miss_share: float | None = None
    lower_limit: float | None = None
    below_limit: bool = False
    quarters_below: list[str] = field(default_factory=list)
    limit_status: str = ""
    # Days from occurrence to report: the median over the reports whose occurrence is known.
    median_days_to_report: float | None = None
    days_to_report_known: int = 0

    @property
    def reports(self) -> int:
        return self.breaches + self.near_misses


def _control_windows(period: Period) -> list[tuple[str, datetime, datetime]]:
    """The period, then the whole quarters before it that the rule looks back on, newest
    first: (label, start, end)."""
    windows = [(period.label, period.start, period.end)]
    earlier = period.quarter
    for _ in range(CONTROL_QUARTERS - 1):
        earlier = earlier.previous()
        windows.append((earlier.label, *earlier.bounds()))
    return windows


def by_unit(incidents: QuerySet[Incident], period: Period) -> list[UnitRow]:
    """Per business unit: breaches, near misses, the ratio, the control limit and its flag."""
    return units_and_control(incidents, period)[0]


def units_and_control(
    incidents: QuerySet[Incident], period: Period
) -> tuple[list[UnitRow], list[AgencyShare]]:
    """Per business unit with a report in the period: breaches, near misses, the ratio, the
    median days from occurrence to report, and the under-reporting rule — the unit's near-miss
    share against its lower control limit in the period and in each of the three quarters
    before (one aggregate query over the four quarters, grouped by unit, and one for the
    medians); and the agency's share in each of those quarters (the p-chart's centre line,
    pooled over the same rows, so no query of its own).

    Restricted incidents are left out of these rows (SPEC §3): in a small unit a count of one
    could single one out. They stay in the agency-wide headline figures, which identify nobody.
    See docs/reporting.md.
    """
    windows = _control_windows(period)
    aggregates: dict[str, Any] = {}
    for k, (_, start, end) in enumerate(windows):
        inside = Q(reported_at__gte=start, reported_at__lt=end)
        aggregates[f"b{k}"] = Count("pk", filter=inside & BREACH)
        aggregates[f"n{k}"] = Count("pk", filter=inside & NEAR_MISS)
    # Any: the aggregates' names are made above, so the stubs cannot know the rows' keys.
    grouped: Any = (
        incidents.filter(
            reported_at__gte=windows[-1][1], reported_at__lt=period.end, is_restricted=False
        )
        .order_by()
        .values("business_unit__name")
        .annotate(**aggregates)
    )
    rows: list[dict[str, Any]] = list(grouped.order_by("-b0", "business_unit__name"))
    shares: list[float | None] = []
    control: list[AgencyShare] = []
    for k, (label, _, _) in enumerate(windows):
        near_misses = sum(r[f"n{k}"] for r in rows)
        reports = near_misses + sum(r[f"b{k}"] for r in rows)
        share = near_misses / reports if reports else None
        shares.append(share)
        control.append(
            AgencyShare(
                quarter=label,
                near_misses=near_misses,
                reports=reports,
                share=None if share is None else round(share, 4),
                min_reports=min_reports(share),
            )
        )

    def limit(row: dict[str, Any], k: int) -> tuple[float | None, bool]:
        """The unit's lower limit in window ``k`` (None if not above 0) and whether it is below."""
        reports = row[f"b{k}"] + row[f"n{k}"]
        share = shares[k]
        if not reports or share is None:
            return None, False
        lcl = lower_limit(share, reports)
        if lcl <= 0:
            return None, False
        return lcl, row[f"n{k}"] / reports < lcl

    lags = _lag_percentiles(
        _in(incidents, period).filter(is_restricted=False), F("business_unit__name")
    )
    units = []
    for r in rows:
        breaches, near_misses = r["b0"], r["n0"]
        if not breaches + near_misses:
            continue  # reported only in the quarters before: not a row of this period
        lcl, below = limit(r, 0)
        quarters_below = [windows[k][0] for k in range(len(windows)) if limit(r, k)[1]]
        flagged = below and len(quarters_below) > 1
        share = near_misses / (breaches + near_misses)
        known, median, _ = lags.get(r["business_unit__name"], (0, None, None))
        units.append(
            UnitRow(
                unit=r["business_unit__name"],
                breaches=breaches,
                near_misses=near_misses,
                ratio=round(near_misses / breaches, 2) if breaches else None,
                possible_under_reporting=flagged,
                near_miss_share=round(share, 4),
                lower_limit=None if lcl is None else round(lcl, 4),
                below_limit=below,
                quarters_below=quarters_below,
                limit_status=limit_status(
                    share=share,
                    limit=lcl,
                    reports=breaches + near_misses,
                    agency=shares[0],
                    needed=control[0].min_reports,
                    quarters_below=quarters_below,
                    flagged=flagged,
                ),
                median_days_to_report=median,
                days_to_report_known=known,
            )
        )
    return units, control


def _lag_percentiles(
    rows: QuerySet[Incident], part: Any
) -> dict[Any, tuple[int, float | None, float | None]]:
    """Days from occurrence to report over ``rows`` whose occurrence is known, for each value
    of ``part`` (an expression): how many, the median and the 90th percentile (nearest rank).

    One query, portable (PostgreSQL and SQLite have no common percentile function): each row
    is numbered in order of its delay within its part, and only the one or two middle rows and
    the 90th-percentile row are returned — never the incidents, at most three rows a part.
    """
    picked = (
        rows.filter(KNOWN_OCCURRENCE)
        .order_by()
        .annotate(lag=REPORT_LAG, part=part)
        .annotate(
            rn=Window(
                RowNumber(), partition_by=[F("part")], order_by=[F("lag").asc(), F("pk").asc()]
            ),
            cnt=Window(Count("pk"), partition_by=[F("part")]),
        )
        .annotate(rn2=F("rn") * 2, rn10=F("rn") * 10, cnt9=F("cnt") * 9)
        # The median: the middle row (2·rn = n + 1) or the two middle ones (2·rn = n, n + 2).
        # The 90th percentile: the first row with rn ≥ 0.9·n, i.e. 9·n ≤ 10·rn < 9·n + 10.
        .annotate(
            pick=Case(
                When(Q(rn2__gte=F("cnt"), rn2__lte=F("cnt") + 2), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
            + Case(
                When(Q(rn10__gte=F("cnt9"), rn10__lt=F("cnt9") + 10), then=Value(2)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .filter(pick__gt=0)
        .values_list("part", "cnt", "lag", "pick")
    )  # fmt: skip
    middles: dict[Any, list[float]] = {}
    found: dict[Any, tuple[int, float | None]] = {}
    for key, count, lag, pick in picked:
        days = lag.total_seconds() / 86400
        if pick & 1:
            middles.setdefault(key, []).append(days)
        if pick & 2:
            found[key] = (count, round(days, 1))
        else:
            found.setdefault(key, (count, None))
    return {
        key: (count, round(sum(middles[key]) / len(middles[key]), 1), p90)
        for key, (count, p90) in found.items()
    }


def lag_and_notices(
    incidents: QuerySet[Incident],
    period: Period,
    comparison: Period,
    *figures: Headline,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Fill in the days from occurrence to report (agency: median and 90th percentile) and the
    notices to affected people of ``period`` and ``comparison`` on their headline ``figures``
    (current, previous): one query for each, both periods together. ``extra`` aggregates over
    the notices ride on the notices' query; their values are returned."""
    current = Q(reported_at__gte=period.start, reported_at__lt=period.end)
    compared = Q(reported_at__gte=comparison.start, reported_at__lt=comparison.end)
    lags = _lag_percentiles(
        incidents.filter(current | compared),
        Case(When(current, then=Value(0)), default=Value(1), output_field=IntegerField()),
    )
    notices, row = _notice_counts(incidents, [period, comparison], extra or {})
    for k, headline_figures in enumerate(figures):
        _, headline_figures.median_days_to_report, headline_figures.p90_days_to_report = lags.get(
            k, (0, None, None)
        )
        (
            headline_figures.notices_sent,
            headline_figures.notices_late,
            headline_figures.notices_overdue,
        ) = notices[k]
    return {key: row[key] for key in extra or {}}


def notice_counts(
    incidents: QuerySet[Incident], periods: list[Period]
) -> list[tuple[int, int, int]]:
    """Notices to affected people of each period (see :func:`_notice_counts`)."""
    return _notice_counts(incidents, periods, {})[0]


def _notice_counts(
    incidents: QuerySet[Incident], periods: list[Period], extra: dict[str, Any]
) -> tuple[list[tuple[int, int, int]], dict[str, Any]]:
    """Notices to affected people (issue 16), for each period in one aggregate query: sent in
    it; of them, sent after their due date (late); and, at its end, past their due date and not
    sent (overdue). A withheld notice is never late nor overdue (withheld before the period's
    end, for overdue). Notices are those of the scope's incidents, whenever reported; a notice
    recorded after a period's end is not counted in it (reproducible, like actions)."""
    withheld = Q(outcome=IndividualNotice.Outcome.WITHHELD)
    aggregates: dict[str, Any] = {}
    for k, p in enumerate(periods):
        as_of = p.actions_at
        sent = Q(sent_at__gte=p.start, sent_at__lt=as_of) & ~withheld
        withheld_then = withheld & (Q(outcome_at__isnull=True) | Q(outcome_at__lt=as_of))
        unsent_then = Q(sent_at__isnull=True) | Q(sent_at__gte=as_of)
        aggregates |= {
            f"sent{k}": Count("pk", filter=sent),
            f"late{k}": Count("pk", filter=sent & Q(due_at__isnull=False, sent_at__gt=F("due_at"))),
            f"overdue{k}": Count(
                "pk",
                filter=Q(created_at__lt=as_of, due_at__lt=as_of) & unsent_then & ~withheld_then,
            ),
        }
    row = (
        IndividualNotice.objects.filter(incident__in=incidents)
        .order_by()
        .aggregate(**aggregates, **extra)
    )
    counts = [(row[f"sent{k}"], row[f"late{k}"], row[f"overdue{k}"]) for k in range(len(periods))]
    return counts, row


def by_cause(incidents: QuerySet[Incident], period: Period) -> list[tuple[str, int]]:
    labels = dict(Incident.Cause.choices)
    rows = (
        _in(incidents, period)
        .filter(kind=Incident.Kind.BREACH)
        .order_by()
        .values("cause_category")
        .annotate(n=Count("pk"))
        .order_by("-n", "cause_category")
    )
    return [(labels.get(r["cause_category"], "Not recorded"), r["n"]) for r in rows]


def by_breach_type(incidents: QuerySet[Incident], period: Period) -> list[tuple[str, int]]:
    labels = dict(IncidentBreachType.Type.choices)
    rows = (
        IncidentBreachType.objects.filter(
            incident__in=_in(incidents, period).filter(kind=Incident.Kind.BREACH)
        )
        .order_by()
        .values("breach_type")
        .annotate(n=Count("pk"))
        .order_by("-n", "breach_type")
    )
    return [(labels[r["breach_type"]], r["n"]) for r in rows]


@dataclass
class Recurring:
    unit: str
    cause: str
    count: int


def recurring_causes(incidents: QuerySet[Incident], period: Period) -> list[Recurring]:
    """The same cause in the same unit three or more times in the last four quarters (the
    period's quarter and the three before it, up to the period's end)."""
    start, _ = period.quarter.last(4)[0].bounds()
    labels = dict(Incident.Cause.choices)
    rows = (
        incidents.filter(reported_at__gte=start, reported_at__lt=period.end)
        .exclude(cause_category="")
        .order_by()
        .values("business_unit__name", "cause_category")
        .annotate(n=Count("pk"))
        .filter(n__gte=3)
        .order_by("-n", "business_unit__name", "cause_category")
    )
    return [Recurring(r["business_unit__name"], labels[r["cause_category"]], r["n"]) for r in rows]


@dataclass
class NotifiableRow:
    reference: str
    unit: str
    # What happened, as a sentence built from categories (reporting/sentences.py).
    summary: str
    status: str
    on_time: bool | None
    # In words: "Yes", "No: notified after its deadline", "Not yet due" …
    outcome: str = ""
    severity: str = ""


# How many rows of the notifiable list the figures keep: the PDF shows the first ones in its
# body and the rest in its appendix, and says how many more there are (reporting/pdf.py).
NOTIFIABLE_ROWS = 60
SEVERITY_ORDER = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW]


def _outcome(
    notified_at: datetime | None, deadline: datetime | None, decision: str, clock: datetime
) -> tuple[bool | None, str]:
    """One breach's notification against its deadline, as the on-time figure counts it."""
    if notified_at is not None and notified_at <= clock:
        if deadline is None:
            return None, "Notified; no deadline was set"
        if notified_at <= deadline:
            return True, "Yes"
        return False, "No: notified after its deadline"
    if deadline is None:
        return None, "No deadline set"
    if deadline >= clock:
        return None, "Not yet due: still within its deadline"
    if decision == RegulatorDecision.NOTIFY:
        return False, "No: deadline passed, not notified"
    return False, "No: deadline passed, no decision or notification recorded"


def _notifiable(incidents: QuerySet[Incident], period: Period) -> QuerySet[Incident]:
    """The period's notifiable breaches, and the breaches counted late with no decision
    recorded (deadline passed, nothing recorded); restricted incidents are left out."""
    undecided_and_missed = Q(decision_notify_regulator="") & ClockRules.at(period.clock_at).missed
    return (
        _in(incidents, period)
        .filter(BREACH, is_restricted=False)
        .filter(Q(decision_notify_regulator=RegulatorDecision.NOTIFY) | undecided_and_missed)
    )


def notifiable_count(incidents: QuerySet[Incident], period: Period) -> int:
    return _notifiable(incidents, period).order_by().count()


def notifiable_breaches(
    incidents: QuerySet[Incident], period: Period, *, limit: int | None = None
) -> list[NotifiableRow]:
    """The period's notifiable breaches (see :func:`_notifiable`), the ones that most need a
    reader's eye first: late ones (notified after the deadline, or the deadline passed with
    nothing recorded), then those not yet judged, then those on time; within each, the gravest
    severity, then the most people affected, then the earliest reported. ``limit`` keeps the
    first rows only (:func:`notifiable_count` says how many there are).

    What happened is a sentence made from categories, never free text, so nothing identifies a
    person (reporting/sentences.py).
    """
    statuses = dict(Incident.Status.choices)
    severities = dict(Severity.choices)
    clock = period.clock_at
    rules = ClockRules.at(clock)
    rows = (
        _notifiable(incidents, period)
        .annotate(
            lateness=Case(When(rules.late, then=0), When(rules.on_time, then=2), default=1),
            gravity=Case(
                *(When(severity=s, then=n) for n, s in enumerate(SEVERITY_ORDER)),
                default=len(SEVERITY_ORDER),
            ),
        )
        .order_by(
            "lateness", "gravity", F("individuals_affected").desc(nulls_last=True),
            "reported_at", "pk",
        )
        .values(
            "pk", "reference", "business_unit__name", "channel", "cause_category", "status",
            "severity", "individuals_affected", "individuals_affected_is_estimate",
            "regulator_notified_at", "regulator_deadline", "decision_notify_regulator",
        )
    )  # fmt: skip
    listed = list(rows if limit is None else rows[:limit])
    if not listed:
        return []
    pks = [r["pk"] for r in listed]
    categories: dict[int, list[str]] = {}
    for incident_id, category in IncidentInformationCategory.objects.filter(
        incident_id__in=pks
    ).values_list("incident_id", "category"):
        categories.setdefault(incident_id, []).append(category)
    types: dict[int, list[str]] = {}
    for incident_id, breach_type in IncidentBreachType.objects.filter(
        incident_id__in=pks
    ).values_list("incident_id", "breach_type"):
        types.setdefault(incident_id, []).append(breach_type)
    result = []
    for r in listed:
        on_time, outcome = _outcome(
            r["regulator_notified_at"],
            r["regulator_deadline"],
            r["decision_notify_regulator"],
            clock,
        )
        result.append(
            NotifiableRow(
                reference=r["reference"],
                unit=r["business_unit__name"],
                summary=what_happened(
                    channel=r["channel"],
                    cause=r["cause_category"],
                    categories=categories.get(r["pk"], []),
                    affected=r["individuals_affected"],
                    estimate=r["individuals_affected_is_estimate"],
                    breach_types=types.get(r["pk"], []),
                ),
                status=statuses[r["status"]],
                on_time=on_time,
                outcome=outcome,
                severity=severities.get(r["severity"], "Not assessed"),
            )
        )
    return result


@dataclass
class Average:
    """The quarters before the period, averaged: up to four (fewer when the register holds
    nothing earlier), the same days of each for a period to date. Counts are the mean per
    quarter; the on-time share is pooled (on time ÷ counted, over those quarters)."""

    quarters: list[str] = field(default_factory=list)
    label: str = ""
    breaches: float | None = None
    near_misses: float | None = None
    notifiable: float | None = None
    notified_on_time_pct: float | None = None


AVERAGE_QUARTERS = 4
_NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four"}


def _average_aggregates(period: Period) -> dict[str, Any]:
    aggregates: dict[str, Any] = {"avg_first": Min("reported_at")}
    for n in range(AVERAGE_QUARTERS):
        p = period.back(n + 1)
        rules = ClockRules.at(p.clock_at)
        inside = Q(reported_at__gte=p.start, reported_at__lt=p.end)
        aggregates |= {
            f"avg_b{n}": Count("pk", filter=inside & BREACH),
            f"avg_n{n}": Count("pk", filter=inside & Q(kind=Incident.Kind.NEAR_MISS)),
            f"avg_x{n}": Count("pk", filter=inside & NOTIFIABLE),
            f"avg_t{n}": Count("pk", filter=inside & rules.on_time),
            f"avg_l{n}": Count("pk", filter=inside & rules.late),
        }
    return aggregates


def _average_from(row: dict[str, Any], period: Period) -> Average:
    """The average of up to four quarters before ``period`` (``n`` quarters back is key n-1).

    A quarter is in the average when the register held something by its end (the first
    incident reported before it ended): quarters before the register began are not zeros.
    """
    first = row["avg_first"]
    kept = [
        n
        for n in range(AVERAGE_QUARTERS - 1, -1, -1)  # oldest first
        if first is not None and first < period.back(n + 1).end
    ]
    if not kept:
        return Average()

    def mean(key: str) -> float:
        return round(sum(row[f"avg_{key}{n}"] for n in kept) / len(kept), 1)

    on_time = sum(row[f"avg_t{n}"] for n in kept)
    counted = on_time + sum(row[f"avg_l{n}"] for n in kept)
    count = len(kept)
    days = "the same days of " if period.to_date else ""
    if count == AVERAGE_QUARTERS and not period.to_date:
        label = "the four-quarter average"
    elif count == 1:
        label = f"{days}the one quarter before"
    else:
        label = f"the average of {days}the {_NUMBERS[count]} quarters before"
    return Average(
        quarters=[period.back(n + 1).quarter.label for n in kept],
        label=label,
        breaches=mean("b"),
        near_misses=mean("n"),
        notifiable=mean("x"),
        notified_on_time_pct=round(100 * on_time / counted, 1) if counted else None,
    )


def trend_and_average(
    incidents: QuerySet[Incident], period: Period
) -> tuple[list[KindCounts], Average]:
    """The eight-quarter trend and the average of the quarters before, in one aggregate query
    (one pass over the incidents instead of two)."""
    counts, averaged, _ = _trend_and_average(incidents, period, {})
    return counts, averaged


def _trend_and_average(
    incidents: QuerySet[Incident], period: Period, extra: dict[str, Any]
) -> tuple[list[KindCounts], Average, dict[str, Any]]:
    """:func:`trend_and_average`, with ``extra`` aggregates riding on the same pass."""
    quarters = period.quarter.last(8)
    row = incidents.order_by().aggregate(
        **_kind_aggregates(quarters), **_average_aggregates(period), **extra
    )
    return _kind_rows(row, quarters), _average_from(row, period), row


@dataclass
class QuarterFigures:
    quarter: str
    generated_for: str
    current: Headline
    previous: Headline
    trend: list[dict[str, Any]] = field(default_factory=list)
    units: list[UnitRow] = field(default_factory=list)
    # The agency's near-miss share in the period and the three quarters before (the centre
    # line of the under-reporting rule's p-chart), the period first.
    control: list[AgencyShare] = field(default_factory=list)
    causes: list[tuple[str, int]] = field(default_factory=list)
    breach_types: list[tuple[str, int]] = field(default_factory=list)
    recurring: list[Recurring] = field(default_factory=list)
    # The first NOTIFIABLE_ROWS of the list, in the order it is read (late ones first), and
    # how many there are in all.
    notifiable: list[NotifiableRow] = field(default_factory=list)
    notifiable_total: int = 0
    actions: ActionFigures | None = None
    # Up to four quarters before, averaged (the summary says rises and falls against it too).
    average: Average = field(default_factory=Average)
    # "2026 Q3", or "2026 Q4 to date" for the quarter in progress, and its days ("1 Oct – 2 Dec").
    label: str = ""
    dates: str = ""
    to_date: bool = False
    days: int = 0
    # What the previous figures are: short, beside each figure, and in a sentence.
    compared_label: str = ""
    compared_note: str = ""
    # The comparison as it reads inside a sentence: "2026 Q2", "the same 63 days of 2026 Q3".
    compared_phrase: str = ""

    @property
    def units_below_limit(self) -> list[UnitRow]:
        """The unit rows below their control limit in the period (flagged or not yet)."""
        return [u for u in self.units if u.below_limit]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, to store with a report job so a report can be reproduced exactly."""
        return asdict(self)


def _compared(period: Period, comparison: Period) -> tuple[str, str]:
    if not period.to_date:
        return (
            comparison.quarter.label,
            f"Each figure is shown beside {comparison.quarter.label}, the whole previous quarter.",
        )
    return (
        f"Same days of {comparison.quarter.label}",
        f"{period.label} covers {_plural(period.days, 'day', 'days')} ({period.dates}). Each "
        f"figure is shown beside the same {_plural(comparison.days, 'day', 'days')} of "
        f"{comparison.quarter.label} ({comparison.dates}), with deadlines, notifications and "
        f"actions as they stood at that point, so a part quarter is not set against a whole one.",
    )


def quarter_figures(
    incidents: QuerySet[Incident],
    quarter: Quarter,
    *,
    scope: str,
    now: datetime | None = None,
    notifiable_rows: int = NOTIFIABLE_ROWS,
) -> QuarterFigures:
    """Every figure of SPEC §6 for ``quarter``, from the caller's scoped queryset: the whole
    quarter once it has ended, else the quarter to date (``now`` is the moment they are made).
    Raises ``ValueError`` for a quarter that has not started.

    ``notifiable_rows`` is how many rows of the notifiable list to keep; the dashboard, which
    does not show the list, asks for none (and then ``notifiable_total`` is not counted).
    """
    period = Period.of(quarter, now or timezone.now())
    figures, _ = _quarter_figures(
        incidents, period, scope=scope, notifiable_rows=notifiable_rows, stability=False
    )
    return figures


def dashboard_figures(
    incidents: QuerySet[Incident], quarter: Quarter, *, scope: str, now: datetime
) -> tuple[QuarterFigures, datetime | None]:
    """The dashboard's figures of ``quarter`` made at ``now`` (those of :func:`quarter_figures`,
    without the notifiable list), and until when they hold with nothing written: the first
    moment at which figures made then could differ (:func:`stable_until`), ``None`` for not
    before something is written. The moments are found in the same pass as the trend."""
    return _quarter_figures(
        incidents, Period.of(quarter, now), scope=scope, notifiable_rows=0, stability=True
    )


def _quarter_figures(
    incidents: QuerySet[Incident],
    period: Period,
    *,
    scope: str,
    notifiable_rows: int,
    stability: bool,
) -> tuple[QuarterFigures, datetime | None]:
    quarter = period.quarter
    comparison = period.comparison()
    windows = _stability_windows(period) if stability else {}
    counts, averaged, row = _trend_and_average(
        incidents, period, _stability_aggregates(period, windows) if stability else {}
    )
    trend = [
        {
            "quarter": period.label if t.quarter == quarter else t.quarter.label,
            "breaches": t.breaches,
            "near_misses": t.near_misses,
        }
        for t in counts
    ]
    compared_label, compared_note = _compared(period, comparison)
    actions = action_figures(incidents, period)
    current, previous = headline(incidents, period, actions), headline(incidents, comparison)
    notice_moments = lag_and_notices(
        incidents,
        period,
        comparison,
        current,
        previous,
        extra=_notice_stability_aggregates(windows) if stability else None,
    )
    units, control = units_and_control(incidents, period)
    figures = QuarterFigures(
        quarter=quarter.code,
        generated_for=scope,
        current=current,
        previous=previous,
        trend=trend,
        units=units,
        control=control,
        causes=by_cause(incidents, period),
        breach_types=by_breach_type(incidents, period),
        recurring=recurring_causes(incidents, period),
        notifiable=(
            notifiable_breaches(incidents, period, limit=notifiable_rows) if notifiable_rows else []
        ),
        notifiable_total=notifiable_count(incidents, period) if notifiable_rows else 0,
        actions=actions,
        average=averaged,
        label=period.label,
        dates=period.dates,
        to_date=period.to_date,
        days=period.days,
        compared_label=compared_label,
        compared_note=compared_note,
        compared_phrase=(
            f"the same {_plural(comparison.days, 'day', 'days')} of {comparison.quarter.label}"
            if period.to_date
            else comparison.quarter.label
        ),
    )
    if not stability:
        return figures, None
    return figures, _stable_from(row | notice_moments, incidents, period, windows)


# The moments at which, with nothing written, a figure can read differently: the clock reaching
# a deadline, or a notification or containment recorded for a later moment (notified or
# contained by ``clock_at``); for a period to date also an incident's report entering the
# stretch of an earlier quarter it is compared with.
_CLOCKED = ("regulator_deadline", "regulator_notified_at", "contained_at")


def stable_until(incidents: QuerySet[Incident], period: Period) -> datetime | None:
    """The first moment after ``period.clock_at`` at which the figures of ``period``, made at
    ``period.clock_at``, could differ from figures made then with nothing written in between;
    ``None``: not before something is written. (:func:`dashboard_figures` finds the same
    moments in its trend's pass; this is the same search in a query of its own.)

    What :func:`quarter_figures` reads from the clock, and so what this looks for:

    - a **complete quarter** is read at ``clock_at`` (now): only a deadline passing, or a
      notification or containment dated later coming due, among the incidents of the five
      quarters it reads by the clock (itself and the four averaged);
    - a **period to date** ends now, so also: the next midnight (the dates and days it covers,
      the actions' due dates), actions created or completed later, notices to people recorded,
      falling due, sent or withheld later (in the period and the previous quarter's stretch),
      and the same stretch of
      each earlier quarter it is compared with (the previous one and the four averaged) growing
      with it, which meets that quarter's next report, deadline, notification or containment
      (and, for the previous quarter, its actions) when the clock reaches the same point.

    Earlier is always safe (it only costs figures made again): each window is searched for
    every kind of moment, whether or not a figure would turn on it.
    """
    windows = _stability_windows(period)
    row = incidents.order_by().aggregate(**_stability_aggregates(period, windows))
    notices = _notice_stability_aggregates(windows)
    if notices:
        row |= (
            IndividualNotice.objects.filter(incident__in=incidents).order_by().aggregate(**notices)
        )
    return _stable_from(row, incidents, period, windows)


# A notice counts by when it was recorded, fell due, was sent and withheld (notice_counts): for
# a period to date, read at its end (now), each such moment still to come can change a figure.
_NOTICE_CLOCKED = ("created_at", "due_at", "sent_at", "outcome_at")


def _notice_stability_aggregates(windows: dict[int, Period]) -> dict[str, Any]:
    """The first moment of each kind still to come among the notices, for the period to date
    and the stretch of the previous quarter it is compared with (none for a complete one)."""
    return {
        f"stable{n}_notice_{column}": Min(column, filter=Q(**{f"{column}__gte": windows[n].end}))
        for n in (0, 1)
        if n in windows
        for column in _NOTICE_CLOCKED
    }


def _stability_windows(period: Period) -> dict[int, Period]:
    """The stretches whose end moves with the clock, by how many quarters back (0: the period
    itself), for a period to date; none for a complete quarter, read whole."""
    windows: dict[int, Period] = {}
    if period.to_date:
        for n in range(AVERAGE_QUARTERS + 1):
            window = period.back(n) if n else period
            if window.end < window.quarter.bounds()[1]:
                windows[n] = window
            # Otherwise the earlier quarter is shorter: its stretch is whole and does not grow.
    return windows


def _stability_aggregates(period: Period, windows: dict[int, Period]) -> dict[str, Any]:
    """The first moment of each kind still to come, as aggregates over the incidents."""
    if not period.to_date:
        inside = Q(reported_at__gte=period.back(AVERAGE_QUARTERS).start, reported_at__lt=period.end)
        return {
            f"stable_{c}": Min(c, filter=inside & Q(**{f"{c}__gte": period.clock_at}))
            for c in _CLOCKED
        }
    aggregates: dict[str, Any] = {}
    for n, window in windows.items():
        inside = Q(reported_at__gte=window.start, reported_at__lt=window.quarter.bounds()[1])
        for column in ("reported_at", *_CLOCKED):
            aggregates[f"stable{n}_{column}"] = Min(
                column, filter=inside & Q(**{f"{column}__gte": window.end})
            )
    return aggregates


def _stable_from(
    row: dict[str, Any], incidents: QuerySet[Incident], period: Period, windows: dict[int, Period]
) -> datetime | None:
    moments = {k: v for k, v in row.items() if k.startswith("stable") and v is not None}
    if not period.to_date:
        return min(moments.values(), default=None)
    now = period.clock_at
    zone = period.start.tzinfo
    today = now.astimezone(zone).date()
    candidates = [datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)]
    actions = {
        f"stable{n}_{column}": Min(column, filter=Q(**{f"{column}__gte": windows[n].end}))
        for n in (0, 1)
        if n in windows
        for column in ("created_at", "completed_at")
    }
    if actions:
        found = Action.objects.filter(incident__in=incidents).order_by().aggregate(**actions)
        moments |= {k: v for k, v in found.items() if v is not None}
    for name, moment in moments.items():
        window = windows[int(name.removeprefix("stable").partition("_")[0])]
        # The stretch reaches ``moment`` when it has run as long, by the wall clock, as from
        # its start to ``moment`` (Period.back); by the absolute clock too, whichever comes
        # first, so that a change of daylight saving time never makes it late.
        candidates.append(
            min(
                period.start + (moment.astimezone(zone) - window.start),
                now.astimezone(UTC) + (moment - window.end),
            )
        )
    return min(candidates)
