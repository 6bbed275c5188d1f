"""Incident pages: the register, "my reports" and the detail page.

Every queryset here starts from ``Incident.objects.visible_to(request.user)``; an incident
outside it answers 404.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.views.generic import DetailView, ListView

from accounts.models import AccessEvent
from breaches.access import record_access
from breaches.models import Incident
from breaches.permissions import can_use_register
from breaches.timeline import incident_timeline


class RegisterView(LoginRequiredMixin, ListView):
    """Every incident the officer may see, newest first."""

    template_name = "breaches/register.html"
    context_object_name = "incidents"

    def get_paginate_by(self, queryset: QuerySet[Incident]) -> int:
        return settings.REGISTER_PAGE_SIZE

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not can_use_register(request.user):  # type: ignore[arg-type]
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Incident]:
        return Incident.objects.visible_to(self.request.user).with_list_columns()


class MyReportsView(LoginRequiredMixin, ListView):
    """The incidents the signed-in person reported (and may still see)."""

    template_name = "breaches/my_reports.html"
    context_object_name = "incidents"

    def get_paginate_by(self, queryset: QuerySet[Incident]) -> int:
        return settings.REGISTER_PAGE_SIZE

    def get_queryset(self) -> QuerySet[Incident]:
        return (
            Incident.objects.visible_to(self.request.user)
            .filter(reporter_id=self.request.user.pk)
            .with_list_columns()
        )


class IncidentDetailView(LoginRequiredMixin, DetailView):
    """One incident, its details and its timeline; opening it writes an access event."""

    template_name = "breaches/incident_detail.html"
    context_object_name = "incident"
    slug_field = "reference"
    slug_url_kwarg = "reference"

    def get_queryset(self) -> QuerySet[Incident]:
        return (
            Incident.objects.visible_to(self.request.user)
            .select_related("business_unit", "reporter")
            .prefetch_related(
                "affected",
                "breach_types",
                "information_categories",
                Prefetch("restricted_to"),
            )
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        record_access(self.request, action=AccessEvent.Action.VIEW, incident=self.object)
        context["timeline"] = incident_timeline(self.object)
        return context
