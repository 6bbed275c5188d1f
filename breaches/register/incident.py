"""The incident page: details, evidence, timeline and the forms that act on it.

Opening it writes an access event; an incident outside ``visible_to`` answers 404.

Every form of the page keeps what was typed (``config.kept_input``): after an expired session or
a refused CSRF check, signing in leads back here with ``?restore=1`` and the form filled in, its
section open. A refused form comes back with the page, the error beside its field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import AccessEvent
from breaches.access import record_access
from breaches.intake.forms import AttachmentForm, CommentForm
from breaches.intake.services import attachment_add, comment_add
from breaches.models import Action, Comment, Decision, Incident
from breaches.permissions import can_contribute, can_write_internal, handles
from breaches.response.actions import ClosingOutcome, action_create
from breaches.response.forms import ActionForm, NotificationForm, RestrictForm
from breaches.response.notices import notice_summary
from breaches.response.notifications import notification_record
from breaches.response.restriction import incident_restrict, incident_unrestrict
from breaches.selectors import incident_in_scope, owners_losing_sight
from breaches.timeline import incident_timeline
from breaches.triage.clock import clock_for
from breaches.triage.completeness import draft_checks
from breaches.workflow.forms import TransitionForm
from breaches.workflow.services import available_transitions, incident_transition
from config import kept_input
from config.errors import form_error_text, page_call


def _kept(
    name: str, form_class: type[forms.Form], section: str
) -> Callable[[dict[str, Any]], kept_input.KeptForm]:
    """How one form of the page keeps its input: per incident, back to its section."""

    def spec(kwargs: dict[str, Any]) -> kept_input.KeptForm:
        url = reverse("breaches:incident-detail", kwargs={"reference": kwargs["reference"]})
        return kept_input.KeptForm(
            f"{name}:{kwargs['reference']}", frozenset(form_class.base_fields),
            f"{url}?restore=1#{section}",
        )  # fmt: skip

    return spec


_COMMENT = _kept("comment", CommentForm, "timeline-heading")
_NOTIFICATION = _kept("notification", NotificationForm, "notifications-heading")
_ACTION = _kept("action", ActionForm, "actions-heading")
_RESTRICTION = _kept("restriction", RestrictForm, "restriction-heading")
_TRANSITION = _kept("transition", TransitionForm, "workflow")
# A file cannot be kept: signing in again leads back to the evidence, to choose it again.
_ATTACHMENT = _kept("attachment", AttachmentForm, "evidence-heading")

# The page's own forms get distinct ids (several have a "reason").
NOTIFY_IDS, ACTION_IDS, RESTRICT_IDS, MOVE_IDS = "notify_%s", "action_%s", "restrict_%s", "move_%s"


def current_decision(incident: Incident) -> Decision | None:
    """The decision in force (the latest signed, superseded by none), with who signed it."""
    return (
        incident.decisions.current()
        .select_related("decided_by")
        .order_by("-decided_at", "-id")
        .first()
    )


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
    kept = kept_input.taken_back(request, _COMMENT({"reference": incident.reference}))
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


class _PageForms:
    """The page's officer forms: as posted (refused), as kept (restored), or fresh."""

    def __init__(self, request: AuthenticatedHttpRequest, incident: Incident) -> None:
        self.request, self.incident = request, incident
        self.open: set[str] = set()

    def get(
        self,
        name: str,
        given: forms.Form | None,
        spec: Callable[[dict[str, Any]], kept_input.KeptForm],
        form_class: type[forms.Form],
        auto_id: str,
        **extra: Any,
    ) -> forms.Form:
        """``extra``: what the form needs to know of the incident (its owners, its actions)."""
        if given is not None:
            if given.errors:
                self.open.add(name)
            return given
        kept = kept_input.taken_back(self.request, spec({"reference": self.incident.reference}))
        if kept is None:
            return form_class(auto_id=auto_id, **extra)
        self.open.add(name)
        initial = kept_input.initial_from(form_class, kept)
        return form_class(initial=initial, auto_id=auto_id, **extra)


