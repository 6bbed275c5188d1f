"""The live dashboard: the report's figures, scoped, with no incident content."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_executives_see_agency_figures_and_no_incident_content(world: World) -> None:
    client = Client()
    client.force_login(world.executive)
    response = client.get("/reports/dashboard/")
    assert response.status_code == 200
    assert response.context["figures"].current.breaches == 3  # the restricted one is counted
    body = response.content.decode()
    for secret in ["Incident A", "Incident B", "Incident R", world.incident_a.reference]:
        assert secret not in body


def test_officers_see_their_units_only(world: World) -> None:
    client = Client()
    client.force_login(world.officer_a)
    figures = client.get("/reports/dashboard/").context["figures"]
    assert figures.current.breaches == 1
    assert [u.unit for u in figures.units] == ["Site A1"]


def test_another_quarter_and_a_bad_one(world: World) -> None:
    client = Client()
    client.force_login(world.cpo)
    assert client.get("/reports/dashboard/?quarter=2020Q1").context["figures"].current.breaches == 0
    assert client.get("/reports/dashboard/?quarter=nonsense").status_code == 200
