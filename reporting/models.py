"""Quarterly report jobs: one row per report, the job's state and its file (STYLE habit 5)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse


class QuarterlyReport(models.Model):
    """A quarterly report for the chief executive and the job that makes it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    quarter = models.CharField(max_length=8, help_text="Like 2026Q3.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The Celery task (message) that holds the job: a redelivery of that same message, after
    # its worker died, may take the job back at once; a duplicate message may not.
    task_id = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(blank=True)
    # The figures the PDF was made from, so a report can be checked and reproduced exactly.
    figures = models.JSONField(null=True, blank=True)
    file = models.FileField(upload_to="reports/", blank=True, max_length=200)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["quarter", "-created_at"], name="report_quarter")]

    def __str__(self) -> str:
        return f"Quarterly report {self.quarter} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("reporting:report-download", kwargs={"pk": self.pk})
