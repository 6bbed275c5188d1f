"""The notices page: each person affected, their notice and its state, told safely (SPEC §4.4).

``/incidents/<reference>/notices/`` is the incident's handlers' (404 for everyone else, its
reporter included). Opening it writes an access event. Each row has its forms (safety check,
mark sent, outcome); a refused one comes back with the page, the error beside its field, and
every form keeps what was typed through an expired session (``config.kept_input``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import AccessEvent
from breaches.access import record_access
from breaches.intake.forms import local_datetime_field
from breaches.models import AffectedIndividual, Incident, IndividualNotice
from breaches.response.forms import MAX_PK
from breaches.response.notices import (
    TEXT_LIMIT,
    is_late,
    notice_mark_sent,
    notice_public_create,
    notice_record_outcome,
    notice_record_safety_check,
    notice_summary,
    notices_plan,
)
from breaches.selectors import incident_handled
from config import kept_input
from config.errors import page_call

Outcome = IndividualNotice.Outcome


# --- forms ------------------------------------------------------------------------------------


class PlanForm(forms.Form):
    """Plan notices: for everyone still without one, or (``affected``) for one person."""

    affected = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_PK, widget=forms.HiddenInput
    )


class PublicNoticeForm(forms.Form):
    public_reason = forms.CharField(
        label="Why a public notice",
        help_text="For example: the people affected cannot be identified or reached.",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=TEXT_LIMIT,
    )


class SafetyCheckForm(forms.Form):
    safety_check = forms.CharField(
        label="What was checked",
        help_text="For example: who else lives at the address, who reads their mail or e-mail.",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=TEXT_LIMIT,
    )
    safe_channel = forms.CharField(
        label="The safe channel",
        help_text="How to reach them without the person who may pose a risk seeing it.",
        max_length=TEXT_LIMIT,
    )


class SentForm(forms.Form):
    channel = forms.ChoiceField(
        label="How it was sent", choices=[("", "Choose…"), *IndividualNotice.Channel.choices]
    )
    sent_at = local_datetime_field(label="When it was sent")


OUTCOMES = [
    (Outcome.DELIVERED, "Delivered"),
    (Outcome.RETURNED, "Returned (not delivered)"),
    (Outcome.WITHHELD, "Withheld (give the ground)"),
]


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label="What became of it", choices=[("", "Choose…"), *OUTCOMES])
    outcome_at = local_datetime_field(
        label="When", required=False, help_text="For a withheld notice, leave it for now."
    )
    withheld_ground = forms.CharField(
        label="Ground for withholding it",
        help_text="Only if withheld: the lawful ground (for example NZ s116, safety).",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=TEXT_LIMIT,
        required=False,
    )


ROW_FORMS: dict[str, type[forms.Form]] = {
    "safety": SafetyCheckForm,
    "sent": SentForm,
    "outcome": OutcomeForm,
}


# --- where each form keeps its input ----------------------------------------------------------


def _page_url(reference: str) -> str:
    return reverse("breaches:notices", kwargs={"reference": reference})


def _row_kept(name: str) -> Callable[[dict[str, Any]], kept_input.KeptForm]:
    """How one form of one notice row keeps its input: back to its row."""
    form_class = ROW_FORMS[name]

    def spec(kwargs: dict[str, Any]) -> kept_input.KeptForm:
        return kept_input.KeptForm(
            f"notice-{name}:{kwargs['reference']}:{kwargs['pk']}",
            frozenset(form_class.base_fields),
            f"{_page_url(kwargs['reference'])}?restore=1#notice-{kwargs['pk']}",
        )

    return spec


def _public_kept(kwargs: dict[str, Any]) -> kept_input.KeptForm:
    return kept_input.KeptForm(
        f"notice-public:{kwargs['reference']}", frozenset(PublicNoticeForm.base_fields),
        f"{_page_url(kwargs['reference'])}?restore=1#public-heading",
    )  # fmt: skip


def _plan_kept(kwargs: dict[str, Any]) -> kept_input.KeptForm:
    # Nothing typed to keep (a button): signing in again leads back to the page.
    return kept_input.KeptForm(
        f"notice-plan:{kwargs['reference']}", frozenset(), _page_url(kwargs["reference"])
    )


_SAFETY, _SENT, _OUTCOME = _row_kept("safety"), _row_kept("sent"), _row_kept("outcome")
_ROW_SPECS = {"safety": _SAFETY, "sent": _SENT, "outcome": _OUTCOME}


# --- the page ---------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the page: a person (or a public notice) and their notice, with its forms."""

    person: AffectedIndividual | None
    notice: IndividualNotice | None
    forms: dict[str, forms.Form] = field(default_factory=dict)
    open: set[str] = field(default_factory=set)

    @property
    def late(self) -> bool:
        return self.notice is not None and is_late(self.notice)

    @property
    def still_to_tell(self) -> bool:
        return self.notice is None or self.notice.outcome in {Outcome.PLANNED, Outcome.RETURNED}

    @property
    def awaiting_check(self) -> bool:
        n = self.notice
        return bool(
            n and self.still_to_tell and n.safety_check_required and n.safety_checked_at is None
        )


