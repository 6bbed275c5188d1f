"""The live dashboard: aggregates only, no incident content (SPEC §3, §6)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import User
from breaches.models import Incident
from reporting.figures import Quarter, kind_counts


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not (user.is_executive or user.is_officer):
        raise Http404
    current = Quarter.containing(timezone.localdate())
    quarters = [current]
    for _ in range(7):
        quarters.insert(0, quarters[0].previous())
    counts = kind_counts(Incident.objects.countable_by(user), quarters)
    return render(
        request,
        "reporting/dashboard.html",
        {"counts": counts, "current": counts[-1], "previous": counts[-2]},
    )
