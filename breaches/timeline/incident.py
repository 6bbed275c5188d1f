"""The incident's own history: the report, then each change of its fields, before and after."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from breaches.intake.services import DETAIL_FIELDS
from breaches.models import Incident
from breaches.timeline.entries import Change, TimelineEntry, actor_name, display, label

# What a reporter (or anyone who does not handle the incident) may see change: the report's
# own fields. An allowlist, so a field added later for officers never leaks by default.
REPORTER_FIELDS = {
    "kind",
    "status",
    "summary",
    "aware_at",
    "channel",
    "business_unit",
    *DETAIL_FIELDS,
}
# What handlers see besides: restriction (who is named is shown by the restriction entries
# of the workspace, not here), jurisdiction.
HANDLER_FIELDS = REPORTER_FIELDS | {"is_restricted", "jurisdiction"}


def incident_history(incident: Incident, *, include_internal: bool) -> Iterator[TimelineEntry]:
    """The report, then one entry per save that changed a field this audience may see."""
    fields = sorted(HANDLER_FIELDS if include_internal else REPORTER_FIELDS)
    # The business unit is joined so that a change of unit costs no query of its own.
    records = incident.history.select_related("history_user", "business_unit").order_by(
        "history_date", "history_id"
    )
    previous = None
    for record in records:
        if record.history_type == "+":
            # Creating an incident is reporting it, whoever's session wrote the row.
            actor = str(record.history_user or incident.reporter)
            yield TimelineEntry(
                record.history_date,
                actor,
                "reported this incident",
                actor_id=record.history_user_id or incident.reporter_id,
            )
        elif previous is not None:
            yield from _changed(record, previous, fields, include_internal=include_internal)
        previous = record


def _changed(
    record: Any, previous: Any, fields: list[str], *, include_internal: bool
) -> Iterator[TimelineEntry]:
    """The entry for one save, if it changed anything in ``fields``."""
    delta = record.diff_against(previous, included_fields=fields, foreign_keys_are_objs=True)
    changes = [
        Change(
            label(Incident, c.field),
            display(Incident, c.field, c.old),
            display(Incident, c.field, c.new),
        )
        for c in delta.changes
    ]
    if not changes:
        return
    # The reason given for a change is the handlers' working note.
    reason = record.history_change_reason if include_internal else ""
    yield TimelineEntry(
        record.history_date,
        actor_name(record.history_user),
        "changed",
        changes,
        text=reason or "",
        actor_id=record.history_user_id,
    )
