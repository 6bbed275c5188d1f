"""The officer's triage page: facts, the live recommendation, the signed decision, drafts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import AccessEvent, User
from breaches.access import record_access
from breaches.models import Incident
from breaches.permissions import handles
from breaches.triage.clock import clock_for
from breaches.triage.engine import parse_facts
from breaches.triage.forms import DecisionForm, FactsForm
from breaches.triage.services import (
    assessment_create,
    decision_record,
    facts_from_incident,
    run_engine,
)


def officer_incident(request: HttpRequest, reference: str) -> Incident:
    """An incident the signed-in officer may triage: in scope, and they are an officer."""
    user: User = request.user  # type: ignore[assignment]
    if not user.is_officer:
        raise Http404
    incident = get_object_or_404(
        Incident.objects.visible_to(user).select_related("business_unit", "reporter"),
        reference=reference,
    )
    if not handles(user, incident):
        raise Http404  # e.g. an officer's own report outside their units
    return incident


def _page(
    request: HttpRequest,
    incident: Incident,
    *,
    facts_form: FactsForm | None = None,
    decision_form: DecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    latest = (
        incident.assessments.select_related("created_by").order_by("-created_at", "-id").first()
    )
    if facts_form is None:
        facts_form = FactsForm(
            incident=incident, initial=FactsForm.initial_from(facts_from_incident(incident))
        )
    preview = None
    if facts_form.is_bound and facts_form.is_valid() and facts_form.facts:
        preview = run_engine(facts_form.facts).to_dict()
    elif not facts_form.is_bound:
        preview = run_engine(parse_facts(facts_from_incident(incident))).to_dict()
    if decision_form is None and latest is not None:
        decision_form = DecisionForm(
            initial={
                "assessment": latest.pk,
                "notify_regulator": "yes" if latest.notify_regulator == "yes" else "no",
                "notify_individuals": "yes" if latest.notify_individuals == "yes" else "no",
            }
        )
    decisions = incident.decisions.select_related("decided_by", "assessment").order_by(
        "-decided_at", "-id"
    )
    context: dict[str, Any] = {
        "incident": incident,
        "facts_form": facts_form,
        "preview": preview,
        "latest": latest,
        "decision_form": decision_form,
        "decisions": decisions,
        "clock": clock_for(incident),
    }
    return render(request, "breaches/triage/triage.html", context, status=status)


@login_required
def triage(request: HttpRequest, reference: str) -> HttpResponse:
    incident = officer_incident(request, reference)
    if request.method != "POST":
        record_access(
            request, action=AccessEvent.Action.VIEW, incident=incident, detail={"page": "triage"}
        )
        return _page(request, incident)
    form = FactsForm(request.POST, incident=incident)
    action = request.POST.get("action", "preview")
    if request.headers.get("X-Preview") == "1":
        # The page's script asks for the recommendation only, as facts change.
        preview = run_engine(form.facts).to_dict() if form.is_valid() and form.facts else None
        return render(
            request,
            "breaches/triage/_recommendation.html",
            {"preview": preview, "facts_form": form},
            status=200 if preview else 400,
        )
    if action == "assess" and form.is_valid() and form.facts:
        try:
            assessment_create(incident=incident, facts=form.facts, actor=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Assessment saved. Now record your decision.")
            return redirect(f"{request.path}#decision")
    return _page(request, incident, facts_form=form, status=200 if form.is_valid() else 400)


@login_required
@require_POST
def decide(request: HttpRequest, reference: str) -> HttpResponse:
    incident = officer_incident(request, reference)
    form = DecisionForm(request.POST)
    if form.is_valid():
        latest = incident.assessments.order_by("-created_at", "-id").first()
        assessment = latest if latest and latest.pk == form.cleaned_data["assessment"] else None
        if latest is None:
            form.add_error(None, "Assess the incident before deciding.")
        elif assessment is None:
            form.add_error(
                None, "The incident has been reassessed since this page was opened: reload it."
            )
        else:
            try:
                decision_record(
                    incident=incident,
                    assessment=assessment,
                    actor=request.user,  # type: ignore[arg-type]
                    notify_regulator=form.cleaned_data["notify_regulator"],
                    notify_individuals=form.cleaned_data["notify_individuals"],
                    rationale=form.cleaned_data.get("rationale", ""),
                    ground=form.cleaned_data.get("ground", ""),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Decision signed and recorded on the timeline.")
                return redirect(incident.get_absolute_url())
    return _page(request, incident, decision_form=form, status=400)


@login_required
def draft_regulator(request: HttpRequest, reference: str) -> HttpResponse:
    return _draft(request, reference, kind="regulator")


@login_required
def draft_letter(request: HttpRequest, reference: str) -> HttpResponse:
    return _draft(request, reference, kind="letter")


def _draft(request: HttpRequest, reference: str, *, kind: str) -> HttpResponse:
    from accounts.models import AccessEvent
    from breaches.access import record_access
    from breaches.triage.drafts import individual_letter, regulator_draft

    incident = officer_incident(request, reference)
    officer: User = request.user  # type: ignore[assignment]
    pdf = (
        regulator_draft(incident, officer)
        if kind == "regulator"
        else individual_letter(incident, officer)
    )
    record_access(
        request, action=AccessEvent.Action.DRAFT_DOWNLOAD, incident=incident, detail={"draft": kind}
    )
    label = "commissioner-notification" if kind == "regulator" else "letter"
    name = f"{incident.reference}-{label}-draft.pdf"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
