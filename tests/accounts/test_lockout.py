"""Login lockout (SPEC §8): repeated failures lock that username from that address."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_five_failures_lock_the_account_even_with_the_right_password(
    world: World, settings
) -> None:  # type: ignore[no-untyped-def]
    client = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/login/", {"username": "reporter", "password": "wrong"})
        assert response.status_code in {200, 429}
    locked = client.post(
        "/login/", {"username": "reporter", "password": "correct horse battery staple"}
    )
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    # Someone else, elsewhere, is not affected.
    other = Client(REMOTE_ADDR="198.51.100.8")
    ok = other.post(
        "/login/", {"username": "reporter2", "password": "correct horse battery staple"}
    )
    assert ok.status_code == 302


def test_a_forged_forwarded_header_does_not_dodge_the_lockout(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    client = Client(REMOTE_ADDR="198.51.100.7")
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/login/", {"username": "cpo", "password": "wrong"}, HTTP_X_FORWARDED_FOR=f"1.2.3.{n}"
        )
    locked = client.post(
        "/login/",
        {"username": "cpo", "password": "correct horse battery staple"},
        HTTP_X_FORWARDED_FOR="9.9.9.9",
    )
    assert locked.status_code == 429
