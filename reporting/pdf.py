"""The quarterly report as an A4 PDF (WeasyPrint): cover page, IN CONFIDENCE and page numbers
on every page, the six sections of SPEC §6, charts from the one charting path.

The PDF is tagged (PDF/UA-1: a structure tree, ``/MarkInfo``, the document's language and
title), so a screen reader can read it; the drafts (breaches/triage/drafts.py) are written the
same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Generic, TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from accounts import organisation
from reporting.figures import NOTIFIABLE_ROWS, Quarter, QuarterFigures
from reporting.summary import key_messages

Row = TypeVar("Row")


@dataclass(frozen=True)
class Split(Generic[Row]):
    """A long list cut for the report: the top rows in the body, the next ones in the
    appendix, and how many are in neither (the appendix says where to find them)."""

    body: list[Row]
    appendix: list[Row]
    total: int

    @property
    def more(self) -> int:
        """Rows after the body's: the line "and N more" counts them."""
        return self.total - len(self.body)

    @property
    def left_out(self) -> int:
        return self.total - len(self.body) - len(self.appendix)


@dataclass(frozen=True)
class Cut:
    """How a list is cut: a list of up to ``fits`` rows stays whole in the body; a longer one
    shows its first ``body`` rows there and the next ``appendix`` rows in the appendix."""

    body: int
    fits: int
    appendix: int

    def __call__(self, rows: Sequence[Row], total: int | None = None) -> Split[Row]:
        total = len(rows) if total is None else total
        if total <= self.fits:
            return Split(list(rows), [], total)
        return Split(
            list(rows[: self.body]), list(rows[self.body : self.body + self.appendix]), total
        )


# The page budget (SPEC §8: at most 16 pages at any volume). The lists come already in the
# order they are read: units by breaches, recurring causes by count, notifiable breaches late
# ones first, then by severity and people affected (reporting/figures.py). The appendix is
# bounded too, so the whole report is; tests/reporting/test_report_volume.py fills every list
# past its cut and counts the pages.
UNITS = Cut(body=10, fits=15, appendix=45)
RECURRING = Cut(body=10, fits=15, appendix=30)
NOTIFIABLE = Cut(body=15, fits=20, appendix=NOTIFIABLE_ROWS - 15)


def register_link(quarter: Quarter, first_day: date, last_day: date) -> str:
    """The register filtered to the quarter's breaches decided notifiable: where privacy
    officers find the notifiable list in full (and export it as CSV)."""
    query = urlencode(
        {
            "kind": "breach",
            "decision": "yes",
            "reported_after": first_day.isoformat(),
            "reported_before": last_day.isoformat(),
        }
    )
    return f"{settings.SITE_URL.rstrip('/')}{reverse('breaches:register')}?{query}"


def dashboard_link(quarter: Quarter) -> str:
    url = reverse("reporting:dashboard")
    return f"{settings.SITE_URL.rstrip('/')}{url}?quarter={quarter.code}"


# PDF/UA-1: WeasyPrint (63 and later) writes the structure tree from the HTML (headings, tables,
# lists, figures), marks the document as tagged, and takes /Lang from <html lang> and the title
# from <title>; it also embeds the PDF/UA identification in the XMP metadata.
PDF_VARIANT = "pdf/ua-1"


def render_report(figures: QuarterFigures, quarter: Quarter, path: str) -> None:
    from weasyprint import HTML  # needs Pango: imported only where a PDF is made

    from reporting.charts import dashboard_charts

    charts = {name: mark_safe(svg) for name, svg in dashboard_charts(figures).items()}  # noqa: S308
    start, end = quarter.bounds()
    # A quarter in progress is reported to date: its last day is today, not the quarter's.
    last_day = timezone.localdate() if figures.to_date else (end - timedelta(days=1)).date()
    units, recurring = UNITS(figures.units), RECURRING(figures.recurring)
    notifiable = NOTIFIABLE(figures.notifiable, figures.notifiable_total)
    html = render_to_string(
        "reporting/report_pdf.html",
        {
            "figures": figures,
            "quarter": quarter,
            "previous": quarter.previous(),
            "charts": charts,
            "agency": organisation.current().agency_name,
            "generated": timezone.localtime(),
            "period_start": start,
            "period_end": last_day,
            "summary": key_messages(figures),
            "units": units,
            "recurring": recurring,
            "notifiable": notifiable,
            "appendix": bool(units.appendix or recurring.appendix or notifiable.appendix),
            "register_link": register_link(quarter, start.date(), last_day),
            "dashboard_link": dashboard_link(quarter),
        },
    )
    HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        path, pdf_variant=PDF_VARIANT, pdf_tags=True
    )
