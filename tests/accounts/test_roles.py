"""Nobody grants themselves power (issue 12, item 3): a role is asked for, and a second person
approves it after typing their password again."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from accounts.models import RoleGrant, User
from accounts.roles import role_decide, role_request
from tests.conftest import World
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
R = User.Role


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_administrator_asking_to_be_cpo_does_not_become_one(world: World) -> None:
    admin = _client(world.admin)
    response = admin.post(
        "/account/roles/request/",
        {"user": "admin", "role": R.CHIEF_PRIVACY_OFFICER, "reason": "I need to see everything"},
    )
    assert response.status_code == 302
    world.admin.refresh_from_db()
    assert world.admin.role == R.ADMINISTRATOR
    grant = RoleGrant.objects.get()
    assert grant.status == RoleGrant.Status.PENDING
    # They cannot approve it themselves, even with their password...
    refused = admin.post(
        f"/account/roles/{grant.pk}/decide/", {"decision": "approve", "password": PASSWORD}
    )
    assert refused.status_code == 400
    world.admin.refresh_from_db()
    assert world.admin.role == R.ADMINISTRATOR
    # ...and they still list no incidents.
    assert _client(world.admin).get("/api/v1/incidents/").json()["count"] == 0


def test_the_cpo_approves_after_typing_their_password_again(world: World) -> None:
    grant = role_request(
        user=world.reporter2, role=R.PRIVACY_OFFICER, actor=world.admin, reason="New officer"
    )
    cpo = _client(world.cpo)
    page = cpo.get("/account/roles/").content.decode()
    assert "New officer" in page and "Your password, again" in page
    wrong = cpo.post(
        f"/account/roles/{grant.pk}/decide/", {"decision": "approve", "password": "guess"}
    )
    assert wrong.status_code == 400
    html = wrong.content.decode()
    assert f'id="field-grant{grant.pk}_password"' in html and "That is not your password" in html
    world.reporter2.refresh_from_db()
    assert world.reporter2.role == R.REPORTER
    ok = cpo.post(
        f"/account/roles/{grant.pk}/decide/",
        {"decision": "approve", "password": PASSWORD, "note": "Welcome"},
    )
    assert ok.status_code == 302
    world.reporter2.refresh_from_db()
    assert world.reporter2.role == R.PRIVACY_OFFICER
    grant.refresh_from_db()
    assert (grant.status, grant.decided_by) == (RoleGrant.Status.APPROVED, world.cpo)
    # The user's own history says who granted it.
    latest = world.reporter2.history.first()  # type: ignore[attr-defined]
    assert latest.history_user == world.cpo and "role granted" in latest.history_change_reason


def test_administrator_is_approved_by_another_administrator_only(world: World) -> None:
    second = UserFactory(username="admin2", role=R.ADMINISTRATOR, is_staff=True)
    grant = role_request(user=world.reporter, role=R.ADMINISTRATOR, actor=world.admin, reason="IT")
    with pytest.raises(PermissionDenied):
        role_decide(grant=grant, actor=world.cpo, approve=True, password=PASSWORD)
    with pytest.raises(PermissionDenied):
        role_decide(grant=grant, actor=world.admin, approve=True, password=PASSWORD)
    role_decide(grant=grant, actor=second, approve=True, password=PASSWORD)
    world.reporter.refresh_from_db()
    assert world.reporter.role == R.ADMINISTRATOR and world.reporter.is_staff


def test_the_person_receiving_cannot_approve_and_refusal_is_recorded(world: World) -> None:
    grant = role_request(user=world.cpo, role=R.EXECUTIVE, actor=world.admin, reason="Move")
    with pytest.raises(PermissionDenied):
        role_decide(grant=grant, actor=world.cpo, approve=True, password=PASSWORD)
    grant2 = role_request(user=world.reporter, role=R.EXECUTIVE, actor=world.admin, reason="x")
    role_decide(grant=grant2, actor=world.cpo, approve=False, password=PASSWORD, note="No")
    grant2.refresh_from_db()
    world.reporter.refresh_from_db()
    assert grant2.status == RoleGrant.Status.REFUSED and world.reporter.role == R.REPORTER
    with pytest.raises(ValidationError):
        role_decide(grant=grant2, actor=world.cpo, approve=True, password=PASSWORD)


def test_going_back_to_reporter_applies_at_once(world: World) -> None:
    grant = role_request(user=world.officer_b, role=R.REPORTER, actor=world.admin, reason="Left")
    world.officer_b.refresh_from_db()
    assert grant.status == RoleGrant.Status.APPROVED and world.officer_b.role == R.REPORTER


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("cpo", 200), ("officer_a", 404), ("executive", 404), ("reporter", 404)],
)
def test_who_sees_the_roles_page(world: World, persona: str, status: int) -> None:
    assert _client(world.persona(persona)).get("/account/roles/").status_code == status
    posted = _client(world.persona(persona)).post(
        "/account/roles/request/", {"user": "reporter", "role": R.EXECUTIVE, "reason": "x"}
    )
    assert posted.status_code == (302 if persona == "admin" else 400 if persona == "cpo" else 404)
    assert world.reporter.role == R.REPORTER
