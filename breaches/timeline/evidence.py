"""What the report carries, as it changes: details added or removed, comments and evidence."""

from __future__ import annotations

from collections.abc import Iterator

from breaches.intake.services import REPORTED_WITH
from breaches.models import (
    AffectedIndividual,
    Attachment,
    Comment,
    Incident,
    IncidentBreachType,
    IncidentInformationCategory,
)
from breaches.timeline.entries import TimelineEntry, actor_name, display

_VERBS = {"+": "added", "-": "removed"}

DetailModel = (
    type[IncidentBreachType] | type[IncidentInformationCategory] | type[AffectedIndividual]
)


def _detail_rows(incident: Incident, model: DetailModel, attr: str) -> Iterator[TimelineEntry]:
    """Rows of ``model`` added, changed or removed after the report (those filed with it are
    part of "reported this incident")."""
    rows = model.history.filter(incident_id=incident.pk).select_related("history_user")
    noun = model._meta.verbose_name
    for row in rows:
        if row.history_change_reason == REPORTED_WITH:
            continue
        verb = _VERBS.get(row.history_type, "changed")
        yield TimelineEntry(
            row.history_date,
            actor_name(row.history_user),
            f"{verb} {noun}",
            text=str(display(model, attr, getattr(row, attr))),
            actor_id=row.history_user_id,
        )


def breach_types(incident: Incident, *, include_internal: bool) -> Iterator[TimelineEntry]:
    return _detail_rows(incident, IncidentBreachType, "breach_type")


def information_categories(
    incident: Incident, *, include_internal: bool
) -> Iterator[TimelineEntry]:
    return _detail_rows(incident, IncidentInformationCategory, "category")


def affected_people(incident: Incident, *, include_internal: bool) -> Iterator[TimelineEntry]:
    return _detail_rows(incident, AffectedIndividual, "reference")


def comments(incident: Incident, *, include_internal: bool) -> Iterator[TimelineEntry]:
    """Shared comments for everyone; internal notes only for handlers."""
    rows = incident.comments.select_related("author")
    if not include_internal:
        rows = rows.filter(visibility=Comment.Visibility.SHARED)
    for comment in rows:
        internal = comment.visibility == Comment.Visibility.INTERNAL
        yield TimelineEntry(
            comment.created_at,
            str(comment.author),
            "wrote an internal note" if internal else "commented",
            text=comment.body,
            kind="comment",
            internal=internal,
            actor_id=comment.author_id,
        )


def attachments(incident: Incident, *, include_internal: bool) -> Iterator[TimelineEntry]:
    for attachment in Attachment.objects.filter(incident=incident).select_related("uploaded_by"):
        yield TimelineEntry(
            attachment.uploaded_at,
            str(attachment.uploaded_by),
            "attached evidence",
            text=attachment.original_name,
            kind="attachment",
            actor_id=attachment.uploaded_by_id,
        )
