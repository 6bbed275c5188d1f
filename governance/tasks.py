"""Celery entry points for retention and disposal: thin, explicitly named, ids in.

Services queue these by name (``config.celery.enqueue_on_commit``), never by importing this
module; the work is in ``governance.disposal``.
"""

from __future__ import annotations

from datetime import timedelta

from celery import Task, shared_task
from django.conf import settings
from django.db import OperationalError

from governance import disposal

PROPOSE_TASK = "governance.tasks.propose_disposal_run"


@shared_task(
    name=disposal.CARRY_OUT_TASK,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=5,
    default_retry_delay=30,
)
def carry_out_disposal_run(self: Task, run_id: int) -> bool:
    """Dispose of an approved run's incidents. Transient errors (database, storage) are
    retried; the run goes on where it stopped."""
    try:
        return disposal.carry_out(run_id, task_id=self.request.id or "")
    except (OperationalError, OSError) as exc:
        disposal.fail(run_id, exc)
        raise self.retry(exc=exc) from exc
    except Exception as exc:
        disposal.fail(run_id, exc)
        raise


@shared_task(name=PROPOSE_TASK, acks_late=True)
def propose_disposal_run() -> int | None:
    """Beat, monthly: list what is past retention in a run for the chief privacy officer to
    preview and approve (nothing is disposed of here), and tell them. It also sends again any
    approved run whose task never reached a worker (the outbox sweep for disposal runs)."""
    disposal.requeue_approved(older_than=timedelta(seconds=settings.OUTBOX_GRACE_SECONDS))
    run = disposal.run_propose(actor=None)
    if run is None:
        return None
    disposal.notify_proposed(run)
    return run.pk
