"""The report job with real workers: completes, and survives a worker killed mid-job."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from django.utils import timezone

from reporting import jobs
from reporting.figures import Quarter
from reporting.models import QuarterlyReport
from tests.conftest import build_world, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def shared_private_storage(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """The test and its workers store reports in the same private folder."""
    folder = tmp_path / "private"
    folder.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "config.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(folder)},
        },
    }
    return folder


def status(report: QuarterlyReport) -> str:
    report.refresh_from_db()
    return report.status


def test_a_report_is_made_by_a_real_worker(worker_factory, shared_private_storage: Path) -> None:  # type: ignore[no-untyped-def]
    build_world()
    worker_factory("one", PRIVATE_MEDIA_ROOT=str(shared_private_storage))
    report = jobs.report_request(
        quarter=Quarter.containing(timezone.localdate()), requested_by=None
    )
    wait_for(lambda: status(report) == "done", timeout=60, what="the report to finish")
    assert (shared_private_storage / report.file.name).read_bytes().startswith(b"%PDF")


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_a_pool_child_killed_mid_job_is_requeued_and_the_job_completes(
    worker_factory, shared_private_storage: Path
) -> None:  # type: ignore[no-untyped-def]
    build_world()
    worker = worker_factory(
        "drill", PRIVATE_MEDIA_ROOT=str(shared_private_storage), REPORT_TEST_PAUSE_SECONDS="8"
    )
    report = jobs.report_request(
        quarter=Quarter.containing(timezone.localdate()), requested_by=None
    )
    wait_for(lambda: status(report) == "running", timeout=30, what="the job to start")
    (child,) = children(worker.process.pid)
    os.kill(child, signal.SIGKILL)  # the process doing the work dies mid-job
    # task_reject_on_worker_lost requeues the same task; a fresh child takes the job back.
    wait_for(
        lambda: status(report) == "done",
        timeout=60,
        what=f"the job to complete ({worker.log_path})",
    )
    report.refresh_from_db()
    assert report.attempts == 2
    assert "WorkerLostError" in worker.log() or "SIGKILL" in worker.log()


def test_a_worker_killed_mid_job_is_replaced_and_the_job_completes(
    worker_factory, shared_private_storage: Path
) -> None:  # type: ignore[no-untyped-def]
    build_world()
    env = {
        "PRIVATE_MEDIA_ROOT": str(shared_private_storage),
        # Redis hands an unacknowledged task to another worker after this many seconds, and a
        # RUNNING row this old may be taken over: short here instead of an hour.
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
        "REPORT_STALE_SECONDS": "600",
    }
    first = worker_factory("first", REPORT_TEST_PAUSE_SECONDS="30", **env)
    report = jobs.report_request(
        quarter=Quarter.containing(timezone.localdate()), requested_by=None
    )
    wait_for(lambda: status(report) == "running", timeout=30, what="the job to start")
    os.kill(first.process.pid, signal.SIGKILL)  # the whole worker, mid-job
    first.process.wait(timeout=10)
    assert status(report) == "running"  # left behind, unacknowledged
    second = worker_factory("second", **env)
    wait_for(
        lambda: status(report) == "done",
        timeout=90,
        what=f"the replacement to finish the job; its log:\n{second.log_path}",
    )
    report.refresh_from_db()
    assert report.attempts == 2
    assert (shared_private_storage / report.file.name).read_bytes().startswith(b"%PDF")
