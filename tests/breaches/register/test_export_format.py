"""The CSV's bytes stay what they were when the export was made fast: read as tuples, times as
whole seconds since 1970, written in 64 KB pieces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client, override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from breaches.models import Incident, RegulatorDecision, Severity
from breaches.register import exports
from breaches.register.exports import epoch_timestamp, timestamp
from tests.conftest import World
from tests.factories import BusinessUnitFactory, IncidentFactory

HEADER = (
    "Reference,Kind,Kind code,Status,Status code,Severity,Severity code,Business unit,"
    "Business unit code,Channel,Channel code,Cause,Cause code,Aware at,Reported at,"
    "Regulator deadline,Notifiability decision,Notifiability decision code,"
    "Regulator notified at,Restricted,Summary\r\n"
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def seconds(moment: datetime) -> int:
    """Whole seconds since 1970, rounded down, as the database gives them to the export."""
    return (moment - EPOCH) // timedelta(seconds=1)


@pytest.mark.django_db
def test_the_csv_is_byte_for_byte_what_it_was(world: World) -> None:
    unit = BusinessUnitFactory(
        name='Ōtautahi "Central", level 2', code="otautahi", parent=world.region_a
    )
    IncidentFactory(reporter=world.reporter, business_unit=unit, summary="Twice")
    Incident.objects.filter(summary="Twice").update(
        reference="PBR-2026-00042",
        kind=Incident.Kind.NEAR_MISS,
        status=Incident.Status.CLOSED,
        severity=Severity.CRITICAL,
        channel=Incident.Channel.SCREENSHOT_PHOTO,
        cause_category=Incident.Cause.DELIBERATE_MISUSE,
        summary='=1+1, "quoted"\nsecond line',
        # 02:30 on 5 April 2026 in Auckland, twice: daylight saving ends at 03:00 NZDT.
        aware_at=datetime(2026, 4, 4, 13, 30, 0, 500000, tzinfo=UTC),
        reported_at=datetime(2026, 4, 4, 14, 30, 59, 999999, tzinfo=UTC),
        # Before 1970 (negative seconds), half a second before midnight UTC.
        regulator_deadline=datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
        decision_notify_regulator=RegulatorDecision.DO_NOT_NOTIFY,
        regulator_notified_at=datetime(2026, 1, 1, tzinfo=UTC),
        is_restricted=True,
    )
    IncidentFactory(reporter=world.reporter, business_unit=unit, summary="Plain")
    Incident.objects.filter(summary="Plain").update(
        reference="PBR-2026-00041",
        reported_at=datetime(2026, 4, 1, tzinfo=UTC),
        aware_at=datetime(2026, 3, 31, 23, 0, tzinfo=UTC),
    )
    client = Client()
    client.force_login(world.cpo)
    response: Any = client.get("/incidents/export.csv?business_unit=otautahi")
    rows = (
        "PBR-2026-00042,Near miss,near_miss,Closed,closed,Critical,critical,"
        '"Ōtautahi ""Central"", level 2",otautahi,Screenshot or photo,screenshot_photo,'
        "Deliberate misuse by staff,deliberate_misuse,"
        "2026-04-05 02:30:00 +13:00,2026-04-05 02:30:59 +12:00,1970-01-01 11:59:59 +12:00,"
        "Not notifiable,no,2026-01-01 13:00:00 +13:00,Yes,"
        '"\'=1+1, ""quoted""\nsecond line"\r\n'
        "PBR-2026-00041,Breach,breach,Reported,reported,,,"
        '"Ōtautahi ""Central"", level 2",otautahi,Post,post,,,'
        "2026-04-01 12:00:00 +13:00,2026-04-01 13:00:00 +13:00,,Not decided,,,No,"
        "Plain\r\n"
    )
    assert b"".join(response.streaming_content) == ("\ufeff" + HEADER + rows).encode()


def test_a_label_or_code_outside_the_choices_is_its_own_label() -> None:
    values = (1, "PBR-2026-00001", "=odd", "gone", "", "Unit", "unit", "fax", "other",
              0, 0, None, "maybe", None, False, "+1")  # fmt: skip
    row = next(exports.csv_rows([values]))
    assert row[1:5] == ["'=odd", "'=odd", "gone", "gone"]
    assert row[5:7] == ["", ""]
    assert row[9:13] == ["fax", "fax", "Other", "other"]
    assert row[16:18] == ["Not decided", "maybe"]
    assert row[-1] == "'+1"


@settings(max_examples=500, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(["Pacific/Auckland", "Pacific/Chatham", "America/New_York", "UTC"]),
)
def test_a_time_from_its_seconds_reads_as_the_time_itself(moment: datetime, zone: str) -> None:
    """Any time, in zones with daylight saving, odd offsets and local mean time before 1900."""
    with override_settings(TIME_ZONE=zone):
        assert epoch_timestamp(seconds(moment), ZoneInfo(zone)) == timestamp(moment)
