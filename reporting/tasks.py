"""Report jobs for Celery. Tasks take ids only; the work is in reporting.jobs."""

from __future__ import annotations

from datetime import timedelta

from celery import Task, shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from reporting import jobs
from reporting.figures import Quarter


@shared_task(
    name=jobs.GENERATE_TASK,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
    default_retry_delay=10,
    time_limit=settings.REPORT_TASK_TIME_LIMIT,
    soft_time_limit=settings.REPORT_TASK_TIME_LIMIT - 30,
)
def generate_quarterly_report(self: Task, report_id: int) -> bool:
    """Make one report. Transient errors (database, file system) are retried."""
    try:
        return jobs.generate(report_id, task_id=self.request.id or "")
    except (OperationalError, OSError) as exc:
        jobs.fail(report_id, exc)
        raise self.retry(exc=exc) from exc
    except Exception as exc:
        jobs.fail(report_id, exc)
        raise


@shared_task(name="reporting.tasks.request_previous_quarter_report", acks_late=True)
def request_previous_quarter_report() -> int:
    """Beat, on the first day after a quarter ends: queue the report of the quarter just ended."""
    quarter = Quarter.containing(timezone.localdate()).previous()
    return jobs.report_request(quarter=quarter, requested_by=None).pk


@shared_task(name="reporting.tasks.requeue_pending_reports", acks_late=True)
def requeue_pending_reports() -> int:
    """The outbox sweep for report jobs (run by beat): queue again every job still waiting
    for its task. A job is claimed when it starts, so a duplicate delivery does nothing."""
    return jobs.requeue_pending(older_than=timedelta(seconds=settings.OUTBOX_GRACE_SECONDS))
