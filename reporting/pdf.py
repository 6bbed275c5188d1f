"""The quarterly report as an A4 PDF (WeasyPrint): cover page, IN CONFIDENCE and page numbers
on every page, the six sections of SPEC §6, charts from the one charting path.

The PDF is tagged (PDF/UA-1: a structure tree, ``/MarkInfo``, the document's language and
title), so a screen reader can read it; the drafts (breaches/triage/drafts.py) are written the
same way.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from reporting.figures import Quarter, QuarterFigures

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
    html = render_to_string(
        "reporting/report_pdf.html",
        {
            "figures": figures,
            "quarter": quarter,
            "previous": quarter.previous(),
            "charts": charts,
            "agency": settings.AGENCY_NAME,
            "generated": timezone.localtime(),
            "period_start": start,
            "period_end": last_day,
        },
    )
    HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        path, pdf_variant=PDF_VARIANT, pdf_tags=True
    )
