"""The register's text search: a reference, or words of the summary.

- A reference, whole or as the register prints it (``PBR-2026-00042``, ``pbr-2026-42``,
  ``2026-00042``), finds that incident; a bare number (``42``, ``100000``) finds the incidents
  with that number in any year. Both are exact lookups on the reference's unique index.
- Otherwise each word must begin a word of the summary (``care`` finds "caregiver"), with
  English stemming on PostgreSQL ("caregivers" finds "caregiver"). On PostgreSQL this is
  full-text search on the GIN index ``incident_summary_search`` (migration
  ``breaches.0014``): without it the whole table was read twice, once for the page and once
  for its count (docs/performance.md). Other databases (SQLite for ``make run``) match each
  word anywhere in the summary, without an index.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.db.models import BooleanField, F, Func, Q, QuerySet, Value

from breaches.models import Incident, ReferenceCounter
from breaches.models.incident import REFERENCE_MAX_DIGITS, REFERENCE_MIN_DIGITS

# The index's expression, written the same way here and in the migration: PostgreSQL uses an
# index on an expression only for that very expression.
SEARCH_CONFIG = "english"


class _Matches(Func):
    """``to_tsvector(summary) @@ to_tsquery(query)``, the vector as the index writes it."""

    output_field = BooleanField()

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, tuple[Any, ...]]:
        column, column_params = compiler.compile(self.source_expressions[0])
        query, query_params = compiler.compile(self.source_expressions[1])
        sql = (
            f"to_tsvector('{SEARCH_CONFIG}'::regconfig, {column}::text)"
            f" @@ to_tsquery('{SEARCH_CONFIG}'::regconfig, {query})"
        )
        return sql, (*column_params, *query_params)


_REFERENCE = re.compile(r"^(?:PBR-?)?([0-9]{4})-([0-9]+)$", re.IGNORECASE)
_NUMBER = re.compile(r"^[0-9]+$")
# What a word of a query may hold: letters, digits, and the marks within words.
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def reference_for(year: str, number: str) -> str | None:
    """``PBR-<year>-<number>`` as the register writes it (five digits at least), or None for a
    number no reference can have."""
    digits = number.lstrip("0") or "0"
    if len(digits) > REFERENCE_MAX_DIGITS:
        return None
    return f"PBR-{year}-{digits.zfill(REFERENCE_MIN_DIGITS)}"


def _references(value: str) -> list[str] | None:
    """The references a query names, or None when it is not a reference or a number."""
    if match := _REFERENCE.match(value):
        reference = reference_for(match.group(1), match.group(2))
        return [reference] if reference else []
    if _NUMBER.match(value):
        years = ReferenceCounter.objects.order_by("year").values_list("year", flat=True)
        return [r for year in years if (r := reference_for(f"{year:04d}", value))]
    return None


def words(value: str) -> list[str]:
    """The query's words, each safe to put in a ``to_tsquery`` as a prefix."""
    return [w.replace("’", "'").replace("'", "") for w in _WORD.findall(value)][:10]


def summary_matches(value: str) -> Q:
    """Summaries containing every word of ``value`` (see the module's docstring)."""
    terms = words(value)
    if not terms:
        return Q(pk__in=[])
    if connection.vendor == "postgresql":
        query = " & ".join(f"{term}:*" for term in terms)
        return Q(_Matches(F("summary"), Value(query)))
    condition = Q()
    for term in terms:
        condition &= Q(summary__icontains=term)
    return condition


def search(queryset: QuerySet[Incident], value: str) -> QuerySet[Incident]:
    """``queryset`` narrowed to what ``value`` asks for (at most its first 100 characters)."""
    value = value.strip()[:100]
    if not value:
        return queryset
    references = _references(value)
    if references is not None:
        condition = Q(reference__in=references)
        if _NUMBER.match(value):
            # A number may also be in a summary ("40 people").
            condition |= summary_matches(value)
        return queryset.filter(condition)
    return queryset.filter(summary_matches(value))
