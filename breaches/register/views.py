"""The register (filtered, sorted, exported) and the officer's home page.

Every queryset here starts from ``Incident.objects.visible_to(request.user)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone

from accounts.http import AuthenticatedHttpRequest, signed_in
from accounts.models import AccessEvent
from breaches.access import record_access, record_exported
from breaches.models import Action, Incident
from breaches.models.notices import people_to_tell
from breaches.pagination import NearestPageListView
from breaches.permissions import can_use_register
from breaches.register.exports import (
    CSV_HEADER,
    EXPORT_BATCH,
    csv_chunks,
    csv_rows,
    export_values,
)
from breaches.register.filters import IncidentFilter
from breaches.selectors import incident_handled


def register_queryset(request: HttpRequest) -> tuple[IncidentFilter, QuerySet[Incident]]:
    """The register as filtered in the URL: the page and the CSV export read the same rows."""
    # The people still to be told: on the page's rows only, never in its count.
    base = (
        Incident.objects.visible_to(request.user)
        .with_list_columns()
        .annotate(to_tell=people_to_tell())
    )
    filterset = IncidentFilter(request.GET or None, queryset=base, request=request)
    if filterset.is_bound and not filterset.is_valid():
        # A bad filter shows (and exports) nothing, with the errors, rather than everything.
        return filterset, base.none()
    queryset = filterset.qs if filterset.is_bound else base
    if not (filterset.is_bound and filterset.data.get("ordering")):
        queryset = queryset.order_by("-reported_at", "-id")
    return filterset, queryset


class RegisterView(LoginRequiredMixin, NearestPageListView):
    """Every incident the officer may see, filtered and sorted as the URL says."""

    template_name = "breaches/register/register.html"
    context_object_name = "incidents"

    def get_paginate_by(self, queryset: QuerySet[Incident]) -> int:
        return settings.REGISTER_PAGE_SIZE

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if signed_in(request) and not can_use_register(request.user):
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
    request: AuthenticatedHttpRequest, queryset: QuerySet[Incident], filters: dict[str, list[str]]
) -> Iterator[list[str]]:
    """CSV rows, writing as it goes one access event per exported incident, so each
    incident's access log shows the exports that contained it: ``EXPORT_BATCH`` incidents at
    a time, read as tuples and logged in one statement."""
    detail = {"export": True, "filters": filters}
    values = export_values(queryset).iterator(chunk_size=EXPORT_BATCH)
    while batch := list(itertools.islice(values, EXPORT_BATCH)):
        # Logged before the rows leave: a client that stops reading was still logged.
        record_exported(request, incident_ids=[row[0] for row in batch], detail=detail)
        yield from csv_rows(batch)


@login_required
def export_csv(request: AuthenticatedHttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Exactly the filtered register, streamed as CSV; the export is an access event."""
    if not can_use_register(request.user):
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
        csv_chunks(itertools.chain([CSV_HEADER], rows)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="register-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def access_log(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """Who opened, downloaded or exported this incident: for its officers only."""
    # Imported here: this view is the only one of the module that needs it.
    from breaches.intake.confidentiality import hidden_label, may_see_reporter

    incident = incident_handled(request.user, reference)
    events = list(AccessEvent.objects.filter(incident=incident).select_related("user")[:500])
    # The reporter reading their own report would name them: hidden as everywhere else.
    hidden = None if may_see_reporter(incident, request.user) else hidden_label(incident)
    rows = [(e, hidden if hidden and e.user_id == incident.reporter_id else None) for e in events]
    return render(
        request, "breaches/register/access_log.html", {"incident": incident, "rows": rows}
    )


@login_required
def officer_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What needs the officer now."""
    user = request.user
    if not user.is_officer:
        raise Http404
    mine = Incident.objects.visible_to(user).with_list_columns().annotate(to_tell=people_to_tell())
    now = timezone.now()
    deadlines = mine.clock_running().open().order_by("regulator_deadline")[:20]
    new_reports = mine.filter(status=Incident.Status.REPORTED).order_by("-reported_at")[:20]
    waiting = mine.filter(
        status__in=[Incident.Status.TRIAGE, Incident.Status.ASSESSED, Incident.Status.REOPENED]
    ).order_by("reported_at")[:20]
    overdue = (
        Action.objects.overdue()
        .filter(incident__in=mine)
        .select_related("incident", "owner")
        .order_by("due_date")[:20]
    )
    return render(
        request,
        "breaches/register/officer_home.html",
        {
            "deadlines": deadlines,
            "new_reports": new_reports,
            "waiting": waiting,
            "overdue": overdue,
            "now": now,
            "soon": now + timedelta(hours=24),
        },
    )
