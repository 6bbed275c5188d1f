"""The live dashboard: the quarterly report's figures for the current quarter (SPEC §6).

Aggregates only, no incident content. Executives and the CPO see the whole agency; privacy
officers their own units (``Incident.objects.countable_by``).
"""

from __future__ import annotations

import contextlib

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import User
from breaches.models import Incident
from reporting.figures import Quarter, quarter_figures


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not (user.is_executive or user.is_officer):
        raise Http404
    quarter = Quarter.containing(timezone.localdate())
    # An unreadable ?quarter= shows the current quarter.
    with contextlib.suppress(ValueError):
        quarter = Quarter.parse(request.GET.get("quarter") or quarter.code)
    scope = "your units" if user.is_privacy_officer else "the whole agency"
    figures = quarter_figures(Incident.objects.countable_by(user), quarter, scope=scope)
    return render(
        request,
        "reporting/dashboard.html",
        {
            "figures": figures,
            "quarter": quarter,
            "previous_quarter": quarter.previous(),
            "scope": scope,
            "trend_max": max((t["breaches"] + t["near_misses"] for t in figures.trend), default=0),
        },
    )
