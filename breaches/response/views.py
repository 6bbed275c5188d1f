"""The response's page actions: set an action's status; and the person's own actions.

(Recording a notification, adding an action and restricting are forms of the incident page,
which comes back with the error beside its field: ``breaches.register.incident``.)
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from breaches.models import Action, Incident
from breaches.response.actions import action_set_status
from breaches.selectors import (
    actions_acted_on_by,
    actions_owned_by,
)
from config import kept_input
from config.errors import page_call


def _status_kept(kwargs: dict[str, Any]) -> kept_input.KeptForm:
    # Nothing to keep (one button); signing in again leads back to the person's actions.
    return kept_input.KeptForm(
        f"action-status:{kwargs['pk']}", frozenset(), reverse("breaches:my-actions")
    )


@kept_input.keeps_input(_status_kept)
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
def my_actions(request: AuthenticatedHttpRequest) -> HttpResponse:
    actions = actions_owned_by(request.user).order_by("status", "due_date", "id")
    return render(
        request,
        "breaches/response/my_actions.html",
        {"actions": actions, "today": timezone.localdate()},
    )
