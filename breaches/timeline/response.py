"""The response on the timeline, for handlers only: notifications made and actions set."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils import timezone

from breaches.models import Incident, Notification
from breaches.timeline.entries import TimelineEntry


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
    text = f"{n.get_recipient_display()}: {n.get_method_display()}"
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
