"""Moving an incident along its workflow from its page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from breaches.selectors import incident_in_scope
from breaches.workflow.services import incident_transition
from config.errors import page_call


@login_required
@require_POST
def transition(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    incident = incident_in_scope(request.user, reference)
    to = request.POST.get("to", "")
    reason = request.POST.get("reason", "")[:1000]
    moved = page_call(
        request,
        lambda: incident_transition(incident=incident, to=to, actor=request.user, reason=reason),
    )
    if moved is not None:
        messages.success(request, f"{moved.reference} is now {moved.get_status_display().lower()}.")
    return redirect(incident)
