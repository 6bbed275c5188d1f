"""A refused form (stale tab, cleared cookies) gets the product's page and keeps what was typed."""

from __future__ import annotations

import pytest
from django.test import Client

from breaches.models import Incident
from config import kept_input
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_a_stale_report_form_is_kept_and_given_back(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.reporter)
    response = client.post(
        "/incidents/new/",
        {
            "kind": "breach",
            "summary": "Letter sent to the wrong father",
            "draft_owner": kept_input.owner_token(world.reporter.pk),
        },
    )
    assert response.status_code == 403
    page = response.content.decode()
    assert "Your form was not sent" in page and "has been kept for you" in page
    assert "/incidents/new/?restore=1" in page
    assert not Incident.objects.filter(summary__startswith="Letter sent").exists()
    back = client.get("/incidents/new/?restore=1").content.decode()
    assert "Letter sent to the wrong father" in back


def test_a_stale_comment_is_kept_for_its_owner_only(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.reporter)
    url = f"/incidents/{world.incident_a.reference}/comments/"
    response = client.post(
        url,
        {
            "body": "The father has the screenshot",
            "draft_owner": kept_input.owner_token(world.reporter.pk),
        },
    )
    assert response.status_code == 403 and "has been kept for you" in response.content.decode()
    detail = client.get(f"/incidents/{world.incident_a.reference}/?restore=1").content.decode()
    assert "The father has the screenshot" in detail


def test_a_stale_form_without_kept_input_still_gets_the_products_page(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.officer_a)
    response = client.post(f"/incidents/{world.incident_a.reference}/transition/", {"to": "triage"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Your form was not sent" in page and "CSRF" not in page
