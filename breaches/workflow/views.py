"""Moving an incident along its workflow from its page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from breaches.models import Incident
from breaches.workflow.services import incident_transition


@login_required
@require_POST
def transition(request: HttpRequest, reference: str) -> HttpResponse:
    incident = get_object_or_404(Incident.objects.visible_to(request.user), reference=reference)
    to = request.POST.get("to", "")
    try:
        moved = incident_transition(
            incident=incident,
            to=to,
            actor=request.user,  # type: ignore[arg-type]
            reason=request.POST.get("reason", "")[:1000],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{moved.reference} is now {moved.get_status_display().lower()}.")
    return redirect(incident)
