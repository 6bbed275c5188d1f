"""Moving an incident along its workflow through the API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from breaches.api.base import IncidentScopedView
from breaches.api.fields import (
    RejectUnknownFieldsMixin,
    StrictChoiceField,
)
from breaches.models import Incident
from breaches.workflow.services import incident_transition


class TransitionSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    to = StrictChoiceField(choices=Incident.Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class TransitionView(IncidentScopedView):
    """Move the incident along its workflow (officers of the incident)."""

    serializer_class = TransitionSerializer

    @extend_schema(request=TransitionSerializer, responses={200: TransitionSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        moved = incident_transition(incident=self.incident(), actor=self.user(), **self.validated())
        return Response({"reference": moved.reference, "status": moved.status})
