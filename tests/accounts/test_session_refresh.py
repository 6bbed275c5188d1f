"""The idle session limit slides without a write at every request (SESSION_REFRESH_SECONDS)."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.middleware import REFRESHED_AT
from tests.conftest import World

pytestmark = pytest.mark.django_db


def session_writes(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return sum(
        1
        for q in queries.captured_queries
        if "django_session" in q["sql"]
        and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    )


def test_a_session_is_saved_at_most_once_a_minute_and_its_expiry_moves_on(world: World) -> None:
    client = Client()
    client.force_login(world.reporter)
    # Signing in saved it: nothing to save in the first minute.
    assert session_writes(client, "/incidents/mine/") == 0
    assert session_writes(client, "/incidents/mine/") == 0
    # A minute on: saved again, and the expiry moves with it.
    session = client.session
    session[REFRESHED_AT] = time.time() - 61
    session.save()
    before = Session.objects.get(session_key=session.session_key).expire_date
    time.sleep(0.01)
    assert session_writes(client, "/incidents/mine/") == 1
    after = Session.objects.get(session_key=session.session_key).expire_date
    assert after > before


def test_anonymous_requests_create_no_session(world: World) -> None:
    client = Client()
    assert session_writes(client, "/login/") == 0
