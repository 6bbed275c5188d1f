"""The Celery application, and the one way code outside tasks queues work.

With ``REDIS_URL`` set, tasks go through Redis to a worker. Without it (``make run``),
settings switch on ``task_always_eager`` so tasks run in-process; see
docs/architecture.md, "Jobs".

A task's work is always a row written in the request's own transaction (the incident not yet
alerted, the report job queued): that row is the outbox. If the broker is down when the
transaction commits, nothing fails; a beat sweep finds the row still pending and does the work,
and each row is claimed with a conditional UPDATE so it is done exactly once.

Services never import task modules: they queue a task by its explicit name with
:func:`enqueue_on_commit`, so task modules (thin entry points that call services) may import
services without an import cycle.
"""

import logging
import os
from typing import Any

from celery import Celery
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerOperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)

# What publishing raises while Redis is down or unreachable.
BROKER_DOWN = (BrokerOperationalError, OSError)

app = Celery("pbr")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def enqueue_on_commit(task_name: str, *args: int | str) -> None:
    """Queue the task named ``task_name`` with ``args`` (ids, never objects) once the current
    transaction commits; nothing is queued if it rolls back."""

    def send() -> None:
        task: Any = _registered(task_name)
        try:
            task.delay(*args)
        except BROKER_DOWN:
            # The request's work is committed; its row is the outbox record. The beat sweep
            # (OUTBOX_SWEEP_SECONDS) sends it once the broker is back: never a 500 here.
            logger.warning("broker unreachable: %s%r left for the outbox sweep", task_name, args)

    transaction.on_commit(send)


def _registered(task_name: str) -> Any:
    """The task registered under ``task_name``. The task modules are imported the first time
    only (a web process has not imported them; a worker has): not on every request."""
    if task_name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks[task_name]
