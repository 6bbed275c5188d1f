"""Rules about an incident's facts shared by the report form and the API, so both say the same."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from breaches.models import Incident

# A little leeway for a phone whose clock runs a few minutes fast.
CLOCK_SKEW = timedelta(minutes=10)
# A case or client reference: it has a digit, at most three words and 40 characters, and
# letters, digits and - / . _ only. Names and sentences ("Mother says ...") do not fit.
REFERENCE_RE = re.compile(
    r"^(?=.{1,40}$)(?=.*\d)[A-Za-z0-9][A-Za-z0-9./_-]*(?: [A-Za-z0-9./_-]+){0,2}$"
)
REFERENCE_MESSAGE = (
    "Use the case or client reference number only (for example C-204816): no names or notes."
)


# Nothing the register records happened before this; it also keeps date arithmetic and the
# database far from their limits (a year-1 date would overflow).
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
TOO_EARLY = "This date is too far in the past. Check the year."


def in_future(value: datetime | None) -> bool:
    return value is not None and value > timezone.now() + CLOCK_SKEW


def too_early(value: datetime | None) -> bool:
    return value is not None and value < EARLIEST


def date_problems(
    *,
    aware_at: datetime | None,
    occurred_at: datetime | None,
    occurred_precision: str,
    contained_at: datetime | None,
) -> dict[str, str]:
    """Field name → message for dates that cannot be right together."""
    problems: dict[str, str] = {}
    for name, value in (
        ("aware_at", aware_at),
        ("occurred_at", occurred_at),
        ("contained_at", contained_at),
    ):
        if too_early(value):
            problems[name] = TOO_EARLY
    if problems:
        return problems
    if in_future(aware_at):
        problems["aware_at"] = "This is in the future. When did you find out?"
    if in_future(occurred_at):
        problems["occurred_at"] = "This is in the future. When did it actually happen?"
    elif occurred_at is None and occurred_precision != Incident.OccurredPrecision.UNKNOWN:
        problems["occurred_at"] = "Give the date and time, or choose \u201cI don't know\u201d."
    elif occurred_at and aware_at and occurred_at > aware_at + CLOCK_SKEW:
        problems["occurred_at"] = "It cannot have happened after the agency became aware of it."
    if in_future(contained_at):
        problems["contained_at"] = "This is in the future. Leave it empty until it is contained."
    elif contained_at and occurred_at and contained_at < occurred_at - CLOCK_SKEW:
        problems["contained_at"] = "It cannot have been contained before it happened."
    return problems


def single_line(value: str) -> None:
    """Refuse line breaks (and other control characters) in a one-line value: a title ends up
    in e-mail headers, where a line break would end the header (SPEC §8: bad input is refused
    with a field error, never stored to break a later job)."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError("Keep this to one line, without line breaks.")


def one_line(text: str, limit: int = 200) -> str:
    """``text`` made safe for an e-mail header: control characters become spaces, at most
    ``limit`` characters. The sending-side twin of :func:`single_line`, for rows stored before
    it existed."""
    return " ".join("".join(" " if ord(ch) < 32 or ord(ch) == 127 else ch for ch in text).split())[
        :limit
    ]
