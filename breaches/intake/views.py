"""Reporting an incident and adding to it: the report form, details, evidence downloads, my reports.

Nothing typed is lost: a validation error re-renders every value; a submission that arrives
after the session expired is kept as a server-side draft in the new (anonymous) session, and
after signing in again the person gets the form back exactly as they typed it. Django keeps
session data across login when the session had no user, which is the case after expiry.
See docs/intake.md.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    QueryDict,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts.http import AuthenticatedHttpRequest, AuthenticatedRequest
from accounts.models import AccessEvent
from breaches.access import record_access
from breaches.intake.forms import (
    AffectedFormSet,
    DetailsForm,
    ReportForm,
    affected_rows,
)
from breaches.intake.services import (
    attachment_add,
    incident_add_details,
    incident_create,
)
from breaches.models import Attachment, Incident
from breaches.pagination import NearestPageListView
from breaches.permissions import can_contribute
from breaches.selectors import incident_in_scope
from config import kept_input
from config.errors import page_call

DRAFT_KEY = "report_draft"
FORMSET_FIELDS = frozenset({"affected-TOTAL_FORMS", "affected-INITIAL_FORMS"})


def _report_kept(kwargs: dict[str, Any] | None = None) -> kept_input.KeptForm:
    """Where the report form's input is kept when it cannot be sent yet."""
    return kept_input.KeptForm(
        DRAFT_KEY, frozenset(ReportForm.base_fields) | FORMSET_FIELDS,
        reverse("breaches:report") + "?restore=1",
    )  # fmt: skip


def _details_kept(kwargs: dict[str, Any]) -> kept_input.KeptForm:
    """Where the details form's input is kept when it cannot be saved yet."""
    return kept_input.KeptForm(
        f"details:{kwargs['reference']}", frozenset(DetailsForm.base_fields) | FORMSET_FIELDS,
        reverse("breaches:add-details", kwargs=kwargs) + "?restore=1",
    )  # fmt: skip


def _with_valid_token(data: QueryDict) -> QueryDict:
    """A missing or mangled token is replaced, so the form can never get stuck on it."""
    try:
        uuid.UUID(data.get("submission_token", ""))
    except ValueError:
        data = data.copy()
        data["submission_token"] = str(uuid.uuid4())
    return data


