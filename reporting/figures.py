"""Figures for the dashboard and the quarterly report (SPEC §6), by database aggregation.

Quarters are calendar quarters in the organisation's time zone. An incident belongs to the
quarter in which it was *reported* (logged). Every figure is computed from a queryset the caller
scoped (``Incident.objects.countable_by(user)``), with aggregate queries: incidents are never
loaded into Python. Figures of a past quarter depend only on data up to that quarter's end, so
regenerating a past quarter gives the same figures.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet

from breaches.models import Action, Incident, IncidentBreachType, RegulatorDecision

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


def kind_counts(incidents: QuerySet[Incident], quarters: list[Quarter]) -> list[KindCounts]:
    """Breaches and near misses reported in each quarter, in one aggregate query."""
    aggregates = {}
    for quarter in quarters:
        start, end = quarter.bounds()
        in_quarter = Q(reported_at__gte=start, reported_at__lt=end)
        aggregates[f"b{quarter.code}"] = Count(
            "pk", filter=in_quarter & Q(kind=Incident.Kind.BREACH)
        )
        aggregates[f"n{quarter.code}"] = Count(
            "pk", filter=in_quarter & Q(kind=Incident.Kind.NEAR_MISS)
        )
    row = incidents.order_by().aggregate(**aggregates)
    return [KindCounts(q, row[f"b{q.code}"], row[f"n{q.code}"]) for q in quarters]


def _in(incidents: QuerySet[Incident], quarter: Quarter) -> QuerySet[Incident]:
    start, end = quarter.bounds()
    return incidents.filter(reported_at__gte=start, reported_at__lt=end)


def median_hours(queryset: QuerySet[Incident], until: str) -> float | None:
    """Median hours from awareness to ``until`` (a datetime field), computed in the database.

    Portable (PostgreSQL and SQLite): count the rows, then read the middle one or two values in
    duration order. No incident is loaded, only one or two durations.
    """
    annotated = (
        queryset.filter(**{f"{until}__isnull": False})
        .annotate(elapsed=ExpressionWrapper(F(until) - F("aware_at"), output_field=DurationField()))
        .order_by("elapsed", "pk")
    )
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
    breaches: int
    near_misses: int
    notifiable: int
    notified_on_time_pct: float | None
    median_hours_to_containment: float | None
    median_hours_to_notification: float | None
    open_actions: int
    overdue_actions: int


def headline(incidents: QuerySet[Incident], quarter: Quarter) -> Headline:
    quarter_rows = _in(incidents, quarter).order_by()
    breaches = quarter_rows.filter(kind=Incident.Kind.BREACH)
    counts = quarter_rows.aggregate(
        breaches=Count("pk", filter=Q(kind=Incident.Kind.BREACH)),
        near_misses=Count("pk", filter=Q(kind=Incident.Kind.NEAR_MISS)),
        notifiable=Count(
            "pk",
            filter=Q(kind=Incident.Kind.BREACH, decision_notify_regulator=RegulatorDecision.NOTIFY),
        ),
        on_time=Count(
            "pk",
            filter=Q(
                kind=Incident.Kind.BREACH,
                decision_notify_regulator=RegulatorDecision.NOTIFY,
                regulator_notified_at__isnull=False,
                regulator_notified_at__lte=F("regulator_deadline"),
            ),
        ),
    )
    pct = round(100 * counts["on_time"] / counts["notifiable"], 1) if counts["notifiable"] else None
    actions = action_figures(incidents, quarter)
    return Headline(
        breaches=counts["breaches"],
        near_misses=counts["near_misses"],
        notifiable=counts["notifiable"],
        notified_on_time_pct=pct,
        median_hours_to_containment=median_hours(breaches, "contained_at"),
        median_hours_to_notification=median_hours(
            breaches.filter(decision_notify_regulator=RegulatorDecision.NOTIFY),
            "regulator_notified_at",
        ),
        open_actions=actions.open,
        overdue_actions=actions.overdue,
    )


@dataclass
class ActionFigures:
    completed: int
    open: int
    overdue: int
    oldest_overdue_days: int | None


def action_figures(incidents: QuerySet[Incident], quarter: Quarter) -> ActionFigures:
    """Actions as they stood at the quarter's end (or now, for the current quarter)."""
    from django.utils import timezone

    start, end = quarter.bounds()
    as_of = min(end, timezone.now())
    as_of_day = as_of.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    actions = Action.objects.filter(incident__in=incidents, created_at__lt=as_of).order_by()
    open_at_end = Q(completed_at__isnull=True) | Q(completed_at__gte=as_of)
    still_open = actions.exclude(status=Action.Status.CANCELLED).filter(open_at_end)
    row = actions.aggregate(
        completed=Count(
            "pk",
            filter=Q(status=Action.Status.DONE, completed_at__gte=start, completed_at__lt=as_of),
        )
    )
    overdue = still_open.filter(due_date__lt=as_of_day)
    oldest = overdue.order_by("due_date").values_list("due_date", flat=True).first()
    return ActionFigures(
        completed=row["completed"],
        open=still_open.count(),
        overdue=overdue.count(),
        oldest_overdue_days=(as_of_day - oldest).days if oldest else None,
    )


@dataclass
class UnitRow:
    unit: str
    breaches: int
    near_misses: int
    ratio: float | None
    possible_under_reporting: bool


