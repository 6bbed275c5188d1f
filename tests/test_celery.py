"""A real worker against the throwaway Redis runs a task enqueued on commit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from breaches.intake.services import incident_create
from breaches.models import Incident
from tests.conftest import Worker, wait_for
from tests.factories import BusinessUnitFactory, UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_new_report_emails_its_officers_through_a_real_worker(celery_worker: Worker) -> None:
    region = BusinessUnitFactory(code="region")
    site = BusinessUnitFactory(code="site", parent=region)
    other = BusinessUnitFactory(code="other")
    officer = UserFactory(
        username="officer", role=User.Role.PRIVACY_OFFICER, business_unit=region,
        assigned_units=[region],
    )  # fmt: skip
    UserFactory(
        username="elsewhere", role=User.Role.PRIVACY_OFFICER, business_unit=other,
        assigned_units=[other],
    )  # fmt: skip
    reporter = UserFactory(username="reporter", business_unit=site)

    incident = incident_create(
        reporter=reporter,
        kind=Incident.Kind.BREACH,
        summary="Care plan emailed to the wrong address",
        aware_at=timezone.now() - timedelta(hours=1),
        channel=Incident.Channel.EMAIL,
        business_unit=site,
    )

    notified = wait_for(
        lambda: Incident.objects.filter(pk=incident.pk).values_list(
            "officers_notified_at", flat=True
        )[0],
        what="the worker to mark the officers notified",
    )
    assert notified is not None
    messages = wait_for(lambda: list(celery_worker.mail_dir.glob("*.log")), what="the e-mail")
    text = "".join(p.read_text() for p in messages)
    assert officer.email in text
    assert "elsewhere@" not in text
    assert incident.reference in text
    # The e-mail carries no incident content beyond the reference and unit.
    assert "Care plan emailed" not in text
    assert "Task breaches.tasks.notify_officers_of_new_report" in celery_worker.log()


def test_a_task_is_not_sent_when_the_transaction_rolls_back(celery_worker: Worker) -> None:
    from django.db import transaction

    site = BusinessUnitFactory(code="site")
    UserFactory(role=User.Role.PRIVACY_OFFICER, business_unit=site, assigned_units=[site])
    reporter = UserFactory(business_unit=site)
    with pytest.raises(RuntimeError), transaction.atomic():
        incident_create(
            reporter=reporter,
            kind=Incident.Kind.BREACH,
            summary="Rolled back",
            aware_at=timezone.now(),
            channel=Incident.Channel.EMAIL,
            business_unit=site,
        )
        raise RuntimeError("abort")
    assert not Incident.objects.exists()
    # Prove the worker is alive and idle: a committed report afterwards is processed, and
    # it is the only e-mail ever written.
    incident = incident_create(
        reporter=reporter,
        kind=Incident.Kind.NEAR_MISS,
        summary="Committed",
        aware_at=timezone.now(),
        channel=Incident.Channel.EMAIL,
        business_unit=site,
    )
    wait_for(lambda: list(celery_worker.mail_dir.glob("*.log")), what="the e-mail")
    text = "".join(p.read_text() for p in celery_worker.mail_dir.glob("*.log"))
    assert text.count("Subject:") == 1
    assert incident.reference in text


def test_deadline_reminders_are_sent_once_by_a_real_worker(celery_worker: Worker) -> None:
    from breaches.models import DeadlineReminder
    from breaches.tasks import send_deadline_reminders
    from breaches.triage.engine import parse_facts
    from breaches.triage.services import assessment_create
    from tests.breaches.triage.engine.test_facts import VALID
    from tests.factories import IncidentFactory

    region = BusinessUnitFactory(code="region")
    officer = UserFactory(
        role=User.Role.PRIVACY_OFFICER, business_unit=region, assigned_units=[region]
    )
    incident = IncidentFactory(reporter=UserFactory(business_unit=region), business_unit=region)
    # Aware 60 hours ago: 12 of the 72 hours are left, inside the 24-hour reminder window.
    aware = (timezone.now() - timedelta(hours=60)).isoformat()
    assessment_create(
        incident=incident, facts=parse_facts({**VALID, "aware_at": aware}), actor=officer
    )

    # The scheduler may fire several times (or two beats overlap): one reminder, one e-mail.
    for _ in range(3):
        send_deadline_reminders.delay()
    wait_for(lambda: DeadlineReminder.objects.exists(), what="the reminder row")
    wait_for(lambda: celery_worker.log().count("succeeded") >= 3, what="all three runs to finish")
    assert DeadlineReminder.objects.count() == 1
    text = "".join(p.read_text() for p in celery_worker.mail_dir.glob("*.log"))
    assert text.count("Subject:") == 1
    assert "hours left to notify the regulator" in text
    assert officer.email in text


def test_beat_schedules_the_reminders() -> None:
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["deadline-reminders"]
    assert entry["task"] == "breaches.tasks.send_deadline_reminders"
    assert 0 < float(entry["schedule"]) <= 3600


def test_action_reminders_are_sent_once_by_a_real_worker(celery_worker: Worker) -> None:
    from breaches.response.actions import action_create
    from breaches.tasks import send_action_reminders
    from tests.factories import IncidentFactory

    region = BusinessUnitFactory(code="region")
    officer = UserFactory(
        role=User.Role.PRIVACY_OFFICER, business_unit=region, assigned_units=[region]
    )
    owner = UserFactory(business_unit=region)
    incident = IncidentFactory(reporter=owner, business_unit=region)
    action_create(incident=incident, actor=officer, title="Shred the old files", owner=owner, due_date=timezone.localdate())  # fmt: skip
    for _ in range(3):
        send_action_reminders.delay()
    wait_for(lambda: celery_worker.log().count("send_action_reminders") >= 6, what="three runs")
    wait_for(lambda: list(celery_worker.mail_dir.glob("*.log")), what="the e-mail")
    text = "".join(p.read_text() for p in celery_worker.mail_dir.glob("*.log"))
    assert text.count("Subject:") == 1
    assert "Shred the old files" in text and owner.email in text
