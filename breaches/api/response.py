"""The response in the API: notifications, actions (the incident's, and the person's own), status
of an action, restriction. Each list is its own paginated, explicitly ordered view.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.filters import OrderingFilter
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.http import AuthenticatedRequest
from accounts.models import User
from breaches.api.base import IncidentScopedView, IncidentSubresourceView
from breaches.api.fields import (
    NoNulSlugRelatedField,
    RejectUnknownFieldsMixin,
    SafeDateTimeField,
    StrictChoiceField,
)
from breaches.models import Action, Incident, Notification
from breaches.response.actions import action_create, action_set_status, due_date_problem
from breaches.response.notifications import notification_record
from breaches.response.restriction import incident_restrict, incident_unrestrict
from breaches.selectors import actions_acted_on_by, actions_owned_by


class NotificationSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    recipient = StrictChoiceField(choices=Notification.Recipient.choices)
    method = StrictChoiceField(choices=Notification.Method.choices)
    # Required for a notification made to the regulator (initial, update, final): omitted, it
    # is "" and the service refuses it beside the field, with every other field's error.
    stage = StrictChoiceField(
        choices=Notification.Stage.choices, required=False, allow_blank=True, default=""
    )
    notified_at = SafeDateTimeField(required=False, allow_null=True)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "recipient", "stage", "method", "notified_at", "reference_number",
                  "reason", "on_time", "recorded_by", "recorded_at"]  # fmt: skip
        read_only_fields = ["id", "on_time", "recorded_by", "recorded_at"]


class ActionSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    kind = StrictChoiceField(choices=Action.Kind.choices, required=False)
    # A plain text input in the browsable API: never a drop-down of every member of staff.
    owner = NoNulSlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        style={"base_template": "input.html"},
    )
    incident = serializers.CharField(source="incident.reference", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Action
        fields = ["id", "incident", "kind", "title", "description", "owner", "due_date",
                  "status", "is_overdue", "completed_at", "created_at"]  # fmt: skip
        read_only_fields = ["id", "incident", "status", "is_overdue", "completed_at", "created_at"]

    def validate_due_date(self, value: date) -> date:
        # The service says it too; here it comes with the other fields' errors at once. (Who
        # may own it, the service decides: only it knows the incident.)
        problem = due_date_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value


class OwnActionSerializer(serializers.ModelSerializer[Action]):
    """An owner's view of their own action: its title and due date always; the incident's
    reference and the action's details only when they can see the incident (SPEC §3)."""

    incident = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    owner = serializers.CharField(source="owner.username", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Action
        fields = ["id", "incident", "kind", "title", "description", "owner", "due_date",
                  "status", "is_overdue", "completed_at", "created_at"]  # fmt: skip
        read_only_fields = fields

    def get_incident(self, obj: Action) -> str | None:
        return obj.incident.reference if getattr(obj, "incident_visible", False) else None

    def get_description(self, obj: Action) -> str:
        return obj.description if getattr(obj, "incident_visible", False) else ""


class ActionStatusSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    status = StrictChoiceField(choices=Action.Status.choices)


class RestrictionSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    restricted = serializers.BooleanField()
    people = serializers.ListField(
        child=NoNulSlugRelatedField(
            slug_field="username", queryset=User.objects.filter(is_active=True)
        ),
        required=False,
        max_length=50,
    )
    reason = serializers.CharField(max_length=2000)


class NotificationList(IncidentSubresourceView):
    """Notifications to the regulator and to individuals (officers of the incident)."""

    serializer_class = NotificationSerializer
    handlers_only = True
    endpoint = "notifications"
    ordering_fields = ["recorded_at", "notified_at"]
    ordering = ["recorded_at", "id"]

    def rows(self, incident: Incident) -> QuerySet[Notification]:
        return incident.notifications.select_related("recorded_by")

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.created(notification_record)


class IncidentActionList(IncidentSubresourceView):
    """Remediation and prevention actions of the incident (officers of the incident)."""

    serializer_class = ActionSerializer
    handlers_only = True
    endpoint = "actions"
    ordering_fields = ["due_date", "created_at", "status"]
    ordering = ["due_date", "id"]

    def rows(self, incident: Incident) -> QuerySet[Action]:
        return incident.actions.select_related("owner", "incident")

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.created(action_create)


class RestrictionView(IncidentScopedView):
    """Restrict the incident to named people, or lift it (the chief privacy officer)."""

    serializer_class = RestrictionSerializer

    @extend_schema(request=RestrictionSerializer, responses={200: RestrictionSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated()
        if data["restricted"]:
            incident = incident_restrict(
                incident=self.incident(),
                actor=self.user(),
                people=data.get("people", []),
                reason=data["reason"],
            )
        else:
            incident = incident_unrestrict(
                incident=self.incident(), actor=self.user(), reason=data["reason"]
            )
        return Response({"reference": incident.reference, "is_restricted": incident.is_restricted})


class ActionStatusView(GenericAPIView[Action]):
    """Mark an action done (its owner) or change its status (the incident's officers)."""

    serializer_class = ActionStatusSerializer
    queryset = Action.objects.none()
    request: AuthenticatedRequest  # behind IsAuthenticated

    def post(self, request: Request, pk: int) -> Response:
        user = self.request.user
        action = actions_acted_on_by(user).filter(pk=pk).first()
        if action is None:
            raise Http404
        serializer = ActionStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = action_set_status(
            action=action, actor=user, status=serializer.validated_data["status"]
        )
        own = actions_owned_by(user).filter(pk=updated.pk).first()
        return Response((OwnActionSerializer(own) if own else ActionSerializer(updated)).data)


class MyActionsView(ListAPIView[Action]):
    """The signed-in person's own actions."""

    serializer_class = OwnActionSerializer
    queryset = Action.objects.none()  # for the schema; the real one is per person
    filter_backends = [OrderingFilter]
    ordering_fields = ["due_date", "status", "created_at"]
    ordering = ["due_date", "id"]
    request: AuthenticatedRequest  # behind IsAuthenticated

    def get_queryset(self) -> QuerySet[Action]:
        if getattr(self, "swagger_fake_view", False):
            return Action.objects.none()
        return actions_owned_by(self.request.user)
