"""CSV rows of the register, made to open right in a spreadsheet.

- UTF-8 with a byte-order mark, so Excel reads "Whangārei" and not "WhangÄrei".
- Human labels in the headers and the cells ("In triage"); beside each choice a person reads, its
  code as well ("Status code" = ``triage``): the codes are what the register's filters, the
  API and ``?status=`` take, and they do not change when a label is reworded. Yes/no columns
  have the label only, and the business unit its name and its code.
- Times to the second in the organisation's time zone (``settings.TIME_ZONE``) with the offset,
  so the hour that repeats when daylight saving ends is not ambiguous:
  ``2026-03-02 09:30:15 +13:00``.
- Cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.utils import timezone

from breaches.models import Incident, RegulatorDecision

# Excel takes a UTF-8 file for its legacy code page unless it starts with this mark.
BOM = "\ufeff"

# The register's own words for a decision (as its filter and its rows say them).
DECISION_LABELS: dict[str, str] = {
    RegulatorDecision.NOTIFY: "Notifiable",
    RegulatorDecision.DO_NOT_NOTIFY: "Not notifiable",
}

CSV_HEADER = [
    "Reference",
    "Kind", "Kind code",
    "Status", "Status code",
    "Severity", "Severity code",
    "Business unit", "Business unit code",
    "Channel", "Channel code",
    "Cause", "Cause code",
    "Aware at", "Reported at", "Regulator deadline",
    "Notifiability decision", "Notifiability decision code",
    "Regulator notified at",
    "Restricted",
    "Summary",
]  # fmt: skip


def timestamp(value: datetime) -> str:
    """``2026-03-02 09:30:15 +13:00``: local time to the second, with its UTC offset."""
    local = timezone.localtime(value, timezone.get_default_timezone())
    offset = local.strftime("%z")  # "+1300"
    return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timestamp(value)
    text = str(value)
    # CSV injection: =, +, -, @ (and tab/CR) start a formula in spreadsheet programs.
    if text[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + text
    return text


def csv_row(incident: Incident) -> list[str]:
    """One incident's cells, in ``CSV_HEADER``'s order. Reads only the row and its unit."""
    decision = incident.decision_notify_regulator
    return [
        _cell(v)
        for v in (
            incident.reference,
            incident.get_kind_display(), incident.kind,
            incident.get_status_display(), incident.status,
            incident.get_severity_display(), incident.severity,
            incident.business_unit.name, incident.business_unit.code,
            incident.get_channel_display(), incident.channel,
            incident.get_cause_category_display(), incident.cause_category,
            incident.aware_at, incident.reported_at, incident.regulator_deadline,
            DECISION_LABELS.get(decision, "Not decided"), decision,
            incident.regulator_notified_at,
            "Yes" if incident.is_restricted else "No",
            incident.summary,
        )
    ]  # fmt: skip


def csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    """The CSV text, line by line, starting with the byte-order mark."""
    yield BOM
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
