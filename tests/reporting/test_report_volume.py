"""The quarterly report at any volume (issue 14, SPEC §6 and §8).

At 100,000 incidents the fullest quarter's report was 116 pages, 110 of them the notifiable
list. Now page 2 is a one-page Summary, long lists show their top rows in the body and the next
ones in a bounded appendix, and the whole PDF is at most 16 pages. A demo-sized quarter stays
complete: nothing is cut from a short list.

The large quarter here is every list past its cut at once (units, recurring causes, notifiable
breaches), with long unit names and long "what happened" sentences: the worst the layout
meets. The 100,000-incident timing is measured by hand (docs/reporting.md), not here.
"""

from __future__ import annotations

import io
import random
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import BusinessUnit
from breaches.models import Incident, IncidentBreachType, IncidentInformationCategory
from reporting import jobs
from reporting.figures import Quarter
from reporting.models import QuarterlyReport
from reporting.pdf import NOTIFIABLE, RECURRING, UNITS, Cut
from tests.conftest import World
from tests.factories import BusinessUnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "config.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }


def quarter_before_last() -> Quarter:
    return Quarter.containing(timezone.localdate()).previous().previous()


def make_quarter(
    world: World,
    quarter: Quarter,
    *,
    units: list[BusinessUnit],
    incidents: int,
    seed: int = 14,
    year: int = 1999,
) -> None:
    """``incidents`` incidents spread over ``quarter`` and ``units``, in bulk: breaches and near
    misses, about half the breaches decided notifiable, a fifth of those notified late."""
    rng = random.Random(seed)
    start, end = quarter.bounds()
    span = (end - start).total_seconds()
    rows = []
    for n in range(incidents):
        reported = start + timedelta(seconds=rng.random() * (span - 7200))
        aware = reported - timedelta(hours=1)
        breach = rng.random() < 0.6
        notifiable = breach and rng.random() < 0.5
        late = rng.random() < 0.2
        rows.append(
            Incident(
                reference=f"PBR-{year}-{n + 1:05d}",
                kind=Incident.Kind.BREACH if breach else Incident.Kind.NEAR_MISS,
                status=Incident.Status.CLOSED,
                aware_at=aware,
                reported_at=reported,
                summary=f"Free text {n} that must never reach the report",
                channel=rng.choice(Incident.Channel.values),
                cause_category=rng.choice(Incident.Cause.values),
                individuals_affected=rng.choice([1, 3, 40, 1200, None]),
                individuals_affected_is_estimate=rng.random() < 0.3,
                business_unit=rng.choice(units),
                reporter=world.reporter,
                severity=rng.choice(["low", "medium", "high", "critical"]),
                regulator_deadline=aware + timedelta(hours=72) if breach else None,
                decision_notify_regulator="yes" if notifiable else ("no" if breach else ""),
                regulator_notified_at=(
                    aware + timedelta(hours=100 if late else 30) if notifiable else None
                ),
                contained_at=aware + timedelta(hours=rng.uniform(1, 90)) if breach else None,
            )
        )
    created = Incident.objects.bulk_create(rows, batch_size=500)
    categories = IncidentInformationCategory.Category.values
    IncidentInformationCategory.objects.bulk_create(
        [
            IncidentInformationCategory(incident=i, category=c)
            for i in created
            for c in rng.sample(categories, rng.randint(0, len(categories)))
        ],
        batch_size=1000,
    )
    IncidentBreachType.objects.bulk_create(
        [
            IncidentBreachType(incident=i, breach_type=t)
            for i in created
            if i.kind == Incident.Kind.BREACH
            for t in rng.sample(IncidentBreachType.Type.values, rng.randint(1, 3))
        ],
        batch_size=1000,
    )


def pdf_pages(report: QuarterlyReport) -> list[str]:
    with report.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]


def report_of(quarter: Quarter) -> QuarterlyReport:
    report = QuarterlyReport.objects.create(quarter=quarter.code)
    jobs.generate(report.pk)
    report.refresh_from_db()
    assert report.status == QuarterlyReport.Status.DONE, report.last_error
    return report


