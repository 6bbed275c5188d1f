"""The chief privacy officer's list of reads that belong to no one incident: backups, register
exports, report downloads. Nobody else sees it (404)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import AccessEvent
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _events(world: World) -> None:
    AccessEvent.objects.create(
        user=world.admin,
        action=AccessEvent.Action.EXPORT,
        path="manage.py export_register",
        detail={"backup": "/backups/pbr-2026-12.zip", "rows": 5058, "files": 1},
    )
    AccessEvent.objects.create(
        user=world.officer_a,
        action=AccessEvent.Action.EXPORT,
        path="/incidents/export.csv",
        detail={"filters": {"kind": "breach", "q": ""}},
    )
    AccessEvent.objects.create(
        user=world.executive,
        action=AccessEvent.Action.REPORT_DOWNLOAD,
        path="/reports/1/download/",
        detail={"report": 1, "quarter": "2026-Q3"},
    )
    AccessEvent.objects.create(
        user=world.officer_a, action=AccessEvent.Action.VIEW, incident=world.incident_a
    )


def test_the_cpo_sees_every_agency_wide_read_and_only_those(world: World) -> None:
    _events(world)
    client = Client()
    client.force_login(world.cpo)
    page = client.get("/access-log/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Backup of the whole register to /backups/pbr-2026-12.zip (5058 rows, 1 files)" in text
    assert "Register export (kind=breach)" in text
    assert "Quarterly report 2026-Q3" in text
    assert world.incident_a.reference not in text  # an incident's own reads are on its page
    assert len(page.context["rows"]) == 3


@pytest.mark.parametrize("who", ["officer_a", "executive", "admin", "reporter"])
def test_nobody_else_sees_it(world: World, who: str) -> None:
    client = Client()
    client.force_login(getattr(world, who))
    assert client.get("/access-log/").status_code == 404


def test_its_queries_do_not_grow_with_the_rows(world: World) -> None:
    client = Client()
    client.force_login(world.cpo)
    _events(world)
    client.get("/access-log/")  # the session's first request does its own extra work
    first = _count(client)
    for _ in range(10):
        _events(world)
    assert _count(client) == first


def _count(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/access-log/").status_code == 200
    return len(queries)
