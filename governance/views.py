"""The retention, disposal and legal-hold pages (docs/governance.md).

- Retention rules: administrators propose, the chief privacy officer approves or refuses.
- Disposal runs: the chief privacy officer's alone: list, preview a run's incidents with the
  rule that makes each due, approve (password again) or cancel.
- Legal holds: the chief privacy officer and privacy officers, for the incidents they handle
  (``Incident.objects.visible_to(user).handled_by(user)``).

Anyone else is answered 404, as is a hold or run outside the person's scope. Thin views: the
services in ``governance.retention`` and ``governance.disposal`` decide; ``page_call`` puts
their errors beside the fields.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from breaches.models import Incident
from config import kept_input
from config.errors import form_error_text, page_call
from governance.disposal import (
    CANCELLABLE,
    may_run_disposal,
    run_approve,
    run_cancel,
    run_propose,
    run_resume,
)
from governance.forms import (
    DecisionForm,
    HoldForm,
    HoldReleaseForm,
    RuleProposalForm,
    RunApprovalForm,
    RunCancelForm,
    RunProposalForm,
)
from governance.models import DisposalItem, DisposalRecord, DisposalRun, LegalHold, RetentionRule
from governance.retention import (
    hold_place,
    hold_release,
    holdable_by,
    holds_visible_to,
    may_decide_rules,
    may_hold,
    may_propose_rules,
    may_see_rules,
    rule_classes,
    rule_decide,
    rule_propose,
)

ITEMS_PER_PAGE = 50

# --- retention rules --------------------------------------------------------------------------


def _proposal_kept(kwargs: dict[str, Any]) -> kept_input.KeptForm:
    return kept_input.KeptForm(
        "retention-proposal", frozenset(RuleProposalForm.base_fields),
        reverse("governance:rules") + "?restore=1",
    )  # fmt: skip


def _decision_kept(kwargs: dict[str, Any]) -> kept_input.KeptForm:
    # The password is never kept: only the decision and the note.
    return kept_input.KeptForm(
        f"retention-decision:{kwargs['pk']}", frozenset({"decision", "note"}),
        reverse("governance:rules") + f"?restore=1#rule-{kwargs['pk']}",
    )  # fmt: skip


def _rules_page(
    request: AuthenticatedHttpRequest,
    *,
    proposal_form: RuleProposalForm | None = None,
    decision_forms: dict[int, DecisionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    classes = rule_classes()
    forms_by_rule = dict(decision_forms or {})
    decisions = []
    if may_decide_rules(user):
        for rule_class in classes:
            waiting = rule_class.waiting
            if waiting is None or waiting.proposed_by_id == user.pk:
                continue
            if waiting.pk not in forms_by_rule:
                kept = kept_input.taken_back(request, _decision_kept({"pk": waiting.pk}))
                forms_by_rule[waiting.pk] = DecisionForm(
                    initial=kept_input.initial_from(DecisionForm, kept) if kept else None,
                    auto_id=f"rule{waiting.pk}_%s",
                )
            decisions.append(waiting.pk)
    if proposal_form is None and may_propose_rules(user):
        kept = kept_input.taken_back(request, _proposal_kept({}))
        proposal_form = RuleProposalForm(
            initial=kept_input.initial_from(RuleProposalForm, kept) if kept else None
        )
    versions = RetentionRule.objects.select_related("proposed_by", "decided_by")[:100]
    return render(
        request,
        "governance/rules.html",
        {
            "classes": [
                (c, forms_by_rule.get(c.waiting.pk) if c.waiting else None) for c in classes
            ],
            "proposal_form": proposal_form if may_propose_rules(user) else None,
            "versions": versions,
            "decides": may_decide_rules(user),
        },
        status=status,
    )


@login_required
def rules(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The retention rules in force, the changes waiting, and every version before."""
    if not may_see_rules(request.user):
        raise Http404
    return _rules_page(request)


