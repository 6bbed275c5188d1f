"""The response's page actions: set an action's status, restrict; and the person's own actions.

(Recording a notification and adding an action are forms of the incident page, which comes back
with the error beside its field: ``breaches.register.incident``.)

Each form posts here, the service does the work, and ``config.errors.page_call`` turns a domain
error into a message; the person goes back to the incident's section they were working in.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from breaches.models import Action, Incident
from breaches.response.actions import action_set_status
from breaches.response.forms import RestrictForm
from breaches.response.restriction import incident_restrict, incident_unrestrict
from breaches.selectors import (
    actions_acted_on_by,
    actions_owned_by,
    incident_in_scope,
    owners_losing_sight,
)
from config.errors import form_error_text, page_call


@login_required
@require_POST
def set_action_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    # Owners see their own actions; officers those of incidents they can see.
    action = get_object_or_404(actions_acted_on_by(user), pk=pk)
    status = request.POST.get("status", "")
    if status not in Action.Status.values:
        messages.error(request, "Choose open, done or cancelled.")
    elif page_call(request, lambda: action_set_status(action=action, actor=user, status=status)):
        messages.success(request, f"Action marked {Action.Status(status).label.lower()}.")
    if (
        request.POST.get("next") == "mine"
        or not Incident.objects.visible_to(user).filter(pk=action.incident_id).exists()
    ):
        return redirect("breaches:my-actions")
    return redirect(action.incident)


@login_required
@require_POST
def restrict(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    incident = incident_in_scope(request.user, reference)
    form = RestrictForm(request.POST)
    lifting = request.POST.get("lift") == "1"
    if not form.is_valid():
        messages.error(request, form_error_text(form))
        return redirect(incident)
    reason = form.cleaned_data["reason"]
    if lifting:
        done = page_call(
            request,
            lambda: incident_unrestrict(incident=incident, actor=request.user, reason=reason),
        )
    else:
        people = form.cleaned_data["people"]
        done = page_call(
            request,
            lambda: incident_restrict(
                incident=incident, actor=request.user, people=people, reason=reason
            ),
        )
    if done:
        messages.success(request, "Restriction lifted." if lifting else "Incident restricted.")
        losing = owners_losing_sight(incident)
        if losing and not lifting:
            names = ", ".join(str(o) for o in losing)
            messages.warning(
                request,
                f"These action owners can no longer see the incident, and are no longer told "
                f"about it: {names}. Name them, or give their actions to someone who can.",
            )
    return redirect(incident)


@login_required
def my_actions(request: AuthenticatedHttpRequest) -> HttpResponse:
    actions = actions_owned_by(request.user).order_by("status", "due_date", "id")
    return render(
        request,
        "breaches/response/my_actions.html",
        {"actions": actions, "today": timezone.localdate()},
    )
