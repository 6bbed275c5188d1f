"""Legal holds: placed and released by the CPO and the privacy officers handling the incident;
an incident outside a person's scope is answered as one that does not exist."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from governance.models import LegalHold
from governance.retention import hold_place, hold_release
from tests.conftest import World

pytestmark = pytest.mark.django_db


def place(client: Client, reference: str, reason: str = "HRRT proceedings 12/2026.") -> int:
    return client.post(
        "/governance/holds/place/", {"reference": reference, "reason": reason}
    ).status_code


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("cpo", 200), ("officer_a", 200), ("officer_b", 200), ("reporter", 404),
        ("executive", 404), ("admin", 404), ("named", 404),
    ],
)  # fmt: skip
def test_holds_page_is_for_officers(
    world: World, client: Client, persona: str, status: int
) -> None:
    client.force_login(world.persona(persona))  # type: ignore[arg-type]
    assert client.get("/governance/holds/").status_code == status


def test_an_officer_holds_and_releases_an_incident_they_handle(
    world: World, client: Client
) -> None:
    client.force_login(world.officer_a)
    assert place(client, world.incident_a.reference) == 302
    hold = LegalHold.objects.get()
    assert (hold.incident, hold.placed_by, hold.is_active) == (
        world.incident_a,
        world.officer_a,
        True,
    )
    page = client.get("/governance/holds/").content.decode()
    assert world.incident_a.reference in page and "HRRT proceedings" in page
    # Releasing needs a reason.
    missing = client.post(f"/governance/holds/{hold.pk}/release/", {"release_reason": ""})
    assert missing.status_code == 400
    assert "This field is required" in missing.content.decode()
    released = client.post(f"/governance/holds/{hold.pk}/release/", {"release_reason": "Settled."})
    assert released.status_code == 302
    hold.refresh_from_db()
    assert (hold.is_active, hold.released_by, hold.release_reason) == (
        False,
        world.officer_a,
        "Settled.",
    )
    # Who did what, in the history.
    assert [
        (h.history_user, h.history_change_reason) for h in hold.history.order_by("history_id")
    ] == [(world.officer_a, "placed"), (world.officer_a, "released")]
    # Released twice: told so, not a 500.
    again = client.post(f"/governance/holds/{hold.pk}/release/", {"release_reason": "Again."})
    assert again.status_code == 302
    assert LegalHold.objects.get().released_by == world.officer_a


@pytest.mark.parametrize(
    ("persona", "incident"),
    [("officer_b", "incident_a"), ("officer_a", "incident_b"), ("officer_a", "restricted")],
)
def test_an_incident_outside_scope_is_answered_as_one_that_does_not_exist(
    world: World, client: Client, persona: str, incident: str
) -> None:
    client.force_login(world.persona(persona))  # type: ignore[arg-type]
    reference = getattr(world, incident).reference
    response = client.post("/governance/holds/place/", {"reference": reference, "reason": "x"})
    assert response.status_code == 400
    nowhere = client.post(
        "/governance/holds/place/", {"reference": "PBR-1999-99999", "reason": "x"}
    )
    # The same words for an incident out of scope and one that does not exist.
    assert response.context["hold_form"].errors["reference"] == [
        f"No incident {reference} among the incidents you handle."
    ]
    assert nowhere.context["hold_form"].errors["reference"] == [
        "No incident PBR-1999-99999 among the incidents you handle."
    ]
    assert not LegalHold.objects.exists()


def test_a_hold_outside_scope_is_404(world: World, client: Client) -> None:
    hold = hold_place(incident=world.incident_a, actor=world.officer_a, reason="OIA 2026-14")
    client.force_login(world.officer_b)
    assert (
        client.post(f"/governance/holds/{hold.pk}/release/", {"release_reason": "x"}).status_code
        == 404
    )
    assert world.incident_a.reference not in client.get("/governance/holds/").content.decode()
    for persona in ["reporter", "executive", "admin"]:
        client.force_login(world.persona(persona))  # type: ignore[arg-type]
        response = client.post(f"/governance/holds/{hold.pk}/release/", {"release_reason": "x"})
        assert response.status_code == 404
        assert place(client, world.incident_a.reference) == 404
    assert LegalHold.objects.get().is_active
    # The CPO handles every incident.
    client.force_login(world.cpo)
    assert (
        client.post(
            f"/governance/holds/{hold.pk}/release/", {"release_reason": "Done."}
        ).status_code
        == 302
    )
    assert place(client, world.restricted.reference) == 302


def test_scope_is_checked_again_on_the_locked_row(world: World) -> None:
    """The service refuses an incident the actor no longer handles (scope changed after the
    page was opened), whatever the view found."""
    with pytest.raises(PermissionDenied):
        hold_place(incident=world.incident_b, actor=world.officer_a, reason="x")
    hold = hold_place(incident=world.incident_a, actor=world.officer_a, reason="x")
    with pytest.raises(PermissionDenied):
        hold_release(hold=hold, actor=world.officer_b, reason="x")
    assert LegalHold.objects.active().count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"reference": "PBR-26-1"}, "reference", "Give a reference like PBR-2026-00042."),
        ({"reference": "x" * 40}, "reference", "at most"),
        ({"reference": ""}, "reference", "This field is required."),
        ({"reason": ""}, "reason", "This field is required."),
        ({"reason": "x" * 2001}, "reason", "at most 2000 characters"),
    ],
)
def test_bad_input_gets_field_errors(
    world: World, client: Client, data: dict[str, str], field: str, message: str
) -> None:
    client.force_login(world.officer_a)
    posted = {"reference": world.incident_a.reference, "reason": "A reason.", **data}
    response = client.post("/governance/holds/place/", posted)
    assert response.status_code == 400
    assert any(message in e for e in response.context["hold_form"].errors[field])
    assert not LegalHold.objects.exists()


def test_one_active_hold_per_incident(world: World, client: Client) -> None:
    client.force_login(world.officer_a)
    assert place(client, world.incident_a.reference) == 302
    response = client.post(
        "/governance/holds/place/", {"reference": world.incident_a.reference.lower(), "reason": "y"}
    )
    assert response.status_code == 400
    assert response.context["hold_form"].errors["reference"] == [
        f"{world.incident_a.reference} is already on hold."
    ]
    with pytest.raises(ValidationError):
        hold_place(incident=world.incident_a, actor=world.cpo, reason="z")
    assert LegalHold.objects.count() == 1
