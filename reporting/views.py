"""The live dashboard: the quarterly report's figures for the current quarter (SPEC §6).

Aggregates only, no incident content. Executives and the CPO see the whole agency; privacy
officers their own units (``Incident.objects.countable_by``). The figures come from a cache
that writes invalidate (reporting/cache.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from accounts.http import AuthenticatedHttpRequest
from accounts.models import AccessEvent, User
from breaches.access import record_access
from breaches.models import Incident
from config import kept_input
from config.errors import page_call
from reporting.cache import dashboard_figures
from reporting.charts import dashboard_charts
from reporting.forms import DashboardQuarterForm, ReportRequestForm
from reporting.jobs import report_request
from reporting.models import QuarterlyReport
from reporting.summary import key_messages


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The figures of one quarter: by default the last complete one; the quarter in progress
    only when asked for, and then labelled "to date" and compared with the same days of the
    previous quarter. A quarter that cannot be read is an error at the picker (400)."""
    user = request.user
    if not (user.is_executive or user.is_officer):
        raise Http404
    incidents = Incident.objects.countable_by(user)
    form = DashboardQuarterForm(
        request.GET if "quarter" in request.GET else None, incidents=incidents
    )
    scope = "your units" if user.is_privacy_officer else "the whole agency"
    context: dict[str, Any] = {"form": form, "scope": scope}
    if form.is_bound and not form.is_valid():
        return render(request, "reporting/dashboard.html", context, status=400)
    quarter = form.cleaned_data["quarter"] if form.is_bound else form.default()
    # The dashboard does not list notifiable breaches (executives read figures only). Its
    # figures are cached per quarter and scope while no write and no clock changes them
    # (reporting/cache.py).
    figures = dashboard_figures(incidents, quarter, scope=scope)
    context.update(
        {
            "figures": figures,
            # The same Summary as page 2 of the quarterly report.
            "summary": key_messages(figures),
            # SVG strings already marked safe: reporting.charts escapes every text it draws.
            "charts": dashboard_charts(figures),
            "compact_charts": dashboard_charts(figures, compact=True),
            "quarter": quarter,
        }
    )
    return render(request, "reporting/dashboard.html", context)


def _may_use_reports(user: User) -> bool:
    return user.is_authenticated and (user.is_executive or user.is_officer)


def _request_kept(kwargs: dict[str, Any]) -> kept_input.KeptForm:
    return kept_input.KeptForm(
        "report-request", frozenset(ReportRequestForm.base_fields),
        reverse("reporting:reports") + "?restore=1",
    )  # fmt: skip


@kept_input.keeps_input(_request_kept)
def reports(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The reports page: past reports to download, and a form to request one."""
    user = request.user
    if not _may_use_reports(user):
        raise Http404
    restored = False
    if request.method == "POST":
        form = ReportRequestForm(request.POST)
        if form.is_valid():
            quarter = form.cleaned_data["quarter"]
            if page_call(
                request, lambda: report_request(quarter=quarter, requested_by=user), form=form
            ):
                kept_input.forget(request, _request_kept({}).key)
                messages.success(request, f"The {quarter.label} report is being prepared.")
                return redirect("reporting:reports")
    else:
        kept = kept_input.taken_back(request, _request_kept({}))
        restored = kept is not None
        form = ReportRequestForm(
            initial=kept_input.initial_from(ReportRequestForm, kept) if kept else None
        )
    return render(
        request,
        "reporting/reports.html",
        {
            "form": form,
            "restored": restored,
            "reports": QuarterlyReport.objects.select_related("requested_by")[:40],
        },
        status=400 if form.errors else 200,
    )


@login_required
def report_status(request: AuthenticatedHttpRequest, pk: int) -> JsonResponse:
    """The job's state, for the page to follow without reloading."""
    if not _may_use_reports(request.user):
        raise Http404
    report = get_object_or_404(QuarterlyReport, pk=pk)
    return JsonResponse(
        {
            "status": report.status,
            "status_label": report.get_status_display(),
            "progress": report.progress,
            "error": report.last_error if report.status == QuarterlyReport.Status.FAILED else "",
            "download": report.get_absolute_url()
            if report.status == QuarterlyReport.Status.DONE
            else "",
        }
    )


@login_required
def report_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """Download a finished report; every download is an access event."""
    if not _may_use_reports(request.user):
        raise Http404
    report = get_object_or_404(QuarterlyReport, pk=pk, status=QuarterlyReport.Status.DONE)
    record_access(
        request,
        action=AccessEvent.Action.REPORT_DOWNLOAD,
        detail={"report": report.pk, "quarter": report.quarter},
    )
    response = FileResponse(
        report.file.open("rb"),
        as_attachment=True,
        filename=f"privacy-breaches-{report.quarter}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response
