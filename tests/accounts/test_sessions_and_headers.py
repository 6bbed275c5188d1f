"""Sessions, passwords, headers and throttling (issue 12, item 5; ASVS 4.0.3 level 2)."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from accounts.middleware import SIGNED_IN_AT
from breaches.models import Action
from config import kept_input
from tests.conftest import World
from tests.test_settings import PRODUCTION_ENV, run

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def _signed_in(world: World, who: str = "officer_a") -> Client:
    client = Client()
    assert client.post("/login/", {"username": who, "password": PASSWORD}).status_code == 302
    return client


@pytest.mark.parametrize("password", ["short pass1", "password1234", "123456789012"])
def test_weak_or_breached_passwords_are_refused(world: World, password: str) -> None:
    with pytest.raises(ValidationError):
        validate_password(password, world.reporter)


def test_a_long_passphrase_is_accepted(world: World) -> None:
    validate_password("tui sing over the harbour at dawn", world.reporter)


def test_people_change_their_own_password_with_errors_at_the_fields(world: World) -> None:
    client = _signed_in(world, "reporter")
    page = client.get("/account/password/")
    assert page.status_code == 200 and "At least 12 characters" in page.content.decode()
    refused = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert refused.status_code == 200
    html = refused.content.decode()
    assert 'id="field-new_password2"' in html and "has-error" in html
    assert "Your password was not changed" in html
    changed = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": "kea on the roof again",
         "new_password2": "kea on the roof again"},
    )  # fmt: skip
    assert changed.status_code == 302
    world.reporter.refresh_from_db()
    assert world.reporter.check_password("kea on the roof again")
    assert client.get("/incidents/mine/").status_code == 200  # still signed in


def test_a_session_ends_after_the_absolute_lifetime_however_active(
    world: World, settings: object
) -> None:
    client = _signed_in(world)
    assert client.get("/incidents/").status_code == 200
    session = client.session
    started = session[SIGNED_IN_AT]
    assert abs(started - time.time()) < 60
    session[SIGNED_IN_AT] = time.time() - 13 * 3600  # signed in 13 hours ago
    session.save()
    response = client.get("/incidents/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_form_posted_after_the_absolute_lifetime_keeps_its_input(world: World) -> None:
    client = _signed_in(world)
    session = client.session
    session[SIGNED_IN_AT] = time.time() - 13 * 3600
    session.save()
    response = client.post(
        f"/incidents/{world.incident_a.reference}/actions/",
        {"title": "Recall the letter", "owner": "reporter", "due_date": "2030-01-01",
         "kind": "remediation", "draft_owner": kept_input.owner_token(world.officer_a.pk)},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not Action.objects.exists()
    client.post("/login/", {"username": "officer_a", "password": PASSWORD})
    back = client.get(f"/incidents/{world.incident_a.reference}/?restore=1")
    assert 'value="Recall the letter"' in back.content.decode()


@pytest.mark.parametrize(
    "path",
    ["/incidents/", "/incidents/mine/", "/api/v1/incidents/", "/reports/dashboard/", "/login/"],
)
def test_pages_and_api_answers_are_never_stored(world: World, path: str) -> None:
    client = Client()
    client.force_login(world.cpo)
    response = client.get(path)
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_the_api_is_throttled_per_person(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/hour", "anon": "3/hour"})
    client = APIClient()
    client.force_authenticate(world.officer_a)
    statuses = [client.get("/api/v1/incidents/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    other = APIClient()
    other.force_authenticate(world.cpo)
    assert other.get("/api/v1/incidents/").status_code == 200
    cache.clear()


def test_failures_for_one_username_from_many_addresses_lock_it(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    for n in range(settings.AXES_FAILURE_LIMIT):
        Client(REMOTE_ADDR=f"203.0.113.{n}").post(
            "/login/", {"username": "officer_b", "password": "wrong"}
        )
    locked = Client(REMOTE_ADDR="203.0.113.200").post(
        "/login/", {"username": "officer_b", "password": PASSWORD}
    )
    assert locked.status_code == 429


def test_production_cookies_are_host_only() -> None:
    result = run(
        ["-c", "import django; django.setup(); from django.conf import settings as s; "
         "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE)"],
        PRODUCTION_ENV,
    )  # fmt: skip
    assert result.stdout.split() == ["__Host-sessionid", "__Host-csrftoken", "True"], result.stderr
