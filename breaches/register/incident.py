"""The incident page: details, evidence, timeline and the forms that act on it.

Opening it writes an access event; an incident outside ``visible_to`` answers 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest, signed_in
from accounts.models import AccessEvent
from breaches.access import record_access
from breaches.intake import kept_input
from breaches.intake.forms import (
    AttachmentForm,
    CommentForm,
)
from breaches.intake.services import (
    attachment_add,
    comment_add,
)
from breaches.models import Comment, Incident
from breaches.permissions import can_contribute, can_write_internal, handles
from breaches.response.actions import action_create
from breaches.response.forms import ActionForm, NotificationForm, RestrictForm
from breaches.response.notifications import notification_record
from breaches.selectors import incident_in_scope
from breaches.timeline import incident_timeline
from breaches.triage.clock import clock_for
from breaches.workflow.services import available_transitions
from config.errors import page_call


def _detail_queryset(request: HttpRequest) -> QuerySet[Incident]:
    return (
        Incident.objects.visible_to(request.user)
        .select_related("business_unit", "reporter")
        .prefetch_related("affected", "breach_types", "information_categories", "restricted_to")
    )


def _comment_form(
    request: AuthenticatedHttpRequest, incident: Incident, internal: bool
) -> CommentForm:
    """A fresh comment form, or the one the person was typing when their session expired."""
    initial: dict[str, Any] = {
        # Officers' notes default to internal: sharing with the reporter is a choice.
        "visibility": "internal" if internal else "shared",
        "draft_owner": kept_input.owner_token(request.user.pk),
    }
    if request.GET.get("restore"):
        key = _comment_kept({"reference": incident.reference}).key
        kept = kept_input.restore(request, key, request.user.pk)
        if kept is not None:
            initial["body"] = kept.get("body", "")
            if internal and kept.get("visibility"):
                initial["visibility"] = kept["visibility"]
    return CommentForm(initial=initial)


@login_required
def incident_detail(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """One incident, its details, evidence and timeline; opening it writes an access event."""
    incident = get_object_or_404(_detail_queryset(request), reference=reference)
    return render_incident(request, incident)


def render_incident(
    request: AuthenticatedHttpRequest,
    incident: Incident,
    *,
    comment_form: CommentForm | None = None,
    attachment_form: AttachmentForm | None = None,
    notification_form: NotificationForm | None = None,
    action_form: ActionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the detail page (also after a failed comment or upload, keeping what was typed)."""
    user = request.user
    record_access(request, action=AccessEvent.Action.VIEW, incident=incident)
    internal = can_write_internal(user, incident)
    context = {
        "incident": incident,
        "timeline": incident_timeline(incident, include_internal=internal),
        "attachments": incident.attachments.select_related("uploaded_by"),
        "can_contribute": can_contribute(user, incident),
        "can_write_internal": internal,
        "comment_form": comment_form or _comment_form(request, incident, internal),
        "attachment_form": attachment_form or AttachmentForm(),
        "clock": clock_for(incident) if internal else None,
        "transitions": available_transitions(incident, user),
        "actions": incident.actions.select_related("owner"),
        "notifications": incident.notifications.select_related("recorded_by") if internal else [],
        "notification_form": (notification_form or NotificationForm()) if internal else None,
        "action_form": (action_form or ActionForm()) if internal else None,
        "restrict_form": RestrictForm() if user.is_chief_privacy_officer else None,
    }
    return render(request, "breaches/register/incident_detail.html", context, status=status)


def _comment_kept(kwargs: dict[str, Any]) -> kept_input.KeptForm:
    """Where the comment form's input is kept when it cannot be sent yet."""
    return kept_input.KeptForm(
        f"comment:{kwargs['reference']}", frozenset({"body", "visibility"}),
        reverse("breaches:incident-detail", kwargs=kwargs) + "?restore=1",
    )  # fmt: skip


@require_POST
def add_comment(request: HttpRequest, reference: str) -> HttpResponse:
    kept = _comment_kept({"reference": reference})
    key = kept.key
    if not signed_in(request):
        return kept_input.expired_response(request, kept)
    incident = incident_in_scope(request.user, reference)
    form = CommentForm(request.POST)
    if form.is_valid():
        visibility = form.cleaned_data.get("visibility") or Comment.Visibility.SHARED
        author = request.user
        body = form.cleaned_data["body"]
        if page_call(
            request,
            lambda: comment_add(incident=incident, author=author, body=body, visibility=visibility),
        ):
            kept_input.forget(request, key)
            messages.success(request, "Comment added.")
            return redirect(incident.get_absolute_url() + "#timeline-heading")
    return render_incident(request, incident, comment_form=form, status=400)


@login_required
@require_POST
def add_attachment(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    incident = incident_in_scope(request.user, reference)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        if page_call(
            request,
            lambda: attachment_add(incident=incident, uploaded_by=request.user, upload=upload),
        ):
            messages.success(request, "Evidence attached.")
            return redirect(incident.get_absolute_url() + "#evidence-heading")
    return render_incident(request, incident, attachment_form=form, status=400)


def _refused(request: AuthenticatedHttpRequest, incident: Incident) -> HttpResponse:
    messages.error(request, "Only the incident's privacy officers can do this.")
    return redirect(incident)


@login_required
@require_POST
def record_notification(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """Record a notification; on an error the page comes back with the section open, every
    value kept and each error beside its field (the summary at the form takes focus)."""
    incident = incident_in_scope(request.user, reference)
    if not handles(request.user, incident):
        # Someone who follows the incident without handling it: said, and back to the page.
        return _refused(request, incident)
    form = NotificationForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        done = page_call(
            request,
            lambda: notification_record(incident=incident, actor=request.user, **data),
            form=form,
        )
        if done is not None:
            messages.success(request, "Notification recorded.")
            return redirect(incident.get_absolute_url() + "#notifications-heading")
    return render_incident(request, incident, notification_form=form, status=400)


@login_required
@require_POST
def add_action(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """Add an action; on an error, as for a notification."""
    incident = incident_in_scope(request.user, reference)
    if not handles(request.user, incident):
        # Someone who follows the incident without handling it: said, and back to the page.
        return _refused(request, incident)
    form = ActionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        done = page_call(
            request, lambda: action_create(incident=incident, actor=request.user, **data), form=form
        )
        if done is not None:
            messages.success(request, "Action added.")
            return redirect(incident.get_absolute_url() + "#actions-heading")
    return render_incident(request, incident, action_form=form, status=400)


kept_input.keeps_input("breaches:add-comment", _comment_kept)
