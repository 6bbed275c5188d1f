"""Administrators manage users, units and roles in the admin; every change is audited."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import BusinessUnit, User
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_admin_creates_a_unit_and_an_officer_with_assigned_units(
    world: World, client: Client
) -> None:
    client.force_login(world.admin)
    response = client.post(
        "/admin/accounts/businessunit/add/",
        {"name": "Site A2", "code": "site-a2", "parent": world.region_a.pk},
    )
    assert response.status_code == 302, response.content
    unit = BusinessUnit.objects.get(code="site-a2")
    assert unit.path == "/national/region-a/site-a2/"
    assert unit.history.get().history_user == world.admin

    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "newofficer",
            "email": "new@agency.example",
            "first_name": "New",
            "last_name": "Officer",
            "role": User.Role.PRIVACY_OFFICER,
            "business_unit": unit.pk,
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
        },
    )
    assert response.status_code == 302, response.content
    user = User.objects.get(username="newofficer")
    assert user.business_unit == unit
    # A new person starts as a reporter, whatever was posted: the role is asked for and a
    # second person approves it (tests/accounts/test_roles.py).
    assert user.role == User.Role.REPORTER


def test_an_administrator_cannot_give_a_role_or_superuser_in_the_admin(
    world: World, client: Client
) -> None:
    client.force_login(world.admin)
    # Another administrator's account, not a superuser: the admin must not make it one either.
    other = User.objects.create_user(
        "admin2", "admin2@agency.example", "x", role=User.Role.ADMINISTRATOR,
        business_unit=world.national, is_staff=True,
    )  # fmt: skip
    url = f"/admin/accounts/user/{other.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update(
        {"role": User.Role.CHIEF_PRIVACY_OFFICER, "is_superuser": "on", "is_staff": "on",
         "is_active": "on", "business_unit": world.admin.business_unit_id,
         "assigned_units": [], "date_joined_0": "", "date_joined_1": ""}
    )  # fmt: skip
    assert client.post(url, data).status_code == 302
    other.refresh_from_db()
    assert other.role == User.Role.ADMINISTRATOR and not other.is_superuser
    page = client.get(f"/admin/accounts/user/{world.admin.pk}/change/").content.decode()
    assert 'name="role"' not in page and 'name="is_superuser"' not in page


def test_admin_rejects_a_unit_code_with_bad_characters(world: World, client: Client) -> None:
    client.force_login(world.admin)
    response = client.post(
        "/admin/accounts/businessunit/add/", {"name": "Bad", "code": "Bad Code!", "parent": ""}
    )
    assert response.status_code == 200
    assert "code" in response.context["adminform"].form.errors


def test_admin_cannot_move_a_unit_under_its_own_descendant(world: World, client: Client) -> None:
    client.force_login(world.admin)
    response = client.post(
        f"/admin/accounts/businessunit/{world.region_b.pk}/change/",
        {"name": "Region B", "code": "region-b", "parent": world.site_b1.pk},
    )
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    world.region_b.refresh_from_db()
    assert world.region_b.path == "/national/region-b/"


def test_nobody_but_administrators_reaches_the_admin(world: World, client: Client) -> None:
    for persona in ["reporter", "officer_a", "cpo", "executive"]:
        client.force_login(world.persona(persona))
        assert client.get("/admin/").status_code == 302


def test_role_changes_are_in_the_user_history(world: World, client: Client) -> None:
    client.force_login(world.admin)
    world.reporter.role = User.Role.PRIVACY_OFFICER
    world.reporter._history_user = world.admin  # type: ignore[attr-defined]
    world.reporter.save()
    latest, previous = world.reporter.history.order_by("-history_id")[:2]
    changes = {c.field: (c.old, c.new) for c in latest.diff_against(previous).changes}
    assert changes["role"] == ("reporter", "privacy_officer")
    assert not hasattr(latest, "password")
