"""The officer's triage page: facts, the live recommendation, the signed decision, drafts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import AccessEvent
from breaches.access import record_access
from breaches.models import Assessment, Incident, NotificationContent
from breaches.response.forms import NotificationContentForm
from breaches.response.notifications import notification_content_save
from breaches.selectors import incident_handled
from breaches.triage.clock import clock_for
from breaches.triage.completeness import draft_checks
from breaches.triage.drafts import file_name, individual_letter, regulator_draft
from breaches.triage.engine import Facts, FactsError, parse_facts
from breaches.triage.forms import DecisionForm, FactsForm
from breaches.triage.services import (
    assessment_create,
    decision_record,
    facts_from_incident,
    run_engine,
)
from config import kept_input
from config.errors import page_call


def _facts_kept(kwargs: dict[str, Any]) -> kept_input.KeptForm:
    url = reverse("breaches:triage", kwargs={"reference": kwargs["reference"]})
    return kept_input.KeptForm(
        f"facts:{kwargs['reference']}", frozenset(FactsForm.base_fields) | {"action"},
        f"{url}?restore=1#facts-heading",
    )  # fmt: skip


def _decision_kept(kwargs: dict[str, Any]) -> kept_input.KeptForm:
    url = reverse("breaches:triage", kwargs={"reference": kwargs["reference"]})
    return kept_input.KeptForm(
        f"decision:{kwargs['reference']}", frozenset(DecisionForm.base_fields),
        f"{url}?restore=1#decision",
    )  # fmt: skip


def _unsaved(facts_form: FactsForm, latest: Assessment | None) -> bool:
    """The facts on the page differ from the assessment the decision would be signed against."""
    if not facts_form.is_bound:
        return False
    if latest is None or not facts_form.is_valid() or facts_form.facts is None:
        return True
    try:
        saved: Facts = parse_facts(latest.facts)
    except FactsError:
        return True
    return saved != facts_form.facts


def officer_incident(request: AuthenticatedHttpRequest, reference: str) -> Incident:
    """An incident the signed-in officer handles; 404 otherwise (e.g. an officer's own report
    outside their units)."""
    return incident_handled(request.user, reference)


def _page(
    request: AuthenticatedHttpRequest,
    incident: Incident,
    *,
    facts_form: FactsForm | None = None,
    decision_form: DecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    latest = Assessment.objects.latest_for(incident)
    restored_facts = kept_input.taken_back(request, _facts_kept({"reference": incident.reference}))
    if facts_form is None and restored_facts is not None:
        facts_form = FactsForm(restored_facts, incident=incident)
    if facts_form is None:
        facts_form = FactsForm(
            incident=incident, initial=FactsForm.initial_from(facts_from_incident(incident))
        )
    preview = None
    if facts_form.is_bound and facts_form.is_valid() and facts_form.facts:
        preview = run_engine(facts_form.facts).to_dict()
    elif not facts_form.is_bound:
        preview = run_engine(parse_facts(facts_from_incident(incident))).to_dict()
    decision_restored = False
    if decision_form is None and latest is not None:
        # Nothing pre-selected: the engine's advice is shown beside the choices, and signing
        # is a choice the officer makes, never one Enter away.
        kept = kept_input.taken_back(request, _decision_kept({"reference": incident.reference}))
        initial = kept_input.initial_from(DecisionForm, kept) if kept is not None else {}
        decision_restored = kept is not None
        decision_form = DecisionForm(initial={"assessment": latest.pk, **initial})
    decisions = incident.decisions.select_related("decided_by", "assessment").order_by(
        "-decided_at", "-id"
    )
    context: dict[str, Any] = {
        "incident": incident,
        "facts_form": facts_form,
        "preview": preview,
        "latest": latest,
        "decision_form": decision_form,
        "decision_restored": decision_restored,
        "facts_unsaved": _unsaved(facts_form, latest),
        "decisions": decisions,
        "clock": clock_for(incident),
        "draft_checks": draft_checks(incident),
    }
    return render(request, "breaches/triage/triage.html", context, status=status)


@kept_input.keeps_input(_facts_kept)
def triage(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
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
    facts = form.facts if form.is_valid() else None
    if action == "assess" and facts is not None:
        saved = page_call(
            request,
            lambda: assessment_create(incident=incident, facts=facts, actor=request.user),
            form=form,
        )
        if saved is not None:
            kept_input.forget(request, _facts_kept({"reference": reference}).key)
            messages.success(request, "Assessment saved. Now record your decision.")
            return redirect(f"{request.path}#decision")
    return _page(request, incident, facts_form=form, status=200 if form.is_valid() else 400)


@kept_input.keeps_input(_decision_kept)
@require_POST
def decide(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    incident = officer_incident(request, reference)
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        # The assessment the page was shown with; the service refuses it unless still the latest.
        assessment = incident.assessments.filter(pk=data["assessment"]).first()
        if assessment is None:
            form.add_error(None, "Assess the incident before deciding.")
        elif page_call(
            request,
            lambda: decision_record(
                incident=incident,
                assessment=assessment,
                actor=request.user,
                notify_regulator=data["notify_regulator"],
                notify_individuals=data["notify_individuals"],
                rationale=data.get("rationale", ""),
                ground=data.get("ground", ""),
            ),
            form=form,
        ):
            kept_input.forget(request, _decision_kept({"reference": reference}).key)
            messages.success(request, "Decision signed and recorded on the timeline.")
            return redirect(incident.get_absolute_url())
    return _page(request, incident, decision_form=form, status=400)


@login_required
def draft_regulator(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    return _draft(request, reference, kind="regulator")


@login_required
def draft_letter(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    return _draft(request, reference, kind="letter")


def _draft(request: AuthenticatedHttpRequest, reference: str, *, kind: str) -> HttpResponse:
    incident = officer_incident(request, reference)
    officer = request.user
    pdf = (
        regulator_draft(incident, officer)
        if kind == "regulator"
        else individual_letter(incident, officer)
    )
    record_access(
        request, action=AccessEvent.Action.DRAFT_DOWNLOAD, incident=incident, detail={"draft": kind}
    )
    name = file_name(incident, kind)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _content_kept(kwargs: dict[str, Any]) -> kept_input.KeptForm:
    url = reverse("breaches:notification-content", kwargs={"reference": kwargs["reference"]})
    return kept_input.KeptForm(
        f"notification-content:{kwargs['reference']}",
        frozenset(NotificationContentForm.base_fields), f"{url}?restore=1",
    )  # fmt: skip


@kept_input.keeps_input(_content_kept)
def notification_content(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """What the drafts need that the report does not hold, written by the incident's officers;
    beside it, what each draft of the incident's law still lacks."""
    incident = officer_incident(request, reference)
    if request.method == "POST":
        form = NotificationContentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            saved = page_call(
                request,
                lambda: notification_content_save(incident=incident, actor=request.user, **data),
                form=form,
            )
            if saved is not None:
                kept_input.forget(request, _content_kept({"reference": reference}).key)
                messages.success(request, "Saved. The drafts now use it.")
                return redirect(reverse("breaches:notification-content", args=[reference]))
        status = 400
    else:
        record_access(
            request, action=AccessEvent.Action.VIEW, incident=incident,
            detail={"page": "notification-content"},
        )  # fmt: skip
        kept = kept_input.taken_back(request, _content_kept({"reference": reference}))
        if kept is not None:
            form = NotificationContentForm(kept)
        else:
            content = NotificationContent.objects.filter(incident=incident).first()
            initial = (
                {name: getattr(content, name) for name in NotificationContentForm.base_fields}
                if content is not None
                else None
            )
            form = NotificationContentForm(initial=initial)
        status = 200
    context = {
        "incident": incident,
        "form": form,
        "restored": request.method != "POST" and form.is_bound,
        "draft_checks": draft_checks(incident),
        "on_content_page": True,
        "jurisdiction": incident.get_jurisdiction_display()
        if incident.jurisdiction
        else dict(Incident.Jurisdiction.choices).get(incident.effective_jurisdiction(), ""),
    }
    return render(request, "breaches/triage/notification_content.html", context, status=status)
