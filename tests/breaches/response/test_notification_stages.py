"""Regulator notifications in stages (SPEC §4.4): initial, updates, final; each recorded, the
clock stopped by the initial one only; the same rules on the page, in the API and the service."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from breaches.models import Incident, Notification
from breaches.response.notifications import notification_record
from tests.conftest import World

pytestmark = pytest.mark.django_db


def record(world: World, **kwargs: object) -> Notification:
    data: dict[str, object] = {"recipient": "regulator", "method": "online_form"}
    data.update(kwargs)
    return notification_record(incident=world.incident_a, actor=world.officer_a, **data)  # type: ignore[arg-type]


def errors_of(world: World, **kwargs: object) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        record(world, **kwargs)
    return caught.value.message_dict


def test_stages_follow_in_order_and_only_the_initial_stops_the_clock(world: World) -> None:
    Incident.objects.filter(pk=world.incident_a.pk).update(
        regulator_deadline=timezone.now() - timedelta(hours=1)
    )
    world.incident_a.refresh_from_db()
    first_at = timezone.now() - timedelta(hours=2)
    assert (
        "Record the initial notification first"
        in errors_of(world, stage="update", notified_at=first_at)["stage"][0]
    )
    initial = record(world, stage="initial", notified_at=first_at, reference_number="OPC-1")
    assert initial.stage == "initial" and initial.on_time is True
    assert (
        "already recorded"
        in errors_of(world, stage="initial", notified_at=timezone.now())["stage"][0]
    )
    # An update dated before the initial notification is refused at its date.
    assert (
        "before the initial notification"
        in errors_of(world, stage="update", notified_at=first_at - timedelta(minutes=5))[
            "notified_at"
        ][0]
    )
    update = record(world, stage="update", notified_at=timezone.now())
    assert update.on_time is None  # judged once, by the initial notification
    final = record(world, stage="final", notified_at=timezone.now())
    assert final.stage == "final"
    incident = Incident.objects.get(pk=world.incident_a.pk)
    assert incident.regulator_notified_at == first_at  # the clock stopped at the initial
    for stage in ["update", "final", "initial"]:
        assert (
            "no stage follows it"
            in errors_of(world, stage=stage, notified_at=timezone.now())["stage"][0]
        )
    assert list(
        Notification.objects.filter(recipient="regulator").values_list("stage", flat=True)
    ) == ["initial", "update", "final"]


def test_a_stage_belongs_to_a_notification_made_to_the_regulator(world: World) -> None:
    now = timezone.now()
    assert (
        "regulator only"
        in errors_of(
            world, recipient="individuals", method="letter", stage="initial", notified_at=now
        )["stage"][0]
    )
    assert (
        "leave it empty"
        in errors_of(world, method="not_notified", stage="initial", reason="Recovered unread.")[
            "stage"
        ][0]
    )
    assert (
        "Choose initial, update or final"
        in errors_of(world, stage="later", notified_at=now)["stage"][0]
    )
    # Recording why not has no stage; a caller recording one notification gets the initial.
    why_not = record(world, method="not_notified", reason="Delayed: Police asked us to wait.")
    assert why_not.stage == ""
    first = record(world, notified_at=now)
    assert first.stage == "initial"
    assert errors_of(world, notified_at=now)["stage"] == [
        "Say which stage this is: initial, update or final."
    ]


def test_a_notification_recorded_before_stages_counts_as_the_initial(world: World) -> None:
    Notification.objects.create(
        incident=world.incident_a, recipient="regulator", method="email",
        notified_at=timezone.now(), recorded_by=world.officer_a,
    )  # fmt: skip
    assert (
        "already recorded"
        in errors_of(world, stage="initial", notified_at=timezone.now())["stage"][0]
    )
    assert record(world, stage="update", notified_at=timezone.now()).stage == "update"


def test_the_page_takes_the_first_as_initial_then_asks_for_the_stage(
    world: World, client: Client
) -> None:
    client.force_login(world.officer_a)
    url = f"/incidents/{world.incident_a.reference}/notifications/"
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    refused = client.post(url, {"recipient": "regulator", "method": "email", "stage": ""})
    assert refused.status_code == 400
    assert set(refused.context["notification_form"].errors) == {"notified_at"}
    wrong = client.post(url, {"recipient": "regulator", "method": "email", "stage": "update",
                              "notified_at": when})  # fmt: skip
    assert wrong.status_code == 400
    assert (
        "Record the initial notification first"
        in wrong.context["notification_form"].errors["stage"][0]
    )
    assert 'id="field-notify_stage"' in wrong.content.decode()
    first = client.post(url, {"recipient": "regulator", "method": "email", "stage": "",
                              "notified_at": when, "reference_number": "OPC-5"})  # fmt: skip
    assert first.status_code == 302
    assert Notification.objects.get(reference_number="OPC-5").stage == "initial"
    # After the initial one, the stage must be said.
    again = client.post(url, {"recipient": "regulator", "method": "email", "stage": "",
                              "notified_at": when})  # fmt: skip
    assert again.status_code == 400
    assert again.context["notification_form"].errors["stage"] == [
        "Say which stage this is: initial, update or final."
    ]
    page = client.get(world.incident_a.get_absolute_url()).content.decode()
    assert '<span class="badge badge-stage">Initial</span>' in page
    assert not Notification.objects.filter(stage="update").exists()


def test_the_api_validates_the_stage_the_same_way(world: World) -> None:
    api = APIClient()
    api.force_authenticate(world.officer_a)
    url = f"/api/v1/incidents/{world.incident_a.reference}/notifications/"
    now = timezone.now().isoformat()
    body = {"recipient": "regulator", "method": "online_form", "notified_at": now}
    undated = api.post(url, {"recipient": "regulator", "method": "online_form"}, format="json")
    assert undated.status_code == 400 and set(undated.json()) == {"notified_at"}
    bogus = api.post(url, {**body, "stage": "later"}, format="json")
    assert bogus.status_code == 400 and "Allowed values: initial, update, final" in str(
        bogus.json()["stage"]
    )
    early = api.post(url, {**body, "stage": "final"}, format="json")
    assert early.status_code == 400 and "initial notification first" in early.json()["stage"][0]
    person = api.post(
        url, {**body, "recipient": "individuals", "method": "letter", "stage": "initial"},
        format="json",
    )  # fmt: skip
    assert person.status_code == 400 and "regulator only" in person.json()["stage"][0]
    ok = api.post(url, body, format="json")  # the first: the initial one
    assert ok.status_code == 201 and ok.json()["stage"] == "initial"
    missing = api.post(url, body, format="json")
    assert missing.status_code == 400 and "Say which stage" in missing.json()["stage"][0]
    listed = api.get(url).json()["results"]
    assert [row["stage"] for row in listed] == ["initial"]
