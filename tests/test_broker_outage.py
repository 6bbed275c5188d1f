"""The broker drill (SPEC §8: nothing typed is lost; never a 500): with Redis stopped, a report
is stored and answered with success; once Redis is back, the outbox sweep run by a real worker
sends the officers' e-mail, exactly once."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from breaches.models import Incident
from tests.conftest import Worker, wait_for
from tests.factories import BusinessUnitFactory, UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _redis(port: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["redis-cli", "-p", port, *args], capture_output=True, timeout=10, check=False
    )


def _stop_redis(port: str) -> None:
    _redis(port, "shutdown", "nosave")
    wait_for(lambda: _redis(port, "ping").returncode != 0, what="Redis to stop")


def _start_redis(port: str, directory: str) -> None:
    subprocess.run(
        ["redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--daemonize", "yes", "--pidfile", f"{directory}/redis.pid",
         "--logfile", f"{directory}/redis.log", "--dir", directory],
        check=True, timeout=10,
    )  # fmt: skip
    wait_for(lambda: _redis(port, "ping").stdout.strip() == b"PONG", what="Redis to start")


def test_a_report_made_while_redis_is_down_is_stored_and_its_alert_sent_once_after(
    celery_worker: Worker,
) -> None:
    from breaches.tasks import send_pending_alerts

    port, directory = os.environ.get("TEST_REDIS_PORT"), os.environ.get("TEST_REDIS_DIR")
    if not (port and directory):
        pytest.skip("the drill stops the throwaway Redis of `make test`")
    site = BusinessUnitFactory(code="site")
    officer = UserFactory(
        username="officer", role=User.Role.PRIVACY_OFFICER, business_unit=site,
        assigned_units=[site],
    )  # fmt: skip
    reporter = UserFactory(username="reporter", business_unit=site)
    client = APIClient()
    client.force_authenticate(reporter)
    body = {"kind": "breach", "summary": "File sent to the wrong parent", "channel": "email",
            "aware_at": "2026-11-30T09:00:00+13:00"}  # fmt: skip

    _stop_redis(port)
    try:
        started = time.monotonic()
        response = client.post("/api/v1/incidents/", body, format="json")
        answered_in = time.monotonic() - started
        # Stored and answered with success; the retry with the same token finds the same one.
        assert response.status_code == 201, response.content
        reference = response.json()["reference"]
        assert answered_in < 10
        incident = Incident.objects.get(reference=reference)
        assert incident.officers_notified_at is None
    finally:
        _start_redis(port, directory)

    assert not list(celery_worker.mail_dir.glob("*.log"))
    # Beat's sweep, as it runs every OUTBOX_SWEEP_SECONDS: run twice, the e-mail goes once.
    for _ in range(2):
        send_pending_alerts.delay(0)
    wait_for(lambda: list(celery_worker.mail_dir.glob("*.log")), timeout=60, what="the e-mail")
    wait_for(lambda: celery_worker.log().count("send_pending_alerts") >= 4, what="both sweeps")
    text = "".join(p.read_text() for p in celery_worker.mail_dir.glob("*.log"))
    assert text.count("Subject:") == 1
    assert reference in text and officer.email in text
    incident.refresh_from_db()
    assert incident.officers_notified_at is not None