def by_unit(incidents: QuerySet[Incident], quarter: Quarter) -> list[UnitRow]:
    """Per business unit: breaches, near misses, the ratio; breaches but no near misses flagged.

    Restricted incidents are left out of these rows (SPEC §3): in a small unit a count of one
    could single one out. They stay in the agency-wide headline figures, which identify nobody.
    See docs/reporting.md.
    """
    rows = (
        _in(incidents, quarter)
        .filter(is_restricted=False)
        .order_by()
        .values("business_unit__name")
        .annotate(
            breaches=Count("pk", filter=Q(kind=Incident.Kind.BREACH)),
            near_misses=Count("pk", filter=Q(kind=Incident.Kind.NEAR_MISS)),
        )
        .order_by("-breaches", "business_unit__name")
    )
    return [
        UnitRow(
            unit=r["business_unit__name"],
            breaches=r["breaches"],
            near_misses=r["near_misses"],
            ratio=round(r["near_misses"] / r["breaches"], 2) if r["breaches"] else None,
            possible_under_reporting=r["breaches"] > 0 and r["near_misses"] == 0,
        )
        for r in rows
    ]


def by_cause(incidents: QuerySet[Incident], quarter: Quarter) -> list[tuple[str, int]]:
    labels = dict(Incident.Cause.choices)
    rows = (
        _in(incidents, quarter)
        .filter(kind=Incident.Kind.BREACH)
        .order_by()
        .values("cause_category")
        .annotate(n=Count("pk"))
        .order_by("-n", "cause_category")
    )
    return [(labels.get(r["cause_category"], "Not recorded"), r["n"]) for r in rows]


def by_breach_type(incidents: QuerySet[Incident], quarter: Quarter) -> list[tuple[str, int]]:
    labels = dict(IncidentBreachType.Type.choices)
    rows = (
        IncidentBreachType.objects.filter(
            incident__in=_in(incidents, quarter).filter(kind=Incident.Kind.BREACH)
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


def recurring_causes(incidents: QuerySet[Incident], quarter: Quarter) -> list[Recurring]:
    """The same cause in the same unit three or more times in the last four quarters."""
    first = quarter.last(4)[0]
    start, _ = first.bounds()
    _, end = quarter.bounds()
    labels = dict(Incident.Cause.choices)
    rows = (
        incidents.filter(reported_at__gte=start, reported_at__lt=end)
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
    summary: str
    status: str
    on_time: bool | None


def notifiable_breaches(incidents: QuerySet[Incident], quarter: Quarter) -> list[NotifiableRow]:
    """The quarter's notifiable breaches. The summary is made from categories, never free text,
    so nothing identifies a person; restricted incidents are left out of the list."""
    channels = dict(Incident.Channel.choices)
    causes = dict(Incident.Cause.choices)
    statuses = dict(Incident.Status.choices)
    rows = (
        _in(incidents, quarter)
        .filter(
            kind=Incident.Kind.BREACH,
            decision_notify_regulator=RegulatorDecision.NOTIFY,
            is_restricted=False,
        )
        .order_by("reported_at", "pk")
        .values(
            "reference", "business_unit__name", "channel", "cause_category", "status",
            "individuals_affected", "regulator_notified_at", "regulator_deadline",
        )
    )  # fmt: skip
    result = []
    for r in rows:
        people = r["individuals_affected"]
        summary = (
            f"{channels[r['channel']]}; {causes.get(r['cause_category'], 'cause not recorded')}"
        )
        if people is not None:
            summary += f"; {people} {'person' if people == 1 else 'people'}"
        on_time = None
        if r["regulator_notified_at"] and r["regulator_deadline"]:
            on_time = r["regulator_notified_at"] <= r["regulator_deadline"]
        result.append(
            NotifiableRow(
                r["reference"], r["business_unit__name"], summary, statuses[r["status"]], on_time
            )
        )
    return result


@dataclass
class QuarterFigures:
    quarter: str
    generated_for: str
    current: Headline
    previous: Headline
    trend: list[dict[str, Any]] = field(default_factory=list)
    units: list[UnitRow] = field(default_factory=list)
    causes: list[tuple[str, int]] = field(default_factory=list)
    breach_types: list[tuple[str, int]] = field(default_factory=list)
    recurring: list[Recurring] = field(default_factory=list)
    notifiable: list[NotifiableRow] = field(default_factory=list)
    actions: ActionFigures | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, to store with a report job so a report can be reproduced exactly."""
        return asdict(self)


def quarter_figures(
    incidents: QuerySet[Incident], quarter: Quarter, *, scope: str
) -> QuarterFigures:
    """Every figure of SPEC §6 for ``quarter``, from the caller's scoped queryset."""
    trend = kind_counts(incidents, quarter.last(8))
    return QuarterFigures(
        quarter=quarter.code,
        generated_for=scope,
        current=headline(incidents, quarter),
        previous=headline(incidents, quarter.previous()),
        trend=[
            {"quarter": t.quarter.label, "breaches": t.breaches, "near_misses": t.near_misses}
            for t in trend
        ],
        units=by_unit(incidents, quarter),
        causes=by_cause(incidents, quarter),
        breach_types=by_breach_type(incidents, quarter),
        recurring=recurring_causes(incidents, quarter),
        notifiable=notifiable_breaches(incidents, quarter),
        actions=action_figures(incidents, quarter),
    )
