"""The officer's workspace: notifications, actions, restriction, access log, home."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import AccessEvent
from breaches.intake.services import incident_create
from breaches.models import Action, Incident, Notification
from breaches.response.actions import action_create, action_set_status, send_action_reminders
from breaches.response.notifications import notification_record
from breaches.response.restriction import incident_restrict, incident_unrestrict
from tests.conftest import World, add_action

pytestmark = pytest.mark.django_db


def with_deadline(world: World, deadline) -> Incident:  # type: ignore[no-untyped-def]
    Incident.objects.filter(pk=world.incident_a.pk).update(regulator_deadline=deadline)
    return Incident.objects.get(pk=world.incident_a.pk)


@pytest.mark.parametrize(("offset", "on_time"), [(-1, True), (0, True), (1, False)])
def test_notification_on_time_or_late_at_the_boundary(
    world: World, offset: int, on_time: bool
) -> None:
    deadline = timezone.now() - timedelta(hours=1)
    incident = with_deadline(world, deadline)
    notification = notification_record(
        incident=incident, actor=world.officer_a, recipient="regulator", method="online_form",
        notified_at=deadline + timedelta(seconds=offset), reference_number="OPC-123",
    )  # fmt: skip
    assert notification.on_time is on_time
    incident.refresh_from_db()
    assert incident.regulator_notified_at == deadline + timedelta(seconds=offset)
    assert not incident.clock_running
    client = Client()
    client.force_login(world.officer_a)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert ("On time" if on_time else "Late") in page
    assert "Notified" in client.get("/incidents/").content.decode()


def test_not_notifying_needs_a_reason_and_near_misses_are_never_notified(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        notification_record(incident=world.incident_a, actor=world.officer_a, recipient="individuals", method="not_notified", notified_at=None)  # fmt: skip
    assert "reason" in caught.value.message_dict
    n = notification_record(incident=world.incident_a, actor=world.officer_a, recipient="individuals", method="not_notified", notified_at=None, reason="s116: safety")  # fmt: skip
    assert n.notified_at is None
    Incident.objects.filter(pk=world.incident_a.pk).update(kind="near_miss")
    world.incident_a.refresh_from_db()
    with pytest.raises(ValidationError):
        notification_record(incident=world.incident_a, actor=world.officer_a, recipient="regulator", method="email", notified_at=timezone.now())  # fmt: skip


def test_only_handlers_record_notifications_and_the_page_never_500s(world: World) -> None:
    with pytest.raises(PermissionDenied):
        notification_record(incident=world.incident_a, actor=world.reporter, recipient="regulator", method="email", notified_at=timezone.now())  # fmt: skip
    client = Client()
    client.force_login(world.officer_a)
    url = f"/incidents/{world.incident_a.reference}/notifications/"
    bad = client.post(
        url,
        {"recipient": "regulator", "method": "email", "notified_at": "yesterday",
         "reference_number": "OPC-77"},
    )  # fmt: skip
    # The page comes back: the section open, the error beside its field, everything typed kept.
    assert bad.status_code == 400
    page = bad.content.decode()
    assert 'id="error-summary"' in page and "The notification was not recorded" in page
    assert 'id="field-notify_notified_at"' in page and "has-error" in page
    assert 'value="OPC-77"' in page and "<details open>" in page
    assert not Notification.objects.exists()
    ok = client.post(
        url,
        {
            "recipient": "regulator",
            "stage": "initial",
            "method": "email",
            "notified_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert ok.status_code == 302 and Notification.objects.count() == 1
    client.force_login(world.officer_b)
    assert client.post(url, {"recipient": "regulator", "method": "email"}).status_code == 404


def fell_due(action: Action, days_ago: int) -> Action:
    """The action as it is once its due date has passed (a past date cannot be set)."""
    Action.objects.filter(pk=action.pk).update(
        due_date=timezone.localdate() - timedelta(days=days_ago)
    )
    action.refresh_from_db()
    return action


def test_actions_overdue_and_my_actions(world: World) -> None:
    # reporter2 owns it without seeing incident A (given before scope took A from them).
    action = fell_due(add_action(world), 1)
    assert action.is_overdue
    client = Client()
    client.force_login(world.reporter2)  # the owner, though not able to see the incident
    mine = client.get("/incidents/actions/mine/").content.decode()
    assert "Lock the filing cabinet" in mine and "Overdue" in mine
    assert client.get(world.incident_a.get_absolute_url()).status_code == 404
    client.post(f"/incidents/actions/{action.pk}/status/", {"status": "done", "next": "mine"})
    action.refresh_from_db()
    assert action.status == "done" and action.completed_at
    with pytest.raises(PermissionDenied):
        action_set_status(action=action, actor=world.reporter2, status="cancelled")
    client.force_login(world.officer_a)
    assert "Overdue" not in client.get(world.incident_a.get_absolute_url()).content.decode()


def test_overdue_actions_show_on_the_officers_home(world: World) -> None:
    action = action_create(incident=world.incident_a, actor=world.officer_a, title="Lock the cabinet", owner=world.reporter, due_date=timezone.localdate())  # fmt: skip
    fell_due(action, 3)
    client = Client()
    client.force_login(world.officer_a)
    home = client.get("/incidents/home/")
    assert home.status_code == 200
    body = home.content.decode()
    assert "Lock the cabinet" in body
    assert "Incident A" in body  # new report
    client.force_login(world.officer_b)
    assert "Lock the cabinet" not in client.get("/incidents/home/").content.decode()


def test_action_reminders_are_sent_once(world: World) -> None:
    action_create(incident=world.incident_a, actor=world.officer_a, title="Lock the cabinet", owner=world.reporter, due_date=timezone.localdate())  # fmt: skip
    action_create(incident=world.incident_a, actor=world.officer_a, title="Later", owner=world.reporter, due_date=timezone.localdate() + timedelta(days=5))  # fmt: skip
    assert send_action_reminders() == 1
    assert send_action_reminders() == 0
    assert [m.to for m in mail.outbox] == [[world.reporter.email]]
    assert "Lock the cabinet" in mail.outbox[0].subject


def test_restriction_vanishes_everywhere_for_others_and_is_on_the_timeline(world: World) -> None:
    client = Client()
    client.force_login(world.officer_a)
    assert "Incident A" in client.get("/incidents/").content.decode()
    with pytest.raises(PermissionDenied):
        incident_restrict(
            incident=world.incident_a, actor=world.officer_a, people=[world.officer_b], reason="x"
        )
    with pytest.raises(ValidationError):
        incident_restrict(incident=world.incident_a, actor=world.cpo, people=[], reason="")
    incident_restrict(
        incident=world.incident_a, actor=world.cpo, people=[world.named], reason="Staff conduct"
    )
    for persona in ["officer_a", "reporter", "officer_b"]:
        client.force_login(world.persona(persona))
        assert client.get(world.incident_a.get_absolute_url()).status_code == 404
        assert "Incident A" not in client.get("/api/v1/incidents/").content.decode()
    client.force_login(world.officer_a)
    assert client.get("/incidents/").context["paginator"].count == 0
    export = b"".join(client.get("/incidents/export.csv").streaming_content).decode()
    assert len(list(csv.reader(io.StringIO(export)))) == 1  # the header only
    client.force_login(world.named)
    assert client.get(world.incident_a.get_absolute_url()).status_code == 200
    client.force_login(world.cpo)
    timeline = client.get(world.incident_a.get_absolute_url()).context["timeline"]
    assert any("restricted: Staff conduct" in e.text for e in timeline)
    incident_unrestrict(incident=world.incident_a, actor=world.cpo, reason="Conduct matter closed")
    client.force_login(world.officer_a)
    assert client.get(world.incident_a.get_absolute_url()).status_code == 200


def test_restriction_through_the_page(world: World) -> None:
    client = Client()
    client.force_login(world.cpo)
    url = f"/incidents/{world.incident_a.reference}/restriction/"
    client.post(url, {"people": [world.named.pk], "reason": "Staff conduct"})
    assert Incident.objects.get(pk=world.incident_a.pk).is_restricted
    client.post(url, {"lift": "1", "reason": "Done"})
    assert not Incident.objects.get(pk=world.incident_a.pk).is_restricted
    client.force_login(world.officer_a)
    client.post(url, {"people": [world.named.pk], "reason": "x"})
    assert not Incident.objects.get(pk=world.incident_a.pk).is_restricted


def test_access_log_for_handlers_only(world: World) -> None:
    client = Client()
    client.force_login(world.reporter)
    client.get(world.incident_a.get_absolute_url())
    url = f"/incidents/{world.incident_a.reference}/access-log/"
    assert client.get(url).status_code == 404
    client.force_login(world.officer_a)
    page = client.get(url)
    assert page.status_code == 200
    assert [e.user for e, _hidden in page.context["rows"]] == [world.reporter]
    assert AccessEvent.objects.filter(incident=world.incident_a).count() == 1
    client.force_login(world.officer_b)
    assert client.get(url).status_code == 404


def test_the_clock_starts_at_awareness(world: World) -> None:
    aware = timezone.now() - timedelta(hours=2)
    incident = incident_create(reporter=world.reporter, kind="breach", summary="New one", aware_at=aware, channel="email", business_unit=world.site_a1)  # fmt: skip
    assert incident.regulator_deadline == aware + timedelta(hours=72)
    near = incident_create(reporter=world.reporter, kind="near_miss", summary="Caught", aware_at=aware, channel="email", business_unit=world.site_a1)  # fmt: skip
    assert near.regulator_deadline is None
