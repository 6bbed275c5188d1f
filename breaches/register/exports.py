"""CSV rows of the register. Cells that a spreadsheet would run as a formula are neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.utils import timezone

from breaches.models import Incident

CSV_HEADER = [
    "reference", "kind", "status", "severity", "business_unit", "channel", "cause",
    "aware_at", "reported_at", "regulator_deadline", "notify_regulator_decision",
    "regulator_notified_at", "restricted", "summary",
]  # fmt: skip


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    text = str(value)
    # CSV injection: =, +, -, @ (and tab/CR) start a formula in spreadsheet programs.
    if text[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + text
    return text


def csv_row(incident: Incident) -> list[str]:
    return [
        _cell(v)
        for v in (
            incident.reference, incident.kind, incident.status, incident.severity,
            incident.business_unit.name, incident.channel, incident.cause_category,
            incident.aware_at, incident.reported_at, incident.regulator_deadline,
            incident.decision_notify_regulator, incident.regulator_notified_at,
            "yes" if incident.is_restricted else "no", incident.summary,
        )
    ]  # fmt: skip


def csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
