"""Notices to people in the API (SPEC §4.4): a read-only list of an incident's notices, for its
handlers only (404 for everyone else, as on the page). Writes are the notices page's."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import serializers

from breaches.api.base import IncidentSubresourceView
from breaches.models import Incident, IndividualNotice
from breaches.response.notices import is_late


class IndividualNoticeSerializer(serializers.ModelSerializer[IndividualNotice]):
    """One notice: the person by reference and role (never more), its state and safety check."""

    affected_reference = serializers.CharField(
        source="affected.reference", read_only=True, default=None
    )
    affected_role = serializers.CharField(source="affected.role", read_only=True, default=None)
    is_late = serializers.SerializerMethodField()
    safety_checked_by = serializers.CharField(
        source="safety_checked_by.username", read_only=True, default=None
    )
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = IndividualNotice
        fields = ["id", "affected_reference", "affected_role", "is_public", "public_reason",
                  "channel", "outcome", "withheld_ground", "due_at", "sent_at", "outcome_at",
                  "is_late", "safety_check_required", "safety_check", "safe_channel",
                  "safety_checked_at", "safety_checked_by", "created_by", "created_at"]  # fmt: skip
        read_only_fields = fields

    def get_is_late(self, obj: IndividualNotice) -> bool:
        return is_late(obj)


class IndividualNoticeList(IncidentSubresourceView):
    """The notices to people affected by the incident (its officers only; read-only)."""

    serializer_class = IndividualNoticeSerializer
    handlers_only = True
    hidden_from_others = True
    endpoint = "notices"
    person_fields = ("created_by", "safety_checked_by")
    ordering_fields = ["due_at", "sent_at", "created_at"]
    ordering = ["id"]

    def rows(self, incident: Incident) -> QuerySet[IndividualNotice]:
        return incident.notices.select_related("affected", "safety_checked_by", "created_by")
