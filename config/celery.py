"""The Celery application.

With ``REDIS_URL`` set, tasks go through Redis to a worker. Without it (``make run``),
settings switch on ``task_always_eager`` so tasks run in-process; see
docs/architecture.md, "Jobs".
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("pbr")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
