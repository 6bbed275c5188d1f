"""Column values to JSON and back, exactly.

Each value is written as the application reads it, in one spelling whatever the database:

- date-times in UTC with microseconds and their offset (``2026-03-02T20:30:00.000000+00:00``),
  dates and times in ISO 8601;
- decimals as text at the field's scale (``12.50``), never through a float;
- UUIDs as text with hyphens; bytes in base64; durations as whole microseconds;
- JSON fields as JSON, nested in the row (keys sorted, as every line of the archive is);
- everything else (text, integers, booleans, null) as itself.

Reading turns the JSON value back into the Python value, then asks the field to prepare it for
the database at hand (``get_db_prep_save``): SQLite gets its text, PostgreSQL its types. So a
row read from PostgreSQL and written to SQLite (or back) holds the same values, and exporting
it again gives the same bytes.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

Encoder = Callable[[Any], Any]
Decoder = Callable[[Any], Any]

_MICROSECOND = timedelta(microseconds=1)


def _column(field: models.Field[Any, Any]) -> models.Field[Any, Any]:
    """The field whose type the column has: a foreign key's target field (and so on)."""
    while field.is_relation:
        target = getattr(field, "target_field", None)
        if target is None or target is field:
            break
        field = target
    return field


def _kind(field: models.Field[Any, Any]) -> str:
    """The internal type of the value the column holds (a foreign key's is its target's)."""
    return str(_column(field).get_internal_type())


def _datetime(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")


def _decimal(places: int | None) -> Encoder:
    exponent = Decimal(1).scaleb(-places) if places is not None else None

    def encode(value: Decimal) -> str:
        return str(value.quantize(exponent) if exponent is not None else value)

    return encode


def _nullable(encode: Encoder) -> Encoder:
    return lambda value: None if value is None else encode(value)


def encoder(field: models.Field[Any, Any]) -> Encoder | None:
    """How to write ``field``'s values as JSON; None where the value is JSON already."""
    kind = _kind(field)
    simple: dict[str, Encoder] = {
        "DateTimeField": _datetime,
        "DateField": date.isoformat,
        "TimeField": lambda value: value.isoformat(timespec="microseconds"),
        "UUIDField": str,
        "BinaryField": lambda value: base64.b64encode(bytes(value)).decode("ascii"),
        "DurationField": lambda value: value // _MICROSECOND,
        "GenericIPAddressField": str,
        "IPAddressField": str,
    }
    if kind == "DecimalField":
        return _nullable(_decimal(getattr(field, "decimal_places", None)))
    if kind in simple:
        return _nullable(simple[kind])
    return None


def decoder(field: models.Field[Any, Any], connection: BaseDatabaseWrapper) -> Decoder | None:
    """How to turn a JSON value back into what ``connection`` stores for ``field``; None where
    the JSON value is already it (text, integers, booleans)."""
    kind = _kind(field)
    parse: dict[str, Decoder] = {
        "DateTimeField": datetime.fromisoformat,
        "DateField": date.fromisoformat,
        "TimeField": time.fromisoformat,
        "UUIDField": uuid.UUID,
        "DecimalField": Decimal,
        "BinaryField": base64.b64decode,
        "DurationField": lambda value: value * _MICROSECOND,
    }
    plain = {
        "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
        "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField",
        "PositiveSmallIntegerField", "CharField", "TextField", "SlugField", "EmailField",
        "URLField", "FileField", "ImageField", "FilePathField", "BooleanField",
    }  # fmt: skip
    if kind in plain:
        return None
    # The column's own field prepares the value (a foreign key's target field knows its type).
    target = _column(field)
    convert = parse.get(kind)

    def decode(value: Any) -> Any:
        if value is None:
            return None
        if convert is not None:
            value = convert(value)
        return target.get_db_prep_save(value, connection)

    return decode
