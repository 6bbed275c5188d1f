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

The whole register (100,000 incidents) must stream in a few seconds in constant memory (SPEC §8),
so the rows are read as tuples (:func:`export_values`), not model instances, the times as whole
seconds since 1970 rather than ``datetime`` objects (Django loads PostgreSQL's timestamps in
Python, which cost more than the rest of the read), and the text leaves in pieces of about
64 KB (:func:`csv_chunks`), not one socket write a line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Func, QuerySet
from django.db.models.sql.compiler import SQLCompiler
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

#: Incidents read, logged and written at a time: one fetch and one insert of access events each.
EXPORT_BATCH = 2000
#: About how much CSV text leaves in one piece (characters): one socket write each.
CSV_CHUNK_CHARS = 64 * 1024

# CSV injection: =, +, -, @ (and tab/CR) start a formula in spreadsheet programs.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_TIMES = ("aware_at", "reported_at", "regulator_deadline", "regulator_notified_at")
_CHOICES = ("kind", "status", "severity", "channel", "cause_category")

#: What :func:`export_values` reads of each incident, in this order: its id (for the access
#: log), then what the cells need.
EXPORT_COLUMNS = (
    "id", "reference", "kind", "status", "severity",
    "business_unit__name", "business_unit__code", "channel", "cause_category",
    "aware_at_epoch", "reported_at_epoch", "regulator_deadline_epoch",
    "decision_notify_regulator", "regulator_notified_at_epoch", "is_restricted", "summary",
)  # fmt: skip


class EpochSeconds(Func):
    """A time as whole seconds since 1970-01-01 UTC, rounded down (the CSV shows seconds).
    PostgreSQL and SQLite only."""

    output_field = models.BigIntegerField()
    arity = 1

    def get_db_converters(self, connection: BaseDatabaseWrapper) -> list[Any]:
        # Both databases give an int (or None) already: no int() of 400,000 values an export.
        return []

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        template = "FLOOR(EXTRACT(EPOCH FROM %(expressions)s))::bigint"
        return self.as_sql(compiler, connection, template=template, **extra_context)

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        # Django keeps "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC; SQLite's strftime rounds the
        # fraction to milliseconds (59.9999 s would become the next second), so it is cut off.
        # strftime's "%s" is a parameter: in the SQL it would be taken for a placeholder.
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(strftime(%s, SUBSTR({sql}, 1, 19)) AS INTEGER)", ("%s", *params)


def export_values(queryset: QuerySet[Incident]) -> QuerySet[Any]:
    """``queryset``'s incidents (filtered, scoped and ordered as it is) as tuples of
    :data:`EXPORT_COLUMNS`, which :func:`csv_rows` turns into cells."""
    epochs = {f"{name}_epoch": EpochSeconds(name) for name in _TIMES}
    return queryset.annotate(**epochs).values_list(*EXPORT_COLUMNS)


def timestamp(value: datetime) -> str:
    """``2026-03-02 09:30:15 +13:00``: local time to the second, with its UTC offset."""
    local = timezone.localtime(value, timezone.get_default_timezone())
    offset = local.strftime("%z")  # "+1300"
    return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def epoch_timestamp(seconds: int, zone: tzinfo) -> str:
    """:func:`timestamp` of a time given as seconds since 1970 (UTC), in ``zone``."""
    try:
        local = datetime.fromtimestamp(seconds, zone)
    except (OverflowError, OSError, ValueError):
        return timestamp(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds))
    text = local.isoformat(" ")  # "2026-03-02 09:30:15+13:00"
    if len(text) != 25 or local.year < 1000:
        # An offset with seconds (local mean time before 1900) or a year of three digits:
        # isoformat and strftime differ there, and strftime is the format.
        return timestamp(local)
    return f"{text[:19]} {text[19:]}"


def _cell(value: object) -> str:
    """A cell's text; one a spreadsheet would run as a formula starts with a quote."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


class _ChoiceCells(dict[str, tuple[str, str]]):
    """A choice field's code → its two cells, label and code, as ``get_FOO_display`` says them;
    a code outside the choices (or blank) is its own label."""

    def __init__(self, field_name: str) -> None:
        field = Incident._meta.get_field(field_name)
        assert isinstance(field, models.Field)
        super().__init__(
            (str(code), (_cell(label), _cell(code))) for code, label in field.flatchoices
        )

    def __missing__(self, code: str) -> tuple[str, str]:
        return _cell(code), _cell(code)


def csv_rows(values: Iterable[Sequence[Any]]) -> Iterator[list[str]]:
    """Each incident's cells, in ``CSV_HEADER``'s order, from its tuple of
    :data:`EXPORT_COLUMNS`.

    The cells of a choice, a decision and a unit are worked out once a call (a batch of the
    export), not once a row.
    """
    kinds, statuses, severities, channels, causes = (_ChoiceCells(name) for name in _CHOICES)
    decisions = {
        code: (_cell(DECISION_LABELS.get(code, "Not decided")), _cell(code))
        for code in ["", *DECISION_LABELS]
    }
    units: dict[tuple[str, str], tuple[str, str]] = {}
    zone = timezone.get_default_timezone()

    def when(seconds: int | None) -> str:
        return "" if seconds is None else epoch_timestamp(seconds, zone)

    for (
        _id, reference, kind, status, severity, unit_name, unit_code, channel, cause,
        aware, reported, deadline, decision, notified, restricted, summary,
    ) in values:  # fmt: skip
        unit = units.get((unit_name, unit_code))
        if unit is None:
            unit = units[unit_name, unit_code] = (_cell(unit_name), _cell(unit_code))
        decided = decisions.get(decision)
        if decided is None:
            decided = (_cell(DECISION_LABELS.get(decision, "Not decided")), _cell(decision))
        yield [
            _cell(reference),
            *kinds[kind], *statuses[status], *severities[severity], *unit,
            *channels[channel], *causes[cause],
            when(aware), when(reported), when(deadline),
            *decided,
            when(notified),
            "Yes" if restricted else "No",
            _cell(summary),
        ]  # fmt: skip


def csv_chunks(rows: Iterable[Sequence[str]]) -> Iterator[str]:
    """The CSV text, starting with the byte-order mark, in pieces of about
    :data:`CSV_CHUNK_CHARS` characters (the last one shorter)."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() >= CSV_CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)
    if tail := buffer.getvalue():
        yield tail
