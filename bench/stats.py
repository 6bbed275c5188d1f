"""The benchmark's arithmetic, apart from any server: percentiles, budgets, the table, the pins.

``bench/bench.py`` measures; this module turns timings into the table and the verdicts, so its
rules can be tested with made-up timings (tests/test_bench.py).

- A percentile is the *nearest rank* (the smallest sample with at least p % of the samples at or
  below it): p95 of 100 requests is the 95th fastest, a time one request really took.
- The *floor* is the p95 of Django's cheapest page (the sign-in form) plus the p95 of the bare SQL
  for the register's first page and its count, both measured in the same run. A case's
  "× floor" is its p95 divided by the floor (SPEC §8).
- A *budget* is a multiple of the floor, an absolute time, or both, plus for some cases a page
  count or a memory bound; a case meets it when every part is met.
- *Pins* are the number of SQL queries each case's request makes; a count above its pin fails
  the run whatever the timings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


def percentile(samples: Sequence[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile of ``samples`` (0 < p ≤ 100)."""
    if not samples:
        raise ValueError("no samples")
    if not 0 < p <= 100:
        raise ValueError(f"percentile must be in (0, 100], not {p}")
    ordered = sorted(samples)
    rank = math.ceil(p / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


@dataclass(frozen=True)
class Budget:
    """What a case may take. Every part that is set must be met."""

    x_floor: float | None = None  # p95 at most this many floors
    max_ms: float | None = None  # p95 at most this many milliseconds
    max_pages: int | None = None  # a document of at most this many pages
    max_rss_mb: float | None = None  # the worker's memory grows by at most this much
    source: str = ""  # where the number comes from (SPEC §8, issue 14)

    def describe(self) -> str:
        parts = []
        if self.x_floor is not None:
            parts.append(f"≤ {self.x_floor:g}×")
        if self.max_ms is not None:
            seconds = self.max_ms >= 1000
            parts.append(f"< {self.max_ms / 1000:g} s" if seconds else f"< {self.max_ms:g} ms")
        if self.max_pages is not None:
            parts.append(f"≤ {self.max_pages} pages")
        if self.max_rss_mb is not None:
            parts.append(f"+≤ {self.max_rss_mb:g} MB")
        return ", ".join(parts) or "—"


@dataclass
class Result:
    """One case as measured: its timings (ms) and whatever else it reports."""

    key: str
    label: str
    role: str
    samples_ms: list[float]
    budget: Budget = field(default_factory=Budget)
    queries: int | None = None
    pages: int | None = None
    rss_growth_mb: float | None = None
    note: str = ""
    # Found while measuring: a request refused, a report without its Summary page...
    failures: list[str] = field(default_factory=list)
    # Set by ``verdict``.
    missed: list[str] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return percentile(self.samples_ms, 50)

    @property
    def p95(self) -> float:
        return percentile(self.samples_ms, 95)

    def x_floor(self, floor_ms: float) -> float:
        return self.p95 / floor_ms

    @property
    def met(self) -> bool:
        return not self.missed


def verdict(result: Result, floor_ms: float) -> list[str]:
    """Check ``result`` against its budget; returns (and stores) what was missed, in words."""
    budget, missed = result.budget, list(result.failures)
    if budget.x_floor is not None and result.x_floor(floor_ms) > budget.x_floor:
        missed.append(f"p95 {result.x_floor(floor_ms):.2f}× floor > {budget.x_floor:g}×")
    if budget.max_ms is not None and result.p95 >= budget.max_ms:
        missed.append(f"p95 {result.p95:.0f} ms ≥ {budget.max_ms:.0f} ms")
    if budget.max_pages is not None and (result.pages is None or result.pages > budget.max_pages):
        missed.append(f"{result.pages} pages > {budget.max_pages}")
    if budget.max_rss_mb is not None and (
        result.rss_growth_mb is None or result.rss_growth_mb > budget.max_rss_mb
    ):
        grown = "unmeasured" if result.rss_growth_mb is None else f"{result.rss_growth_mb:.0f} MB"
        missed.append(f"memory grew {grown} > {budget.max_rss_mb:g} MB")
    result.missed = missed
    return missed


def _ms(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def format_table(
    results: Sequence[Result], floors: Sequence[Result], pins: Mapping[str, int]
) -> str:
    """The table as Markdown: each floor, then each case with p50, p95, × floor, its budget,
    its query count (and pin) and whether the budget is met."""
    floor_ms = sum(f.p95 for f in floors)
    rows = [
        "| case | role | p50 ms | p95 ms | × floor | budget | queries (pin) | met? |",
        "| --- | --- | ---: | ---: | ---: | --- | ---: | --- |",
    ]
    for f in floors:
        rows.append(f"| floor: {f.label} | {f.role} | {_ms(f.p50)} | {_ms(f.p95)} | | | | |")
    rows.append(f"| **floor** (sum of the two p95) | | | {_ms(floor_ms)} | 1 | | | |")
    for r in results:
        queries = "—" if r.queries is None else str(r.queries)
        if r.key in pins:
            queries += f" ({pins[r.key]})"
        extra = []
        if r.pages is not None:
            extra.append(f"{r.pages} pages")
        if r.rss_growth_mb is not None:
            extra.append(f"+{r.rss_growth_mb:.0f} MB")
        label = r.label + (f" ({', '.join(extra)})" if extra else "")
        met = "met" if r.met else "**NOT MET**"
        rows.append(
            f"| {label} | {r.role} | {_ms(r.p50)} | {_ms(r.p95)} | {r.x_floor(floor_ms):.1f} "
            f"| {r.budget.describe()} | {queries} | {met} |"
        )
    return "\n".join(rows)


@dataclass(frozen=True)
class PinCheck:
    grown: dict[str, tuple[int, int]]  # key: (pinned, now)
    shrunk: dict[str, tuple[int, int]]
    new: dict[str, int]

    @property
    def failed(self) -> bool:
        return bool(self.grown)


def check_pins(counts: Mapping[str, int], pins: Mapping[str, int]) -> PinCheck:
    """Compare the query counts of this run with the pinned ones: more than pinned fails."""
    grown = {k: (pins[k], n) for k, n in counts.items() if k in pins and n > pins[k]}
    shrunk = {k: (pins[k], n) for k, n in counts.items() if k in pins and n < pins[k]}
    new = {k: n for k, n in counts.items() if k not in pins}
    return PinCheck(grown=grown, shrunk=shrunk, new=new)


def as_json(result: Result, floor_ms: float) -> dict[str, Any]:
    """One result for results.json (timings rounded to 0.01 ms)."""
    data = asdict(result)
    data["budget"] = {k: v for k, v in data["budget"].items() if v not in (None, "")}
    data["budget_text"] = result.budget.describe()
    data["samples_ms"] = [round(s, 2) for s in result.samples_ms]
    data.update(
        n=len(result.samples_ms),
        p50_ms=round(result.p50, 2),
        p95_ms=round(result.p95, 2),
        x_floor=round(result.x_floor(floor_ms), 2),
        met=result.met,
    )
    return data
