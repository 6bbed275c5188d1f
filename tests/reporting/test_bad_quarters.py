"""Out-of-range and unreadable quarters are a clear error, never a 500 (SPEC §8)."""

from __future__ import annotations

import pytest
from django.test import Client

from reporting.models import QuarterlyReport
from tests.conftest import World

pytestmark = pytest.mark.django_db

BAD = ["0001Q1", "9999Q4", "1" * 400 + "Q1", "2026Q5", "Q3"]


@pytest.mark.parametrize("quarter", BAD)
def test_the_dashboard_refuses_it_at_the_picker(world: World, quarter: str) -> None:
    """A bad ``?quarter=`` used to be shown as a message above the current quarter's figures
    (200), easy to miss; now it is a field error at the quarter picker (400), as on any form,
    and no figures are shown for a quarter nobody chose."""
    client = Client()
    client.force_login(world.executive)
    response = client.get("/reports/dashboard/", {"quarter": quarter})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="field-quarter"' in page and "has-error" in page and 'id="error-summary"' in page
    assert "Choose a quarter like 2026Q3, between 1990 and 2100." in page
    assert 'aria-invalid="true"' in page and 'id="id_quarter_error"' in page
    assert "figures" not in response.context
    # What was sent stays selected beside its error.
    assert f'<option value="{quarter}" selected>' in page


def test_the_dashboard_refuses_a_quarter_not_started(world: World) -> None:
    client = Client()
    client.force_login(world.executive)
    response = client.get("/reports/dashboard/", {"quarter": "2099Q1"})
    assert response.status_code == 400
    assert "That quarter has not started yet." in response.content.decode()


@pytest.mark.parametrize("quarter", BAD)
def test_a_report_request_is_refused_at_the_field_and_no_job(world: World, quarter: str) -> None:
    client = Client()
    client.force_login(world.executive)
    response = client.post("/reports/", {"quarter": quarter})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="field-quarter"' in page and "has-error" in page and 'id="error-summary"' in page
    assert "Choose a quarter like 2026Q3" in page
    assert not QuarterlyReport.objects.exists()


def test_a_notification_without_its_date_is_a_field_error(world: World) -> None:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(world.officer_a)
    response = client.post(
        f"/api/v1/incidents/{world.incident_a.reference}/notifications/",
        {"recipient": "regulator", "method": "email"},
        format="json",
    )
    assert response.status_code == 400 and "notified_at" in response.json()
