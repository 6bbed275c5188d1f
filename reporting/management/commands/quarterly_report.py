"""``python manage.py quarterly_report 2026Q3``: make the report now and print the PDF's path."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from reporting import jobs
from reporting.figures import Quarter
from reporting.models import QuarterlyReport


class Command(BaseCommand):
    help = "Generate the quarterly report for a quarter (e.g. 2026Q3) and print the PDF's path."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("quarter", help="the quarter, like 2026Q3")

    def handle(self, *args: Any, quarter: str, **options: Any) -> None:
        try:
            parsed = Quarter.parse(quarter)
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        report = QuarterlyReport.objects.create(quarter=parsed.code)
        try:
            jobs.generate(report.pk)
        except Exception as exc:
            jobs.fail(report.pk, exc)
            raise CommandError(f"the report failed: {exc}") from exc
        report.refresh_from_db()
        self.stdout.write(report.file.path)
