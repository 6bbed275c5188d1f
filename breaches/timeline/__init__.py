"""The incident's timeline, read from the append-only history tables.

Each entry says who did what and when: the report, every change of a field (with before and
after), details added or removed, comments (internal ones only for officers) and evidence; for
handlers also assessments, decisions, notifications and actions.

Each source is a small provider, ``(incident, *, include_internal) -> entries``, in the module
named after the part of the record it reads (``incident``, ``evidence``, ``triage``,
``response``). Each makes one query whatever the incident's length, so the whole timeline costs
a fixed number of queries. A new source is a new provider added to ``PROVIDERS``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from breaches.intake.confidentiality import hidden_label, may_see_reporter
from breaches.models import Incident
from breaches.timeline.entries import Change, Provider, TimelineEntry
from breaches.timeline.evidence import (
    affected_people,
    attachments,
    breach_types,
    comments,
    information_categories,
)
from breaches.timeline.incident import incident_history
from breaches.timeline.response import action_outcomes, actions, notifications
from breaches.timeline.triage import assessments, decisions

__all__ = ["PROVIDERS", "Change", "Provider", "TimelineEntry", "incident_timeline"]

# Entries made at the same instant keep this order.
PROVIDERS: tuple[Provider, ...] = (
    incident_history,
    breach_types,
    information_categories,
    affected_people,
    comments,
    attachments,
    assessments,
    decisions,
    notifications,
    actions,
    action_outcomes,
)


def incident_timeline(
    incident: Incident, *, include_internal: bool, viewer: Any = None
) -> list[TimelineEntry]:
    """The incident's history, oldest first, in a fixed number of queries whatever its length.

    What the reporter did is marked ``by_reporter`` and, unless ``viewer`` may know who reported
    it (``may_see_reporter``: without a viewer, nobody in particular), credited to
    "Confidential reporter" or "Anonymous" instead of their name.
    """
    hidden = not may_see_reporter(incident, viewer)
    entries = [
        _as_seen(entry, incident, hidden)
        for provider in PROVIDERS
        for entry in provider(incident, include_internal=include_internal)
    ]
    entries.sort(key=lambda e: e.at)  # stable: ties keep the order of PROVIDERS
    return entries


def _as_seen(entry: TimelineEntry, incident: Incident, hidden: bool) -> TimelineEntry:
    if entry.actor_id is None or entry.actor_id != incident.reporter_id:
        return entry
    actor = hidden_label(incident) if hidden else entry.actor
    return replace(entry, actor=actor, by_reporter=True)
