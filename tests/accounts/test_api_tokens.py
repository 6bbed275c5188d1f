"""API tokens (issue 12, item 5): made by the person in the product, shown once, stored hashed,
expiring, listed and revocable."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _make(client: Client, name: str = "risk system export", days: int = 30) -> str:
    page = client.post("/account/tokens/", {"name": name, "days": days})
    assert page.status_code == 200
    found = re.search(
        r'id="new-token" class="token" readonly value="(pbr_[^"]+)"', page.content.decode()
    )
    assert found, "the new token is shown once"
    return found.group(1)


def test_a_person_makes_uses_lists_and_revokes_a_token(world: World) -> None:
    client = Client()
    client.force_login(world.officer_a)
    token = _make(client)
    stored = ApiToken.objects.get(user=world.officer_a)
    assert token not in {stored.digest, stored.token_key} and token.startswith(stored.token_key)
    assert stored.name == "risk system export"
    assert stored.expiry is not None
    assert timedelta(days=29) < stored.expiry - timezone.now() <= timedelta(days=30)

    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    listed = api.get("/api/v1/incidents/").json()
    assert {row["summary"] for row in listed["results"]} == {"Incident A"}  # officer_a's scope

    page = client.get("/account/tokens/").content.decode()
    assert stored.token_key in page and token not in page  # listed, never shown again

    assert client.post(f"/account/tokens/{stored.token_key}/revoke/").status_code == 302
    assert api.get("/api/v1/incidents/").status_code == 401


def test_an_expired_token_no_longer_works(world: World) -> None:
    client = Client()
    client.force_login(world.reporter)
    token = _make(client)
    ApiToken.objects.filter(user=world.reporter).update(
        expiry=timezone.now() - timedelta(seconds=1)
    )
    assert Client(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/incidents/").status_code == 401


def test_nobody_revokes_someone_elses_token(world: World) -> None:
    owner = Client()
    owner.force_login(world.cpo)
    token = _make(owner)
    key = ApiToken.objects.get(user=world.cpo).token_key
    other = Client()
    other.force_login(world.admin)
    other.post(f"/account/tokens/{key}/revoke/")
    assert Client(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/incidents/").status_code == 200


@pytest.mark.parametrize(
    ("data", "field"), [({"name": "", "days": 30}, "name"), ({"name": "x", "days": 999}, "days")]
)
def test_a_bad_request_is_a_field_error(world: World, data: dict[str, object], field: str) -> None:
    client = Client()
    client.force_login(world.reporter)
    page = client.post("/account/tokens/", data)
    assert page.status_code == 400
    html = page.content.decode()
    assert f'id="field-{field}"' in html and "has-error" in html and 'id="new-token"' not in html
    assert not ApiToken.objects.exists()


def test_after_an_expired_session_the_tokens_page_comes_back_with_what_was_typed(
    world: World,
) -> None:
    from config import kept_input

    client = Client()  # expired: anonymous
    made = client.post(
        "/account/tokens/",
        {"name": "SIEM feed", "days": "7", "draft_owner": kept_input.owner_token(world.cpo.pk)},
    )
    revoked = client.post("/account/tokens/pbr_abc/revoke/")
    assert made["Location"].endswith("next=/account/tokens/%3Frestore%3D1")
    assert revoked["Location"].endswith("next=/account/tokens/")  # a page, never a 405
    client.force_login(world.cpo)
    html = client.get("/account/tokens/?restore=1").content.decode()
    assert 'value="SIEM feed"' in html and 'value="7"' in html
    assert not ApiToken.objects.exists()
