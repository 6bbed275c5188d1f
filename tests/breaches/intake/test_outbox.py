"""The outbox: a task that cannot reach the broker never fails the request, and the sweep does
the pending work once (the drill with a real worker and a stopped Redis is in
tests/test_broker_outage.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from breaches.intake.alerts import alert_pending_reports
from breaches.models import Incident
from config.celery import app
from reporting import jobs
from reporting.figures import Quarter
from reporting.models import QuarterlyReport
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    refused: list[str] = []
    app.loader.import_default_modules()

    def refuse(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        refused.append(self.name)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(
        type(app.tasks["breaches.tasks.notify_officers_of_new_report"]), "delay", refuse
    )
    return refused


def test_reporting_while_the_broker_is_down_answers_success(
    world: World,
    broker_down: list[str],
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    client = APIClient()
    client.force_authenticate(world.reporter)
    body = {"kind": "breach", "summary": "Sent to the wrong father", "channel": "email",
            "aware_at": timezone.now().isoformat()}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 201
    assert broker_down == ["breaches.tasks.notify_officers_of_new_report"]
    incident = Incident.objects.get(reference=response.json()["reference"])
    assert incident.officers_notified_at is None


def test_the_sweep_sends_each_pending_alert_once_and_leaves_old_and_fresh_ones(
    world: World,
) -> None:
    now = timezone.now()
    Incident.objects.update(officers_notified_at=now)
    pending = Incident.objects.filter(pk=world.incident_a.pk)
    pending.update(officers_notified_at=None, reported_at=now - timedelta(minutes=5))
    fresh = Incident.objects.filter(pk=world.incident_b.pk)
    fresh.update(officers_notified_at=None, reported_at=now)  # its own task may still come
    mail.outbox.clear()
    assert alert_pending_reports(older_than=timedelta(minutes=1)) == 1
    assert alert_pending_reports(older_than=timedelta(minutes=1)) == 0
    assert len(mail.outbox) == 1 and world.incident_a.reference in mail.outbox[0].subject
    assert Incident.objects.get(pk=world.incident_b.pk).officers_notified_at is None


def test_report_jobs_left_queued_are_queued_again(
    world: World, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    stuck = QuarterlyReport.objects.create(
        quarter=Quarter(2026, 2).code, requested_by=world.executive
    )
    QuarterlyReport.objects.filter(pk=stuck.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    new = QuarterlyReport.objects.create(
        quarter=Quarter(2026, 1).code, requested_by=world.executive
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.requeue_pending(older_than=timedelta(minutes=1)) == 1
    # Eager in tests: queued again means made now.
    assert QuarterlyReport.objects.get(pk=stuck.pk).status == QuarterlyReport.Status.DONE
    assert QuarterlyReport.objects.get(pk=new.pk).status == QuarterlyReport.Status.QUEUED


def test_a_pending_alert_of_an_incident_restricted_meanwhile_reaches_only_those_named(
    world: World,
) -> None:
    from breaches.response.restriction import incident_restrict

    now = timezone.now()
    Incident.objects.update(officers_notified_at=now)
    Incident.objects.filter(pk=world.incident_a.pk).update(
        officers_notified_at=None, reported_at=now - timedelta(minutes=5)
    )
    incident_restrict(incident=world.incident_a, actor=world.cpo, people=[world.officer_b],
                      reason="A colleague's conduct")  # fmt: skip
    mail.outbox.clear()
    assert alert_pending_reports(older_than=timedelta(minutes=1)) == 1
    [message] = mail.outbox
    assert message.to == [world.officer_b.email]  # not officer_a, whose unit it is in