@kept_input.keeps_input(_proposal_kept)
@require_POST
def rule_propose_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not may_propose_rules(request.user):
        raise Http404
    form = RuleProposalForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        rule = page_call(
            request,
            lambda: rule_propose(
                actor=request.user, kind=data["kind"], notifiable=data["notifiable"],
                years=data["years"], authority=data["authority"], reason=data["reason"],
            ),
            form=form,
        )  # fmt: skip
        if rule is not None:
            kept_input.forget(request, _proposal_kept({}).key)
            messages.success(
                request,
                f"Proposed: {rule.class_label.lower()} kept {rule.years} years after closure. "
                "It takes effect when the chief privacy officer approves it.",
            )
            return redirect("governance:rules")
    return _rules_page(request, proposal_form=form, status=400)


@kept_input.keeps_input(_decision_kept)
@require_POST
def rule_decide_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    if not may_decide_rules(request.user):
        raise Http404
    rule = get_object_or_404(RetentionRule, pk=pk)
    form = DecisionForm(request.POST, auto_id=f"rule{pk}_%s")
    if form.is_valid():
        data = form.cleaned_data
        decided = page_call(
            request,
            lambda: rule_decide(
                rule=rule, actor=request.user, approve=data["decision"] == "approve",
                password=data["password"], note=data["note"],
            ),
            form=form,
        )  # fmt: skip
        if decided is not None:
            kept_input.forget(request, _decision_kept({"pk": pk}).key)
            messages.success(
                request, f"{decided.class_label}: {decided.get_status_display().lower()}."
            )
            return redirect("governance:rules")
    rule.refresh_from_db()
    if rule.status != RetentionRule.Status.PROPOSED:
        # Decided meanwhile: its form is gone from the page, so the answer is a message.
        messages.error(request, form_error_text(form) or "This proposal has already been decided.")
        return redirect("governance:rules")
    return _rules_page(request, decision_forms={pk: form}, status=400)


# --- disposal runs ----------------------------------------------------------------------------


def _runs_page(
    request: AuthenticatedHttpRequest, *, form: RunProposalForm | None = None, status: int = 200
) -> HttpResponse:
    runs = DisposalRun.objects.select_related("proposed_by", "approved_by")[:60]
    return render(
        request,
        "governance/runs.html",
        {
            "runs": runs,
            "form": form or RunProposalForm(),
            "in_force": RetentionRule.objects.in_force(),
        },
        status=status,
    )


