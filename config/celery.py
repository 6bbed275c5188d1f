"""The Celery application, and the one way code outside tasks queues work.

With ``REDIS_URL`` set, tasks go through Redis to a worker. Without it (``make run``),
settings switch on ``task_always_eager`` so tasks run in-process; see
docs/architecture.md, "Jobs".

Services never import task modules: they queue a task by its explicit name with
:func:`enqueue_on_commit`, so task modules (thin entry points that call services) may import
services without an import cycle.
"""

import os
from typing import Any

from celery import Celery
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("pbr")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def enqueue_on_commit(task_name: str, *args: int | str) -> None:
    """Queue the task named ``task_name`` with ``args`` (ids, never objects) once the current
    transaction commits; nothing is queued if it rolls back."""

    def send() -> None:
        # Importing the task modules registers them under their explicit names (in-process
        # tasks under `make run` need the registered task; a worker has them already).
        app.loader.import_default_modules()
        task: Any = app.tasks[task_name]
        task.delay(*args)

    transaction.on_commit(send)
