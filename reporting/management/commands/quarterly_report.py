"""``python manage.py quarterly_report 2026Q3``: make the report now and print where the PDF is
(its path on disk, or its object in the bucket)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
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
        if isinstance(report.file.storage, FileSystemStorage):
            self.stdout.write(report.file.path)
        else:  # object storage: the object's name in the bucket (it has no local path)
            self.stdout.write(f"s3://{settings.OBJECT_STORAGE_BUCKET}/{report.file.name}")
