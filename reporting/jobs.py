"""Making a quarterly report: claim the row, compute the figures, render, store (STYLE habit 5).

The task only passes the row's id. It claims the row with a conditional UPDATE, so a duplicate
delivery does nothing twice; a row left RUNNING by a worker that died is claimed again once it is
older than ``REPORT_STALE_SECONDS``. The PDF is rendered to a temporary file and then moved into
private storage, so a half-written file is never served.
"""

from __future__ import annotations

import tempfile
import time
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from breaches.models import Incident
from config.celery import enqueue_on_commit
from reporting.figures import Quarter, quarter_figures
from reporting.models import QuarterlyReport

# The task that makes a report (reporting/tasks.py), queued by its explicit name.
GENERATE_TASK = "reporting.tasks.generate_quarterly_report"


def report_request(*, quarter: Quarter, requested_by: User | None) -> QuarterlyReport:
    """Queue a report; the job starts once the transaction commits."""
    with transaction.atomic():
        report = QuarterlyReport.objects.create(quarter=quarter.code, requested_by=requested_by)
        enqueue_on_commit(GENERATE_TASK, report.pk)
    return report


def requeue_pending(*, older_than: timedelta) -> int:
    """Queue again the jobs queued more than ``older_than`` ago that no task has claimed (their
    task never reached the broker). Claiming makes a duplicate harmless."""
    cutoff = timezone.now() - older_than
    pending = list(
        QuarterlyReport.objects.filter(
            status=QuarterlyReport.Status.QUEUED, created_at__lte=cutoff
        ).values_list("pk", flat=True)
    )
    for report_id in pending:
        enqueue_on_commit(GENERATE_TASK, report_id)
    return len(pending)


def claim(report_id: int, task_id: str = "") -> bool:
    """Take the job, unless another delivery has it (or it is done).

    A queued or failed job is free. A running one is taken back by a redelivery of the same
    task (its worker died: Celery redelivers only unacknowledged tasks), or by anyone once it
    has been silent for ``REPORT_STALE_SECONDS``. A duplicate task finds nothing to claim.
    """
    stale = timezone.now() - timedelta(seconds=settings.REPORT_STALE_SECONDS)
    running = Q(status=QuarterlyReport.Status.RUNNING)
    claimable = (
        Q(status__in=[QuarterlyReport.Status.QUEUED, QuarterlyReport.Status.FAILED])
        | (running & Q(started_at__lt=stale))
        | (running & Q(task_id=task_id) & ~Q(task_id=""))
    )
    return bool(
        QuarterlyReport.objects.filter(claimable, pk=report_id).update(
            status=QuarterlyReport.Status.RUNNING,
            started_at=timezone.now(),
            attempts=F("attempts") + 1,
            progress=5,
            last_error="",
            task_id=task_id,
        )
    )


def _progress(report_id: int, percent: int) -> None:
    QuarterlyReport.objects.filter(pk=report_id).update(progress=percent)


def generate(report_id: int, task_id: str = "") -> bool:
    """Do the work of one claimed report. Returns False when there was nothing to do."""
    if not claim(report_id, task_id):
        return False
    report = QuarterlyReport.objects.get(pk=report_id)
    quarter = Quarter.parse(report.quarter)
    figures = quarter_figures(
        Incident.objects.for_agency_report(), quarter, scope="the whole agency"
    )
    _progress(report_id, 40)
    if settings.REPORT_TEST_PAUSE_SECONDS:  # a kill drill in the tests; always 0 elsewhere
        time.sleep(settings.REPORT_TEST_PAUSE_SECONDS)
    from reporting.pdf import render_report

    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        render_report(figures, quarter, handle.name)
        _progress(report_id, 85)
        handle.seek(0)
        with transaction.atomic():
            report = QuarterlyReport.objects.select_for_update().get(pk=report_id)
            report.file.save(
                f"quarterly-report-{quarter.code}-{report_id}.pdf", File(handle), save=False
            )
            report.figures = figures.to_dict()
            report.status = QuarterlyReport.Status.DONE
            report.progress = 100
            report.finished_at = timezone.now()
            report.save()
    return True


def fail(report_id: int, error: BaseException) -> None:
    QuarterlyReport.objects.filter(pk=report_id).update(
        status=QuarterlyReport.Status.FAILED,
        last_error=f"{type(error).__name__}: {error}"[:2000],
        finished_at=timezone.now(),
    )
