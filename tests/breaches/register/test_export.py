"""The register's CSV opens right in a spreadsheet: a BOM, labels and codes, NZ time."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.test import Client

from accounts.models import BusinessUnit
from breaches.models import Incident, RegulatorDecision, Severity
from breaches.register.exports import CSV_HEADER, timestamp
from tests.conftest import World
from tests.factories import BusinessUnitFactory, IncidentFactory

pytestmark = pytest.mark.django_db


def export(client: Client, query: str = "") -> bytes:
    response = client.get(f"/incidents/export.csv?{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return b"".join(response.streaming_content)


def test_the_csv_starts_with_a_bom_so_excel_reads_it_as_utf8(world: World) -> None:
    unit = BusinessUnitFactory(name="Whangārei", code="whangarei", parent=world.region_a)
    IncidentFactory(reporter=world.reporter, business_unit=unit, summary="Te reo: ā ē ī ō ū")
    client = Client()
    client.force_login(world.officer_a)
    body = export(client, "business_unit=whangarei")
    assert body.startswith(b"\xef\xbb\xbf")
    # Only one mark, at the very start.
    assert body.count(b"\xef\xbb\xbf") == 1
    text = body.decode("utf-8-sig")
    assert "Whangārei" in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == CSV_HEADER
    assert rows[1][CSV_HEADER.index("Business unit")] == "Whangārei"
    assert rows[1][CSV_HEADER.index("Summary")] == "Te reo: ā ē ī ō ū"


def test_labels_as_well_as_codes_and_times_to_the_second_in_nz_time(world: World) -> None:
    Incident.objects.filter(pk=world.incident_a.pk).update(
        status=Incident.Status.TRIAGE,
        severity=Severity.HIGH,
        cause_category=Incident.Cause.WRONG_RECIPIENT,
        channel=Incident.Channel.EMAIL,
        # 20:30:15.123456 UTC on 1 March 2026 is 09:30:15 on 2 March in Auckland (NZDT, +13).
        aware_at=datetime(2026, 3, 1, 20, 30, 15, 123456, tzinfo=UTC),
        # Winter: NZST, +12.
        reported_at=datetime(2026, 6, 30, 23, 59, 59, 999999, tzinfo=UTC),
        regulator_deadline=datetime(2026, 3, 4, 20, 30, 15, tzinfo=UTC),
        decision_notify_regulator=RegulatorDecision.NOTIFY,
        regulator_notified_at=None,
    )
    client = Client()
    client.force_login(world.officer_a)
    rows = list(csv.reader(io.StringIO(export(client, "q=Incident A").decode("utf-8-sig"))))
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row == {
        "Reference": world.incident_a.reference,
        "Kind": "Breach",
        "Kind code": "breach",
        "Status": "In triage",
        "Status code": "triage",
        "Severity": "High",
        "Severity code": "high",
        "Business unit": "Site A1",
        "Business unit code": "site-a1",
        "Channel": "Email",
        "Channel code": "email",
        "Cause": "Human error: wrong recipient",
        "Cause code": "wrong_recipient",
        "Aware at": "2026-03-02 09:30:15 +13:00",
        "Reported at": "2026-07-01 11:59:59 +12:00",
        "Regulator deadline": "2026-03-05 09:30:15 +13:00",
        "Notifiability decision": "Notifiable",
        "Notifiability decision code": "yes",
        "Regulator notified at": "",
        "Restricted": "No",
        "Summary": "Incident A",
    }


def test_an_undecided_incident_says_so_and_blank_choices_stay_blank(world: World) -> None:
    client = Client()
    client.force_login(world.officer_a)
    rows = list(csv.reader(io.StringIO(export(client, "q=Incident A").decode("utf-8-sig"))))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Notifiability decision"] == "Not decided"
    assert row["Notifiability decision code"] == ""
    assert row["Severity"] == row["Severity code"] == ""
    assert row["Cause"] == row["Cause code"] == ""


def test_the_time_zone_is_the_organisations_not_the_servers(settings) -> None:  # type: ignore[no-untyped-def]
    moment = datetime(2026, 3, 1, 20, 30, 15, 900000, tzinfo=UTC)
    assert timestamp(moment) == "2026-03-02 09:30:15 +13:00"
    settings.TIME_ZONE = "America/New_York"
    assert timestamp(moment) == "2026-03-01 15:30:15 -05:00"


def test_a_formula_in_a_label_or_summary_is_still_neutralised(world: World) -> None:
    Incident.objects.filter(pk=world.incident_a.pk).update(summary="-2+3", is_restricted=False)
    BusinessUnit.objects.filter(pk=world.site_a1.pk).update(name="@SUM(A1)")
    client = Client()
    client.force_login(world.officer_a)
    # By its unit, not a search for "-2": what the search finds is not this test's question.
    rows = list(
        csv.reader(io.StringIO(export(client, "business_unit=site-a1").decode("utf-8-sig")))
    )
    row = next(
        dict(zip(rows[0], r, strict=True)) for r in rows[1:] if r[0] == world.incident_a.reference
    )
    assert row["Summary"] == "'-2+3"
    assert row["Business unit"] == "'@SUM(A1)"
