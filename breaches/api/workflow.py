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
from breaches.response.actions import (
    CARRY_OVER_REASON_LENGTH,
    ClosingAnswer,
    ClosingOutcome,
)
from breaches.workflow.services import incident_transition


class ClosingAnswerSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """What happens to one open action when the incident is closed."""

    id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    outcome = StrictChoiceField(choices=ClosingOutcome.choices)
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=CARRY_OVER_REASON_LENGTH,
        help_text="Why it is carried over (required when it is).",
    )  # fmt: skip


class TransitionSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    to = StrictChoiceField(choices=Incident.Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    actions = serializers.ListField(
        child=ClosingAnswerSerializer(), required=False, max_length=1000,
        help_text="Closing an incident with open actions: for each of them, done or carried "
        "over (with a reason). Refused (400) unless every open action is answered.",
    )  # fmt: skip


class TransitionView(IncidentScopedView):
    """Move the incident along its workflow (officers of the incident)."""

    serializer_class = TransitionSerializer

    @extend_schema(request=TransitionSerializer, responses={200: TransitionSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated()
        answers = [
            ClosingAnswer(a["id"], a["outcome"], a.get("reason", ""))
            for a in data.get("actions", [])
        ]
        moved = incident_transition(
            incident=self.incident(),
            actor=self.user(),
            to=data["to"],
            reason=data.get("reason", ""),
            actions=answers,
        )
        return Response({"reference": moved.reference, "status": moved.status})