def render_incident(
    request: AuthenticatedHttpRequest,
    incident: Incident,
    *,
    comment_form: CommentForm | None = None,
    attachment_form: AttachmentForm | None = None,
    notification_form: forms.Form | None = None,
    action_form: forms.Form | None = None,
    restrict_form: forms.Form | None = None,
    transition_form: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the detail page (also after a refused form, keeping what was typed)."""
    user = request.user
    record_access(request, action=AccessEvent.Action.VIEW, incident=incident)
    internal = can_write_internal(user, incident)
    page = _PageForms(request, incident)
    # The actions are the handlers' (the reporter's page has no such section).
    actions = list(incident.actions.select_related("owner")) if internal else []
    context: dict[str, Any] = {
        "incident": incident,
        "timeline": incident_timeline(incident, include_internal=internal, viewer=user),
        "attachments": incident.attachments.select_related("uploaded_by"),
        "can_contribute": can_contribute(user, incident),
        "can_write_internal": internal,
        "comment_form": comment_form or _comment_form(request, incident, internal),
        "attachment_form": attachment_form or AttachmentForm(),
        "clock": clock_for(incident) if internal else None,
        "actions": actions,
        "notifications": incident.notifications.select_related("recorded_by") if internal else [],
        "transitions": [],
    }
    if internal:
        context["notification_form"] = page.get(
            "notification", notification_form, _NOTIFICATION, NotificationForm, NOTIFY_IDS
        )
        context["action_form"] = page.get(
            "action", action_form, _ACTION, ActionForm, ACTION_IDS, incident=incident
        )
        open_actions = [a for a in actions if a.status == Action.Status.OPEN]
        moving = page.get(
            "transition", transition_form, _TRANSITION, TransitionForm, MOVE_IDS,
            open_actions=open_actions,
        )  # fmt: skip
        # The rows of the closing question are the incident's open actions as they are now.
        cast(TransitionForm, moving).open_actions = open_actions
        rows = []
        for t, blocked in available_transitions(incident, user):
            form = moving if moving["to"].value() == t.target else None
            closing = None
            if t.target == Incident.Status.CLOSED and open_actions and not blocked:
                asking = form or TransitionForm(auto_id=MOVE_IDS, open_actions=open_actions)
                closing = cast(TransitionForm, asking).closing_rows()
            rows.append((t, blocked, form, closing))
        if moving.errors and not any(form for _, _, form, _ in rows):
            # A step with no button on the page (a stale tab): said at the top instead.
            messages.error(request, form_error_text(moving))
        context["transitions"] = rows
        context["decision"] = current_decision(incident)
        context["outcome_choices"] = ClosingOutcome.choices
        context["draft_checks"] = draft_checks(incident)
        context["notice_summary"] = notice_summary(incident)
    if user.is_chief_privacy_officer:
        context["restrict_form"] = page.get(
            "restriction", restrict_form, _RESTRICTION, RestrictForm, RESTRICT_IDS
        )
    context["open_sections"] = page.open
    return render(request, "breaches/register/incident_detail.html", context, status=status)


@kept_input.keeps_input(_COMMENT)
@require_POST
def add_comment(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
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
            kept_input.forget(request, _COMMENT({"reference": reference}).key)
            messages.success(request, "Comment added.")
            return redirect(incident.get_absolute_url() + "#timeline-heading")
    return render_incident(request, incident, comment_form=form, status=400)


@kept_input.keeps_input(_ATTACHMENT)
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


def _done(
    request: AuthenticatedHttpRequest,
    spec: Callable[[dict[str, Any]], kept_input.KeptForm],
    incident: Incident,
    message: str,
    section: str,
) -> HttpResponse:
    """A form of the page was accepted: its kept copy goes, and the person back to its section."""
    kept_input.forget(request, spec({"reference": incident.reference}).key)
    messages.success(request, message)
    return redirect(f"{incident.get_absolute_url()}#{section}")


@kept_input.keeps_input(_NOTIFICATION)
@require_POST
def record_notification(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """Record a notification; on an error the page comes back with the section open, every
    value kept and each error beside its field (the summary at the form takes focus)."""
    incident = incident_in_scope(request.user, reference)
    if not handles(request.user, incident):
        # Someone who follows the incident without handling it: said, and back to the page.
        return _refused(request, incident)
    form = NotificationForm(request.POST, auto_id=NOTIFY_IDS)
    if form.is_valid():
        data = form.cleaned_data
        done = page_call(
            request,
            lambda: notification_record(incident=incident, actor=request.user, **data),
            form=form,
        )
        if done is not None:
            return _done(
                request, _NOTIFICATION, incident, "Notification recorded.", "notifications-heading"
            )
    return render_incident(request, incident, notification_form=form, status=400)


@kept_input.keeps_input(_ACTION)
@require_POST
def add_action(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """Add an action; on an error, as for a notification."""
    incident = incident_in_scope(request.user, reference)
    if not handles(request.user, incident):
        return _refused(request, incident)
    form = ActionForm(request.POST, auto_id=ACTION_IDS, incident=incident)
    if form.is_valid():
        data = form.cleaned_data
        done = page_call(
            request, lambda: action_create(incident=incident, actor=request.user, **data), form=form
        )
        if done is not None:
            return _done(request, _ACTION, incident, "Action added.", "actions-heading")
    return render_incident(request, incident, action_form=form, status=400)


@kept_input.keeps_input(_TRANSITION)
@require_POST
def transition(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """Move the incident on; a refusal (a blocked step, a missing reason) sits at its button."""
    incident = incident_in_scope(request.user, reference)
    # Closing asks about each open action; the service asks again on the locked incident.
    open_actions = list(incident.actions.open().select_related("owner"))
    form = TransitionForm(request.POST, auto_id=MOVE_IDS, open_actions=open_actions)
    if form.is_valid():
        data = form.cleaned_data
        moved = page_call(
            request,
            lambda: incident_transition(
                incident=incident, to=data["to"], actor=request.user, reason=data["reason"],
                actions=form.answers(),
            ),
            form=form,
        )  # fmt: skip
        if moved is not None:
            state = moved.get_status_display().lower()
            return _done(
                request, _TRANSITION, moved, f"{moved.reference} is now {state}.", "workflow"
            )
    if not can_write_internal(request.user, incident):
        # Someone who follows the incident without handling it has no buttons to show it at.
        messages.error(request, form_error_text(form))
        return redirect(incident)
    return render_incident(request, incident, transition_form=form, status=400)


@kept_input.keeps_input(_RESTRICTION)
@require_POST
def restrict(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """Restrict the incident to named people, or lift it (the CPO only: the service says so)."""
    incident = incident_in_scope(request.user, reference)
    form = RestrictForm(request.POST, auto_id=RESTRICT_IDS)
    lifting = request.POST.get("lift") == "1"
    if form.is_valid():
        reason, people = form.cleaned_data["reason"], form.cleaned_data["people"]
        done = page_call(
            request,
            (
                (lambda: incident_unrestrict(incident=incident, actor=request.user, reason=reason))
                if lifting
                else lambda: incident_restrict(
                    incident=incident, actor=request.user, people=people, reason=reason
                )
            ),
            form=form,
        )
        if done:
            losing = owners_losing_sight(incident)
            if losing and not lifting:
                names = ", ".join(str(o) for o in losing)
                messages.warning(
                    request,
                    f"These action owners can no longer see the incident, and are no longer "
                    f"told about it: {names}. Name them, or give their actions to someone who "
                    "can.",
                )
            message = "Restriction lifted." if lifting else "Incident restricted."
            return _done(request, _RESTRICTION, incident, message, "restriction-heading")
    if not request.user.is_chief_privacy_officer:
        messages.error(request, form_error_text(form))
        return redirect(incident)
    return render_incident(request, incident, restrict_form=form, status=400)
