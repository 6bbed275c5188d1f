"""The response on the timeline, for handlers only: notifications made and actions set."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils import timezone

from breaches.models import Action, Incident, Notification
from breaches.models.response import CARRIED_OVER_ON_CLOSING, DONE_ON_CLOSING
from breaches.timeline.entries import TimelineEntry, actor_name


def notifications(incident: Incident, *, include_internal: bool) -> Iterator[TimelineEntry]:
    if not include_internal:
        return
    for notification in incident.notifications.select_related("recorded_by"):
        yield TimelineEntry(
            notification.recorded_at,
            str(notification.recorded_by),
            "recorded a notification",
            text=_notification_text(notification),
            kind="notification",
            internal=True,
        )


def _notification_text(n: Notification) -> str:
    stage = f" ({n.get_stage_display().lower()})" if n.stage else ""
    text = f"{n.get_recipient_display()}{stage}: {n.get_method_display()}"
    if n.notified_at:
        text += f", {timezone.localtime(n.notified_at):%d %b %Y %H:%M}"
    if n.on_time is not None:
        text += " (on time)" if n.on_time else " (late)"
    if n.reason:
        text += f"\n{n.reason}"
    return text


def actions(incident: Incident, *, include_internal: bool) -> Iterator[TimelineEntry]:
    if not include_internal:
        return
    for action in incident.actions.select_related("created_by", "owner"):
        yield TimelineEntry(
            action.created_at,
            str(action.created_by),
            "added an action",
            text=f"{action.title} — {action.owner}, due {action.due_date:%d %b %Y}",
            kind="action",
            internal=True,
        )


def action_outcomes(incident: Incident, *, include_internal: bool) -> Iterator[TimelineEntry]:
    """What closing the incident did with each open action: marked done, or carried over with
    its reason. Read from the actions' own (append-only) history rows, which say who and when."""
    if not include_internal:
        return
    rows = Action.history.filter(
        incident_id=incident.pk,
        history_change_reason__in=[DONE_ON_CLOSING, CARRIED_OVER_ON_CLOSING],
    ).select_related("history_user", "owner")
    for row in rows.order_by("history_date", "history_id"):
        carried = row.history_change_reason == CARRIED_OVER_ON_CLOSING
        overdue = " (overdue)" if row.due_date < timezone.localtime(row.history_date).date() else ""
        text = f"{row.title} — {row.owner}, due {row.due_date:%d %b %Y}{overdue}"
        if carried:
            text += f"\nCarried over: {row.carry_over_reason}"
        yield TimelineEntry(
            row.history_date,
            actor_name(row.history_user),
            "carried over an action on closing" if carried else "marked an action done on closing",
            text=text,
            kind="action",
            internal=True,
        )
