"""Incident API endpoints, scoped exactly like the pages through ``visible_to``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import AccessEvent
from breaches.access import record_access
from breaches.api.serializers import IncidentDetailSerializer, IncidentListSerializer
from breaches.models import Incident


class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Incidents the caller may see. Retrieving one writes an access event."""

    lookup_field = "reference"
    ordering_fields = ["reported_at", "aware_at", "reference", "status", "kind"]
    ordering = ["-reported_at", "-id"]
    filterset_fields = ["kind", "status", "channel"]

    def get_queryset(self) -> QuerySet[Incident]:
        queryset = Incident.objects.visible_to(self.request.user).with_list_columns()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                "affected", "breach_types", "information_categories"
            )
        return queryset

    def get_serializer_class(self) -> type[IncidentListSerializer]:
        return IncidentDetailSerializer if self.action == "retrieve" else IncidentListSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incident = self.get_object()
        record_access(request, action=AccessEvent.Action.API_VIEW, incident=incident)
        return Response(self.get_serializer(incident).data)