def _row_forms(
    request: AuthenticatedHttpRequest, incident: Incident, row: Row, given: tuple[str, int, Any]
) -> None:
    """The row's forms: as posted and refused, as kept through an expired session, or fresh."""
    notice = row.notice
    if notice is None:
        return
    given_name, given_pk, given_form = given
    for name, form_class in ROW_FORMS.items():
        auto_id = f"n{notice.pk}_{name}_%s"
        if given_name == name and given_pk == notice.pk:
            row.forms[name] = given_form
            row.open.add(name)
            continue
        spec = _ROW_SPECS[name]({"reference": incident.reference, "pk": notice.pk})
        kept = kept_input.taken_back(request, spec)
        initial: dict[str, Any] = {}
        if name == "sent":
            initial["sent_at"] = timezone.localtime().replace(second=0, microsecond=0)
            if notice.is_public:
                initial["channel"] = IndividualNotice.Channel.PUBLIC_NOTICE
        if kept is not None:
            initial.update(kept_input.initial_from(form_class, kept))
            row.open.add(name)
        row.forms[name] = form_class(initial=initial, auto_id=auto_id)


def render_notices(
    request: AuthenticatedHttpRequest,
    incident: Incident,
    *,
    given: tuple[str, int, Any] = ("", 0, None),
    public_form: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page (also after a refused form, keeping what was typed): an access event each time."""
    record_access(
        request, action=AccessEvent.Action.VIEW, incident=incident, detail={"page": "notices"}
    )
    notices = list(
        IndividualNotice.objects.filter(incident=incident)
        .select_related("safety_checked_by")
        .order_by("id")
    )
    by_person = {n.affected_id: n for n in notices if n.affected_id is not None}
    rows = [Row(person, by_person.get(person.pk)) for person in incident.affected.order_by("id")]
    public_rows = [Row(None, n) for n in notices if n.is_public]
    for row in [*rows, *public_rows]:
        _row_forms(request, incident, row, given)
    public_open = public_form is not None
    if public_form is None:
        kept = kept_input.taken_back(request, _public_kept({"reference": incident.reference}))
        initial = kept_input.initial_from(PublicNoticeForm, kept) if kept is not None else {}
        public_open = kept is not None
        public_form = PublicNoticeForm(initial=initial, auto_id="public_%s")
    context = {
        "incident": incident,
        "rows": rows,
        "public_rows": public_rows,
        "summary": notice_summary(incident),
        "without_notice": sum(1 for row in rows if row.notice is None),
        "public_form": public_form,
        "public_open": public_open,
    }
    return render(request, "breaches/response/notices.html", context, status=status)


@login_required
def notices(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """Each person affected and their notice (the incident's handlers only)."""
    return render_notices(request, incident_handled(request.user, reference))


def _done(
    request: AuthenticatedHttpRequest, key: str, reference: str, message: str, at: str
) -> HttpResponse:
    """A form was accepted: its kept copy goes, and the person back to the row it was about."""
    kept_input.forget(request, key)
    messages.success(request, message)
    return redirect(f"{_page_url(reference)}#{at}")


@kept_input.keeps_input(_plan_kept)
@require_POST
def plan(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """Plan a notice for each person still without one, or for the one person posted."""
    incident = incident_handled(request.user, reference)
    form = PlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That person is not affected by this incident.")
        return redirect(_page_url(reference))
    person = None
    if form.cleaned_data["affected"]:
        person = incident.affected.filter(pk=form.cleaned_data["affected"]).first()
        if person is None:
            messages.error(request, "That person is not affected by this incident.")
            return redirect(_page_url(reference))
    planned = page_call(
        request, lambda: notices_plan(incident=incident, actor=request.user, affected=person)
    )
    if planned is None:
        return redirect(_page_url(reference))
    count = len(planned)
    message = "1 notice planned." if count == 1 else f"{count} notices planned."
    at = f"notice-{planned[0].pk}" if count == 1 else "people-heading"
    return _done(request, _plan_kept({"reference": reference}).key, reference, message, at)


@kept_input.keeps_input(_public_kept)
@require_POST
def add_public(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """Plan a public notice, with its reason."""
    incident = incident_handled(request.user, reference)
    form = PublicNoticeForm(request.POST, auto_id="public_%s")
    if form.is_valid():
        reason = form.cleaned_data["public_reason"]
        done = page_call(
            request,
            lambda: notice_public_create(
                incident=incident, actor=request.user, public_reason=reason
            ),
            form=form,
        )
        if done is not None:
            key = _public_kept({"reference": reference}).key
            return _done(request, key, reference, "Public notice planned.", f"notice-{done.pk}")
    return render_notices(request, incident, public_form=form, status=400)


def _row_action(
    name: str,
    service: Callable[..., IndividualNotice],
    message: str,
) -> Callable[..., HttpResponse]:
    """The view of one row form: the notice of the handled incident, its form, the service."""
    spec = _ROW_SPECS[name]
    form_class = ROW_FORMS[name]

    @kept_input.keeps_input(spec)
    @require_POST
    def view(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
        incident = incident_handled(request.user, reference)
        notice = get_object_or_404(
            IndividualNotice.objects.select_related("incident"), pk=pk, incident=incident
        )
        form = form_class(request.POST, auto_id=f"n{notice.pk}_{name}_%s")
        if form.is_valid():
            data = form.cleaned_data
            done = page_call(
                request,
                lambda: service(notice=notice, actor=request.user, **data),
                form=form,
            )
            if done is not None:
                key = spec({"reference": reference, "pk": pk}).key
                return _done(request, key, reference, message, f"notice-{pk}")
        return render_notices(request, incident, given=(name, notice.pk, form), status=400)

    view.__name__ = view.__qualname__ = f"notice_{name}"
    return view


record_safety_check = _row_action("safety", notice_record_safety_check, "Safety check recorded.")
mark_sent = _row_action("sent", notice_mark_sent, "Notice marked sent.")
record_outcome = _row_action("outcome", notice_record_outcome, "Outcome recorded.")