@login_required
def runs(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every disposal run, newest first, and the button to propose one now."""
    if not may_run_disposal(request.user):
        raise Http404
    return _runs_page(request)


@kept_input.keeps_input(
    lambda kwargs: kept_input.KeptForm("disposal-proposal", frozenset(), reverse("governance:runs"))
)
@require_POST
def run_propose_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not may_run_disposal(request.user):
        raise Http404
    form = RunProposalForm(request.POST)
    # In a tuple: a run, or None when nothing is due; page_call's None is an error.
    proposed = (
        page_call(request, lambda: (run_propose(actor=request.user),), form=form)
        if form.is_valid()
        else None
    )
    if proposed is not None:
        (run,) = proposed
        if run is None:
            messages.success(request, "Nothing is past its retention period now: no run needed.")
            return redirect("governance:runs")
        messages.success(request, f"Run {run.pk} lists what is due. Preview it, then decide.")
        return redirect(run)
    return _runs_page(request, form=form, status=400)


def _run_for(user: User, pk: int) -> DisposalRun:
    if not may_run_disposal(user):
        raise Http404
    return get_object_or_404(
        DisposalRun.objects.select_related("proposed_by", "approved_by", "cancelled_by"), pk=pk
    )


def _run_page(
    request: AuthenticatedHttpRequest,
    run: DisposalRun,
    *,
    approval_form: RunApprovalForm | None = None,
    cancel_form: RunCancelForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    listed = run.items.filter(incident__in=Incident.objects.visible_to(user)).order_by(
        "closed_at", "pk"
    )
    # The page's ids first, from the index in the run's order; then those rows with what they
    # show (a deep page of a run listing thousands does not join every row before it).
    page = Paginator(listed.values_list("pk", flat=True), ITEMS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    items = list(
        DisposalItem.objects.filter(pk__in=list(page.object_list))
        .select_related("incident", "incident__business_unit", "rule")
        .annotate(
            on_hold=Exists(LegalHold.objects.active().filter(incident_id=OuterRef("incident_id")))
        )
        .order_by("closed_at", "pk")
    )
    records = {
        r.incident_id: r
        for r in DisposalRecord.objects.filter(
            run=run, incident_id__in=[i.incident_id for i in items]
        )
    }
    rows = [(item, records.get(item.incident_id)) for item in items]
    return render(
        request,
        "governance/run_detail.html",
        {
            "run": run,
            "rows": rows,
            "page_obj": page,
            "paginator": page.paginator,
            "is_paginated": page.has_other_pages(),
            # A form whose answer was refused stays on the page with its errors, even when the
            # run has moved on meanwhile (it then says so).
            "approval_form": approval_form
            if approval_form is not None
            else (RunApprovalForm() if run.is_waiting else None),
            "cancel_form": cancel_form
            if cancel_form is not None
            else (RunCancelForm() if run.status in CANCELLABLE else None),
            "resumable": run.status in (DisposalRun.Status.APPROVED, DisposalRun.Status.FAILED),
            "statuses": DisposalItem.Status,
        },
        status=status,
    )


@login_required
def run_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A run's incidents with the rule that makes each due: the preview before approval, and
    what became of each after."""
    return _run_page(request, _run_for(request.user, pk))


def _approval_kept(kwargs: dict[str, Any]) -> kept_input.KeptForm:
    return kept_input.KeptForm(
        f"disposal-approval:{kwargs['pk']}", frozenset(),
        reverse("governance:run-detail", kwargs={"pk": kwargs["pk"]}),
    )  # fmt: skip


def _cancel_kept(kwargs: dict[str, Any]) -> kept_input.KeptForm:
    return kept_input.KeptForm(
        f"disposal-cancel:{kwargs['pk']}", frozenset(RunCancelForm.base_fields),
        reverse("governance:run-detail", kwargs={"pk": kwargs["pk"]}) + "?restore=1",
    )  # fmt: skip


@kept_input.keeps_input(_approval_kept)
@require_POST
def run_approve_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = _run_for(request.user, pk)
    form = RunApprovalForm(request.POST)
    if form.is_valid():
        approved = page_call(
            request,
            lambda: run_approve(
                run=run, actor=request.user, password=form.cleaned_data["password"]
            ),
            form=form,
        )
        if approved is not None:
            messages.success(
                request, f"Run {run.pk} approved: the listed incidents are being disposed of."
            )
            return redirect(approved)
    run.refresh_from_db()
    return _run_page(request, run, approval_form=form, status=400)


@kept_input.keeps_input(_cancel_kept)
@require_POST
def run_cancel_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = _run_for(request.user, pk)
    form = RunCancelForm(request.POST)
    if form.is_valid():
        cancelled = page_call(
            request,
            lambda: run_cancel(run=run, actor=request.user, reason=form.cleaned_data["reason"]),
            form=form,
        )
        if cancelled is not None:
            kept_input.forget(request, _cancel_kept({"pk": pk}).key)
            messages.success(request, f"Run {run.pk} cancelled: nothing in it was disposed of.")
            return redirect(cancelled)
    run.refresh_from_db()
    return _run_page(request, run, cancel_form=form, status=400)


@kept_input.keeps_input(_approval_kept)
@require_POST
def run_resume_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = _run_for(request.user, pk)
    if page_call(request, lambda: run_resume(run=run, actor=request.user)):
        messages.success(request, f"Run {run.pk} sent to the worker again.")
    return redirect(run)


# --- legal holds ------------------------------------------------------------------------------


def _hold_kept(kwargs: dict[str, Any]) -> kept_input.KeptForm:
    return kept_input.KeptForm(
        "legal-hold", frozenset(HoldForm.base_fields), reverse("governance:holds") + "?restore=1"
    )


def _release_kept(kwargs: dict[str, Any]) -> kept_input.KeptForm:
    return kept_input.KeptForm(
        f"legal-hold-release:{kwargs['pk']}", frozenset(HoldReleaseForm.base_fields),
        reverse("governance:holds") + f"?restore=1#hold-{kwargs['pk']}",
    )  # fmt: skip


def _holds_page(
    request: AuthenticatedHttpRequest,
    *,
    hold_form: HoldForm | None = None,
    release_forms: dict[int, HoldReleaseForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    holds = list(
        holds_visible_to(request.user)
        .select_related("incident", "placed_by", "released_by")
        .order_by("released_at", "-placed_at", "-id")[:200]
    )
    forms_by_hold = dict(release_forms or {})
    for hold in holds:
        if hold.is_active and hold.pk not in forms_by_hold:
            kept = kept_input.taken_back(request, _release_kept({"pk": hold.pk}))
            forms_by_hold[hold.pk] = HoldReleaseForm(
                initial=kept_input.initial_from(HoldReleaseForm, kept) if kept else None,
                auto_id=f"hold{hold.pk}_%s",
            )
    if hold_form is None:
        kept = kept_input.taken_back(request, _hold_kept({}))
        hold_form = HoldForm(initial=kept_input.initial_from(HoldForm, kept) if kept else None)
    return render(
        request,
        "governance/holds.html",
        {
            "hold_form": hold_form,
            "rows": [(h, forms_by_hold.get(h.pk) if h.is_active else None) for h in holds],
        },
        status=status,
    )


@login_required
def holds(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The holds on incidents the person handles, and the form to place one."""
    if not may_hold(request.user):
        raise Http404
    return _holds_page(request)


@kept_input.keeps_input(_hold_kept)
@require_POST
def hold_place_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not may_hold(user):
        raise Http404
    form = HoldForm(request.POST)
    if form.is_valid():
        reference = form.cleaned_data["reference"]
        # An incident the person does not handle is answered as one that does not exist.
        incident = holdable_by(user).filter(reference=reference).first()
        if incident is None:
            form.add_error("reference", f"No incident {reference} among the incidents you handle.")
        else:
            hold = page_call(
                request,
                lambda: hold_place(
                    incident=incident, actor=user, reason=form.cleaned_data["reason"]
                ),
                form=form,
            )
            if hold is not None:
                kept_input.forget(request, _hold_kept({}).key)
                messages.success(
                    request, f"{incident.reference} is on hold: it will not be disposed of."
                )
                return redirect("governance:holds")
    return _holds_page(request, hold_form=form, status=400)


@kept_input.keeps_input(_release_kept)
@require_POST
def hold_release_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    if not may_hold(user):
        raise Http404
    hold = get_object_or_404(holds_visible_to(user).select_related("incident"), pk=pk)
    form = HoldReleaseForm(request.POST, auto_id=f"hold{pk}_%s")
    if form.is_valid():
        released = page_call(
            request,
            lambda: hold_release(hold=hold, actor=user, reason=form.cleaned_data["release_reason"]),
            form=form,
        )
        if released is not None:
            kept_input.forget(request, _release_kept({"pk": pk}).key)
            messages.success(request, f"The hold on {hold.incident.reference} is released.")
            return redirect("governance:holds")
    hold.refresh_from_db()
    if not hold.is_active:
        # Released meanwhile: its form is gone from the page, so the answer is a message.
        messages.error(request, form_error_text(form) or "This hold has already been released.")
        return redirect("governance:holds")
    return _holds_page(request, release_forms={pk: form}, status=400)
