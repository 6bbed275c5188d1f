"""Figures for the dashboard and the quarterly report, computed by database aggregation.

Quarters are calendar quarters in the organisation's time zone (settings.TIME_ZONE).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from breaches.models import Incident


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def containing(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.number}"

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
        aggregates[f"b{quarter.year}{quarter.number}"] = Count(
            "pk", filter=in_quarter & Q(kind=Incident.Kind.BREACH)
        )
        aggregates[f"n{quarter.year}{quarter.number}"] = Count(
            "pk", filter=in_quarter & Q(kind=Incident.Kind.NEAR_MISS)
        )
    row = incidents.order_by().aggregate(**aggregates)
    return [
        KindCounts(q, row[f"b{q.year}{q.number}"], row[f"n{q.year}{q.number}"]) for q in quarters
    ]