def test_a_large_quarter_is_at_most_16_pages_with_the_summary_on_page_2(world: World) -> None:
    quarter = quarter_before_last()
    # 90 units, many with long names (up to the field's 120 characters).
    units = [
        BusinessUnitFactory(
            name=(f"Site {n} " + "Service Centre for Care and Protection, " * 3)[:120]
            if n % 3 == 0
            else f"Site {n}",
            code=f"volume-{n}",
        )
        for n in range(90)
    ]
    make_quarter(world, quarter, units=units, incidents=2_000)
    # The quarter before, for the Summary's comparisons: in the first 15 units, enough
    # reports each for a control limit (issue 17).
    make_quarter(world, quarter.previous(), units=units[:15], incidents=900, seed=15, year=1998)
    # Units with long names and breaches only, in both quarters: persistently below their
    # control limit, so the Summary names the longest it can.
    Incident.objects.filter(business_unit__in=units[:15:3]).update(kind=Incident.Kind.BREACH)
    report = report_of(quarter)
    figures = report.figures
    # Every list is past its cut: the body shows its top rows, the appendix the next ones, and
    # the rest are counted and pointed to.
    assert len(figures["units"]) > UNITS.body + UNITS.appendix
    assert len(figures["recurring"]) > RECURRING.body + RECURRING.appendix
    assert figures["notifiable_total"] > NOTIFIABLE.body + NOTIFIABLE.appendix
    pages = pdf_pages(report)
    assert len(pages) <= 16
    for number, text in enumerate(pages, start=1):
        assert "IN CONFIDENCE" in text and f"Page {number} of {len(pages)}" in text
    # Page 2 is the Summary, on one page: the headline figures start page 3.
    assert pages[1].startswith("Summary ")
    assert "Breaches rose to " in pages[1] and "Recurring causes — Needs attention." in pages[1]
    assert "Notified on time — Needs attention. Below target (100 %)" in pages[1]
    flagged = [u["unit"] for u in figures["units"] if u["possible_under_reporting"]]
    assert set(flagged) == {u.name for u in units[:15:3]}
    assert "Possible under-reporting — Needs attention. 5 units' share of near misses" in pages[1]
    assert "1. Headline figures" in pages[2]
    text = " ".join(pages)
    total = figures["notifiable_total"]
    more = total - NOTIFIABLE.body
    assert f"… and {more:,} more: the next {NOTIFIABLE.appendix} in Appendix A.3" in text
    assert f"the {NOTIFIABLE.body} of {total:,} that most need attention" in text
    assert "Appendix A. The rest of the long lists" in text
    left = total - NOTIFIABLE.body - NOTIFIABLE.appendix
    assert f"{left:,} more notifiable breaches are not listed here" in text
    assert "decision=yes" in text and "kind=breach" in text  # where to find them all
    # The body and appendix rows are the first ones of the list, in its order: late first.
    listed = [row["reference"] for row in figures["notifiable"]]
    assert len(listed) == NOTIFIABLE.body + NOTIFIABLE.appendix
    for reference in listed:
        assert reference in text
    assert [row["on_time"] for row in figures["notifiable"][:3]] == [False] * 3
    assert "Free text" not in text  # "what happened" is built from categories


def test_a_demo_sized_quarter_stays_complete(world: World) -> None:
    quarter = quarter_before_last()
    units = [BusinessUnitFactory(name=f"Office {n}", code=f"office-{n}") for n in range(14)]
    make_quarter(world, quarter, units=units, incidents=45, seed=3)
    report = report_of(quarter)
    figures = report.figures
    assert len(figures["units"]) <= UNITS.fits
    assert figures["notifiable_total"] <= NOTIFIABLE.fits
    text = " ".join(pdf_pages(report))
    for row in figures["units"]:
        assert row["unit"] in text
    for row in figures["notifiable"]:
        assert row["reference"] in text
    assert "more in Appendix" not in text and "Appendix A" not in text
    assert "… and" not in text


def test_how_a_list_is_cut() -> None:
    cut = Cut(body=2, fits=3, appendix=2)
    assert cut([1, 2, 3]) == cut.__call__([1, 2, 3], 3)
    whole = cut([1, 2, 3])
    assert (whole.body, whole.appendix, whole.more, whole.left_out) == ([1, 2, 3], [], 0, 0)
    long = cut([1, 2, 3, 4, 5, 6])
    assert (long.body, long.appendix, long.more, long.left_out) == ([1, 2], [3, 4], 4, 2)
    # The figures keep only the first rows of a long list, and say how many there are.
    kept = cut([1, 2, 3, 4], total=1_000)
    assert (kept.body, kept.appendix, kept.more, kept.left_out) == ([1, 2], [3, 4], 998, 996)
