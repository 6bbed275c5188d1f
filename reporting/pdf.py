"""The quarterly report as an A4 PDF (WeasyPrint): cover page, IN CONFIDENCE and page numbers
on every page, the six sections of SPEC §6, charts from the one charting path."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from reporting.figures import Quarter, QuarterFigures


def render_report(figures: QuarterFigures, quarter: Quarter, path: str) -> None:
    from weasyprint import HTML  # needs Pango: imported only where a PDF is made

    from reporting.charts import dashboard_charts

    charts = {name: mark_safe(svg) for name, svg in dashboard_charts(figures).items()}  # noqa: S308
    start, end = quarter.bounds()
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
            "period_end": end - timedelta(days=1),  # the quarter's last day
        },
    )
    HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(path)
