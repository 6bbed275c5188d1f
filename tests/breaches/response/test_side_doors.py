"""Side doors around ``visible_to`` (SPEC §3): my actions, reminders, the reporter's API, the
details page, and header-safe, isolated reminder runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AccessEvent
from breaches.models import Action
from breaches.response.actions import send_action_reminders
from tests.conftest import World

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def _action(world: World, *, incident, owner, title: str = "Shred the copies") -> Action:  # type: ignore[no-untyped-def]
    """An overdue action whose owner may no longer see its incident: new actions go only to
    people who can see it (``action_create``), but a restriction or a move of unit can take
    the incident from an owner afterwards, and the side doors must still hold then."""
    return Action.objects.create(
        incident=incident, created_by=world.cpo, title=title, owner=owner,
        due_date=timezone.localdate() - timedelta(days=1), description="Mother's file, room 3",
    )  # fmt: skip


def test_an_owner_who_cannot_see_the_incident_gets_title_and_due_date_only(world: World) -> None:
    _action(world, incident=world.incident_b, owner=world.reporter)  # reporter2's incident
    rows = api(world.reporter).get("/api/v1/actions/mine/").json()["results"]
    assert [(r["title"], r["incident"], r["description"]) for r in rows] == [
        ("Shred the copies", None, "")
    ]
    client = Client()
    client.force_login(world.reporter)
    page = client.get("/incidents/actions/mine/").content.decode()
    assert "Shred the copies" in page
    assert world.incident_b.reference not in page and "Mother" not in page


def test_nothing_about_a_restricted_incident_reaches_an_owner_not_named_on_it(world: World) -> None:
    _action(world, incident=world.restricted, owner=world.executive, title="Discipline review")
    assert api(world.executive).get("/api/v1/actions/mine/").json()["results"] == []
    client = Client()
    client.force_login(world.executive)
    page = client.get("/incidents/actions/mine/").content.decode()
    assert "Discipline review" not in page and world.restricted.reference not in page
    action = Action.objects.get(title="Discipline review")
    assert (
        client.post(f"/incidents/actions/{action.pk}/status/", {"status": "done"}).status_code
        == 404
    )
    assert (
        api(world.executive)
        .post(f"/api/v1/actions/{action.pk}/status/", {"status": "done"}, format="json")
        .status_code
        == 404
    )
    mail.outbox.clear()
    send_action_reminders()
    assert [m for m in mail.outbox if world.executive.email in m.to] == []


def test_reminders_say_only_what_the_owner_may_see(world: World) -> None:
    _action(world, incident=world.incident_b, owner=world.reporter, title="Hidden ref")
    _action(world, incident=world.incident_a, owner=world.reporter, title="Own incident")
    mail.outbox.clear()
    assert send_action_reminders() == 2
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == [
        "Action due: Hidden ref",
        f"Action due: Own incident ({world.incident_a.reference})",
    ]


def test_one_bad_row_does_not_stop_a_reminder_run(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _action(world, incident=world.incident_a, owner=world.reporter, title="First")
    _action(world, incident=world.incident_a, owner=world.reporter2, title="Second")
    # A row stored before titles were checked, with a header-breaking title.
    Action.objects.filter(pk=first.pk).update(title="Evil\r\nBcc: everyone@example.org")
    mail.outbox.clear()
    assert send_action_reminders() == 2
    assert all("\n" not in m.subject and "\r" not in m.subject for m in mail.outbox)
    # A failure of one send is recorded on its row, the rest still go, and it is retried later.
    Action.objects.update(reminded_at=None)
    from breaches.response import actions as module

    real = module.send_mail

    def flaky(**kwargs):  # type: ignore[no-untyped-def]
        if "Evil" in kwargs["subject"]:
            raise OSError("mail server refused it")
        return real(**kwargs)

    monkeypatch.setattr(module, "send_mail", flaky)
    mail.outbox.clear()
    assert send_action_reminders() == 1
    failed = Action.objects.get(pk=first.pk)
    assert failed.reminded_at is None and "mail server refused it" in failed.reminder_error


@pytest.mark.parametrize("title", ["Two\nlines", "Carriage\rreturn", "Tab\there"])
def test_titles_with_line_breaks_are_a_field_error(world: World, title: str) -> None:
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    url = f"/api/v1/incidents/{world.incident_a.reference}/actions/"
    response = api(world.officer_a).post(
        url, {"title": title, "owner": "reporter", "due_date": due}, format="json"
    )
    assert response.status_code == 400 and "title" in response.json()
    client = Client()
    client.force_login(world.officer_a)
    page = client.post(
        f"/incidents/{world.incident_a.reference}/actions/",
        {"title": title, "owner": "reporter", "due_date": due, "kind": "remediation"},
    )
    # The error beside the title field, the section open, the rest of the input kept.
    assert page.status_code == 400 and "one line" in page.content.decode()
    assert (
        'id="field-action_title"' in page.content.decode()
        and "The action was not added" in page.content.decode()
    )
    assert not Action.objects.exists()


def test_restricting_tells_the_cpo_which_owners_lose_sight(world: World) -> None:
    _action(world, incident=world.incident_a, owner=world.reporter2, title="Call the client")
    client = Client()
    client.force_login(world.cpo)
    page = client.post(
        f"/incidents/{world.incident_a.reference}/restriction/",
        {"people": [world.named.pk], "reason": "Staff conduct"},
        follow=True,
    ).content.decode()
    assert "no longer see the incident" in page and "reporter2" in page


def test_the_reporters_api_view_equals_their_page(world: World) -> None:
    url = f"/api/v1/incidents/{world.incident_a.reference}/"
    hidden = {
        "severity",
        "regulator_deadline",
        "decision_notify_regulator",
        "regulator_notified_at",
    }
    assert not hidden & set(api(world.reporter).get(url).json())
    assert not hidden & set(api(world.reporter).get("/api/v1/incidents/").json()["results"][0])
    assert hidden <= set(api(world.officer_a).get(url).json())


def test_the_details_page_is_an_access_event(world: World) -> None:
    client = Client()
    client.force_login(world.reporter)
    assert client.get(f"/incidents/{world.incident_a.reference}/details/").status_code == 200
    assert AccessEvent.objects.filter(
        user=world.reporter, incident=world.incident_a, action=AccessEvent.Action.VIEW,
        detail__page="details",
    ).exists()  # fmt: skip


def test_a_huge_person_id_in_the_restriction_form_is_a_field_error(world: World) -> None:
    client = Client()
    client.force_login(world.cpo)
    response = client.post(
        f"/incidents/{world.incident_a.reference}/restriction/",
        {"people": ["99999999999999999999999"], "reason": "x"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="field-restrict_people"' in page and "has-error" in page
    assert "The restriction was not changed" in page and "x</textarea>" in page
    world.incident_a.refresh_from_db()
    assert not world.incident_a.is_restricted