@kept_input.keeps_input(_report_kept)
def report_incident(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The report form: a short first step, then optional details, in one page."""
    user = request.user
    owner = kept_input.owner_token(user.pk)
    if request.method == "POST":
        data = _with_valid_token(request.POST)
        data = data.copy()
        data["draft_owner"] = owner
        form = ReportForm(data, request.FILES)
        formset = AffectedFormSet(data, prefix="affected")
        if form.is_valid() and formset.is_valid():
            cleaned = form.cleaned_data
            incident = incident_create(
                reporter=user,
                kind=cleaned["kind"],
                summary=cleaned["summary"],
                aware_at=cleaned["aware_at"],
                channel=cleaned["channel"],
                business_unit=_unit(cleaned["business_unit"]),
                breach_types=cleaned.get("breach_types") or [],
                information_categories=cleaned.get("information_categories") or [],
                affected=affected_rows(formset),
                submission_token=cleaned["submission_token"],
                **form.confidentiality(),
                **form.details(),
            )
            if cleaned.get("evidence") and not incident.attachments.exists():
                attachment_add(incident=incident, uploaded_by=user, upload=cleaned["evidence"])
            kept_input.forget(request, DRAFT_KEY)
            messages.success(request, _thanks(incident))
            return redirect(incident)
        status = 400
    else:
        # The draft stays until the report is sent: a reload does not lose it.
        restored = (
            kept_input.restore(request, DRAFT_KEY, user.pk) if request.GET.get("restore") else None
        )
        if restored is not None:
            restored["draft_owner"] = owner
            form = ReportForm(_with_valid_token(restored))
            formset = AffectedFormSet(restored, prefix="affected")
            messages.info(request, "Here is your report as you left it. Check it and send it.")
        else:
            form = ReportForm(
                initial={
                    "aware_at": _now_local(),
                    "business_unit": user.business_unit_id,
                    "submission_token": uuid.uuid4(),
                    "draft_owner": owner,
                    "occurred_precision": Incident.OccurredPrecision.UNKNOWN,
                    "reporting": Incident.Reporting.NAMED,
                }
            )
            formset = AffectedFormSet(prefix="affected")
        status = 200
    return render(
        request,
        "breaches/intake/report_form.html",
        {"form": form, "formset": formset},
        status=status,
    )


def _thanks(incident: Incident) -> str:
    """What the reporter is told once the report is in, including who will know of it."""
    said = [f"Thank you. Your report {incident.reference} has been sent to the privacy team."]
    if incident.is_restricted:
        said.append("Only the chief privacy officer can see it for now.")
    elif incident.reporting == Incident.Reporting.CONFIDENTIAL:
        said.append("Only the chief privacy officer can see that you reported it.")
    said.append("You can add more information here at any time while it is open.")
    return " ".join(said)


def _unit(pk: int) -> Any:
    from accounts.models import BusinessUnit

    return BusinessUnit.objects.get(pk=pk)


def _now_local() -> str:

    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


@kept_input.keeps_input(_details_kept)
def add_details(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """The reporter (while open) or an officer fills in or corrects the optional details."""
    key = _details_kept({"reference": reference}).key
    incident = incident_in_scope(request.user, reference)
    if not can_contribute(request.user, incident):
        raise Http404
    # The form shows the full description and details: opening it is a read like any other.
    record_access(
        request, action=AccessEvent.Action.VIEW, incident=incident, detail={"page": "details"}
    )
    initial = {
        "occurred_precision": incident.occurred_precision,
        "occurred_at": incident.occurred_at,
        "description": incident.description,
        "breach_types": list(incident.breach_types.values_list("breach_type", flat=True)),
        "cause_category": incident.cause_category,
        "cause_detail": incident.cause_detail,
        "information_categories": list(
            incident.information_categories.values_list("category", flat=True)
        ),
        "individuals_affected": incident.individuals_affected,
        "individuals_affected_is_estimate": incident.individuals_affected_is_estimate,
        "containment_steps": incident.containment_steps,
        "contained_at": incident.contained_at,
    }
    owner = kept_input.owner_token(request.user.pk)
    initial["draft_owner"] = owner
    if request.method == "POST":
        form = DetailsForm(request.POST, incident=incident, initial=initial)
        formset = AffectedFormSet(request.POST, prefix="affected")
        if form.is_valid() and formset.is_valid():
            actor, data, rows = request.user, form.cleaned_data, affected_rows(formset)
            saved = page_call(
                request,
                lambda: incident_add_details(
                    incident=incident,
                    actor=actor,
                    details=form.details(),
                    breach_types=data.get("breach_types") or [],
                    information_categories=data.get("information_categories") or [],
                    affected=rows,
                ),
            )
            if saved is None:
                return redirect(incident)
            kept_input.forget(request, key)
            messages.success(request, "Thank you: the information has been added.")
            return redirect(incident)
        status = 400
    else:
        restored = (
            kept_input.restore(request, key, request.user.pk)
            if request.GET.get("restore")
            else None
        )
        if restored is not None:
            restored["draft_owner"] = owner
            form = DetailsForm(restored, incident=incident, initial=initial)
            formset = AffectedFormSet(restored, prefix="affected")
            messages.info(request, "Here is what you typed. Check it and save it.")
        else:
            form = DetailsForm(incident=incident, initial=initial)
            formset = AffectedFormSet(prefix="affected")
        status = 200
    return render(
        request,
        "breaches/intake/details_form.html",
        {"incident": incident, "form": form, "formset": formset},
        status=status,
    )


@login_required
def download_attachment(request: AuthenticatedHttpRequest, reference: str, pk: int) -> FileResponse:
    """Stream one evidence file, in scope only, and log the download."""
    incident = incident_in_scope(request.user, reference)
    attachment = get_object_or_404(Attachment, pk=pk, incident=incident)
    return attachment_response(request, attachment)


def attachment_response(
    request: AuthenticatedHttpRequest | AuthenticatedRequest, attachment: Attachment
) -> FileResponse:
    record_access(
        request,
        action=AccessEvent.Action.DOWNLOAD,
        incident=attachment.incident,
        detail={"attachment": attachment.pk, "name": attachment.original_name},
    )
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class MyReportsView(LoginRequiredMixin, NearestPageListView):
    """The incidents the signed-in person reported (and may still see)."""

    template_name = "breaches/intake/my_reports.html"
    context_object_name = "incidents"

    def get_paginate_by(self, queryset: QuerySet[Incident]) -> int:
        return settings.REGISTER_PAGE_SIZE

    def get_queryset(self) -> QuerySet[Incident]:
        return (
            Incident.objects.visible_to(self.request.user)
            .filter(reporter_id=self.request.user.pk)
            .with_list_columns()
        )
