"""The incident's timeline, read from the append-only history tables.

Each entry says who did what and when, and for a change which fields went from what to what.
Officers' later additions (comments, status changes, attachments) join this list in the
issues that add them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from breaches.models import Incident

# Bookkeeping columns that change with every save and mean nothing to a reader.
_QUIET_FIELDS = {"updated_at", "officers_notified_at"}


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    verb: str
    changes: list[Change] = field(default_factory=list)


def incident_timeline(incident: Incident) -> list[TimelineEntry]:
    """The incident's history, oldest first, in two queries whatever its length."""
    records = list(
        incident.history.select_related("history_user").order_by("history_date", "history_id")
    )
    entries: list[TimelineEntry] = []
    previous = None
    for record in records:
        actor = str(record.history_user) if record.history_user else "System"
        if record.history_type == "+":
            # Creating an incident is reporting it, whoever's session wrote the row.
            actor = str(record.history_user or incident.reporter)
            entries.append(TimelineEntry(record.history_date, actor, "reported this incident"))
        elif previous is not None:
            delta = record.diff_against(previous, foreign_keys_are_objs=False)
            changes = [
                Change(
                    incident._meta.get_field(c.field).verbose_name,  # type: ignore[union-attr]
                    c.old,
                    c.new,
                )
                for c in delta.changes
                if c.field not in _QUIET_FIELDS
            ]
            if changes:
                entries.append(TimelineEntry(record.history_date, actor, "changed", changes))
        previous = record
    return entries
