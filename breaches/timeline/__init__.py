"""The incident's timeline, read from the append-only history tables.

Each entry says who did what and when: the report, every change of a field (with before and
after), details added or removed, comments (internal ones only for officers) and evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from breaches.intake.services import REPORTED_WITH
from breaches.models import (
    AffectedIndividual,
    Attachment,
    Comment,
    Incident,
    IncidentBreachType,
    IncidentInformationCategory,
)

# What a reporter (or anyone who does not handle the incident) may see change: the report's
# own fields. An allowlist, so a field added later for officers never leaks by default.
REPORTER_FIELDS = {
    "kind",
    "status",
    "summary",
    "description",
    "occurred_at",
    "occurred_precision",
    "aware_at",
    "channel",
    "cause_category",
    "cause_detail",
    "individuals_affected",
    "individuals_affected_is_estimate",
    "containment_steps",
    "contained_at",
    "business_unit",
}
# What handlers see besides: restriction (who is named is shown by the restriction entries
# of the workspace, not here), jurisdiction.
HANDLER_FIELDS = REPORTER_FIELDS | {"is_restricted", "jurisdiction"}


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
    text: str = ""
    kind: str = "change"
    internal: bool = False


def _label(model: type, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)  # type: ignore[attr-defined]


def _display(model: type, name: str, value: Any) -> Any:
    """Show a choice's label rather than its stored code; yes/no for booleans."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if value is None or value == "":
        return "—"
    if hasattr(value, "name") and not isinstance(value, str):  # a related object
        return str(value)
    choices = dict(model._meta.get_field(name).flatchoices)  # type: ignore[attr-defined]
    return choices.get(value, value)


def incident_timeline(incident: Incident, *, include_internal: bool) -> list[TimelineEntry]:
    """The incident's history, oldest first, in a fixed number of queries whatever its length."""
    entries: list[TimelineEntry] = []
    records = list(
        incident.history.select_related("history_user").order_by("history_date", "history_id")
    )
    previous = None
    for record in records:
        if record.history_type == "+":
            # Creating an incident is reporting it, whoever's session wrote the row.
            actor = str(record.history_user or incident.reporter)
            entries.append(TimelineEntry(record.history_date, actor, "reported this incident"))
        elif previous is not None:
            delta = record.diff_against(
                previous,
                included_fields=sorted(HANDLER_FIELDS if include_internal else REPORTER_FIELDS),
                foreign_keys_are_objs=True,
            )
            changes = [
                Change(
                    _label(Incident, c.field),
                    _display(Incident, c.field, c.old),
                    _display(Incident, c.field, c.new),
                )
                for c in delta.changes
            ]
            if changes:
                actor = str(record.history_user) if record.history_user else "System"
                reason = record.history_change_reason if include_internal else ""
                entries.append(
                    TimelineEntry(record.history_date, actor, "changed", changes, text=reason or "")
                )
        previous = record

    for model, attr in (
        (IncidentBreachType, "breach_type"),
        (IncidentInformationCategory, "category"),
        (AffectedIndividual, "reference"),
    ):
        for row in model.history.filter(incident_id=incident.pk).select_related("history_user"):
            if row.history_change_reason == REPORTED_WITH:
                continue
            verb = {"+": "added", "-": "removed"}.get(row.history_type, "changed")
            value = _display(model, attr, getattr(row, attr))
            label = model._meta.verbose_name
            actor = str(row.history_user) if row.history_user else "System"
            entries.append(
                TimelineEntry(row.history_date, actor, f"{verb} {label}", text=str(value))
            )

    comments = incident.comments.select_related("author")
    if not include_internal:
        comments = comments.filter(visibility=Comment.Visibility.SHARED)
    for comment in comments:
        internal = comment.visibility == Comment.Visibility.INTERNAL
        entries.append(
            TimelineEntry(
                comment.created_at,
                str(comment.author),
                "wrote an internal note" if internal else "commented",
                text=comment.body,
                kind="comment",
                internal=internal,
            )
        )
    for attachment in Attachment.objects.filter(incident=incident).select_related("uploaded_by"):
        entries.append(
            TimelineEntry(
                attachment.uploaded_at,
                str(attachment.uploaded_by),
                "attached evidence",
                text=attachment.original_name,
                kind="attachment",
            )
        )
    if include_internal:
        for assessment in incident.assessments.select_related("created_by"):
            entries.append(
                TimelineEntry(
                    assessment.created_at,
                    str(assessment.created_by),
                    "assessed notifiability",
                    text=(
                        f"{assessment.get_severity_display()}; regulator "
                        f"{assessment.notify_regulator}, individuals "
                        f"{assessment.notify_individuals} ({assessment.rule_set})"
                    ),
                    kind="assessment",
                    internal=True,
                )
            )
        for decision in incident.decisions.select_related("decided_by", "supersedes"):
            verb = "signed a decision" + (
                ", superseding the previous one" if decision.supersedes_id else ""
            )
            text = (
                f"{decision.get_notify_regulator_display()}; individuals: "
                f"{decision.get_notify_individuals_display().lower()}"
            )
            if decision.ground:
                text += f" (ground: {decision.ground})"
            if decision.rationale:
                text += f"\nRationale: {decision.rationale}"
            entries.append(
                TimelineEntry(
                    decision.decided_at,
                    str(decision.decided_by),
                    verb,
                    text=text,
                    kind="decision",
                    internal=True,
                )
            )
        for n in incident.notifications.select_related("recorded_by"):
            text = f"{n.get_recipient_display()}: {n.get_method_display()}"
            if n.notified_at:
                text += f", {timezone.localtime(n.notified_at):%d %b %Y %H:%M}"
            if n.on_time is not None:
                text += " (on time)" if n.on_time else " (late)"
            if n.reason:
                text += f"\n{n.reason}"
            entries.append(
                TimelineEntry(n.recorded_at, str(n.recorded_by), "recorded a notification",
                              text=text, kind="notification", internal=True)
            )  # fmt: skip
        for a in incident.actions.select_related("created_by", "owner"):
            entries.append(
                TimelineEntry(a.created_at, str(a.created_by), "added an action",
                              text=f"{a.title} — {a.owner}, due {a.due_date:%d %b %Y}",
                              kind="action", internal=True)
            )  # fmt: skip
    entries.sort(key=lambda e: e.at)
    return entries
