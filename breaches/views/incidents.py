"""Incident pages: the register, "my reports" and the detail page.

Every queryset here starts from ``Incident.objects.visible_to(request.user)``; an incident
outside it answers 404.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.generic import ListView

from accounts.client_ip import client_ip
from accounts.models import AccessEvent, User
from breaches import kept_input
from breaches.access import record_access
from breaches.assessments import clock_for
from breaches.exports import CSV_HEADER, csv_lines, csv_row
from breaches.filters import IncidentFilter
from breaches.forms import (
    ActionForm,
    AttachmentForm,
    CommentForm,
    NotificationForm,
    RestrictForm,
)
from breaches.models import Incident
from breaches.permissions import can_contribute, can_use_register, can_write_internal
from breaches.timeline import incident_timeline
from breaches.workflow import available_transitions


def register_queryset(request: HttpRequest) -> tuple[IncidentFilter, QuerySet[Incident]]:
    """The register as filtered in the URL: the page and the CSV export read the same rows."""
    base = Incident.objects.visible_to(request.user).with_list_columns()
    filterset = IncidentFilter(request.GET or None, queryset=base, request=request)
    if filterset.is_bound and not filterset.is_valid():
        # A bad filter shows (and exports) nothing, with the errors, rather than everything.
        return filterset, base.none()
    queryset = filterset.qs if filterset.is_bound else base
    if not (filterset.is_bound and filterset.data.get("ordering")):
        queryset = queryset.order_by("-reported_at", "-id")
    return filterset, queryset


class RegisterView(LoginRequiredMixin, ListView):
    """Every incident the officer may see, filtered and sorted as the URL says."""

    template_name = "breaches/register.html"
    context_object_name = "incidents"

    def get_paginate_by(self, queryset: QuerySet[Incident]) -> int:
        return settings.REGISTER_PAGE_SIZE

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not can_use_register(request.user):  # type: ignore[arg-type]
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Incident]:
        self.filterset, queryset = register_queryset(self.request)
        return queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        params = self.request.GET.copy()
        params.pop("page", None)
        context["query"] = params.urlencode()
        sort_params = params.copy()
        sort_params.pop("ordering", None)
        context["sort_query"] = sort_params.urlencode()
        context["ordering"] = self.request.GET.get("ordering", "")
        form = self.filterset.form
        context["active_filters"] = [
            form[name].label
            for name, values in self.request.GET.lists()
            if name in form.fields and name != "ordering" and any(values)
        ]
        return context


def logged_rows(
    request: HttpRequest, queryset: QuerySet[Incident], filters: dict[str, list[str]]
) -> Iterator[list[str]]:
    """CSV rows, writing as it goes one access event per exported incident, so each
    incident's access log shows the exports that contained it."""
    detail = {"export": True, "filters": filters}
    request_id = getattr(request, "request_id", "")
    ip = client_ip(request)
    rows = queryset.iterator(chunk_size=500)
    while chunk := list(itertools.islice(rows, 500)):
        # Logged before the rows leave: a client that stops reading was still logged.
        AccessEvent.objects.bulk_create(
            AccessEvent(
                user=request.user, action=AccessEvent.Action.EXPORT, incident=incident,
                detail=detail, path=request.path, ip_address=ip, request_id=request_id,
            )
            for incident in chunk
        )  # fmt: skip
        yield from (csv_row(incident) for incident in chunk)


@login_required
def export_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Exactly the filtered register, streamed as CSV; the export is an access event."""
    if not can_use_register(request.user):  # type: ignore[arg-type]
        raise Http404
    filterset, queryset = register_queryset(request)
    if filterset.is_bound and not filterset.is_valid():
        return HttpResponse(
            "Invalid filters: "
            + "; ".join(f"{k}: {' '.join(v)}" for k, v in filterset.errors.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    filters = {k: v for k, v in request.GET.lists() if k != "page" and any(v)}
    record_access(request, action=AccessEvent.Action.EXPORT, detail={"filters": filters})
    rows = logged_rows(request, queryset, filters)
    response = StreamingHttpResponse(
        csv_lines(itertools.chain([CSV_HEADER], rows)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="register-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


class MyReportsView(LoginRequiredMixin, ListView):
    """The incidents the signed-in person reported (and may still see)."""

    template_name = "breaches/my_reports.html"
    context_object_name = "incidents"

    def get_paginate_by(self, queryset: QuerySet[Incident]) -> int:
        return settings.REGISTER_PAGE_SIZE

    def get_queryset(self) -> QuerySet[Incident]:
        return (
            Incident.objects.visible_to(self.request.user)
            .filter(reporter_id=self.request.user.pk)
            .with_list_columns()
        )


def _detail_queryset(request: HttpRequest) -> QuerySet[Incident]:
    return (
        Incident.objects.visible_to(request.user)
        .select_related("business_unit", "reporter")
        .prefetch_related("affected", "breach_types", "information_categories", "restricted_to")
    )


def _comment_form(request: HttpRequest, incident: Incident, internal: bool) -> CommentForm:
    """A fresh comment form, or the one the person was typing when their session expired."""
    initial: dict[str, Any] = {
        # Officers' notes default to internal: sharing with the reporter is a choice.
        "visibility": "internal" if internal else "shared",
        "draft_owner": kept_input.owner_token(request.user.pk),
    }
    if request.GET.get("restore"):
        kept = kept_input.restore(request, f"comment:{incident.reference}", request.user.pk)
        if kept is not None:
            initial["body"] = kept.get("body", "")
            if internal and kept.get("visibility"):
                initial["visibility"] = kept["visibility"]
    return CommentForm(initial=initial)


@login_required
def incident_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """One incident, its details, evidence and timeline; opening it writes an access event."""
    incident = get_object_or_404(_detail_queryset(request), reference=reference)
    return render_incident(request, incident)


def render_incident(
    request: HttpRequest,
    incident: Incident,
    *,
    comment_form: CommentForm | None = None,
    attachment_form: AttachmentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the detail page (also after a failed comment or upload, keeping what was typed)."""
    user: User = request.user  # type: ignore[assignment]
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
        "notification_form": NotificationForm() if internal else None,
        "action_form": ActionForm() if internal else None,
        "restrict_form": RestrictForm() if user.is_chief_privacy_officer else None,
    }
    return render(request, "breaches/incident_detail.html", context, status=status)
