"""An incident's access log in the API (its officers only)."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import serializers

from accounts.models import AccessEvent
from breaches.api.base import IncidentSubresourceView
from breaches.models import Incident


class AccessEventSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = AccessEvent
        fields = ["at", "user", "action", "detail", "request_id"]
        read_only_fields = fields


class AccessLogList(IncidentSubresourceView):
    """Who opened, downloaded or exported this incident (officers of the incident)."""

    serializer_class = AccessEventSerializer
    handlers_only = True
    hidden_from_others = True
    ordering_fields = ["at"]
    ordering = ["-at", "-id"]

    def rows(self, incident: Incident) -> QuerySet[AccessEvent]:
        return AccessEvent.objects.filter(incident=incident).select_related("user")
