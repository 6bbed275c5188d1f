"""Incident API endpoints, scoped exactly like the pages through ``visible_to``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import AccessEvent, User
from breaches.access import record_access
from breaches.api.serializers import (
    AccessEventSerializer,
    ActionSerializer,
    ActionStatusSerializer,
    AttachmentSerializer,
    CommentSerializer,
    IncidentCreateSerializer,
    IncidentDetailSerializer,
    IncidentDetailsSerializer,
    IncidentListSerializer,
    NotificationSerializer,
    RestrictionSerializer,
    TransitionSerializer,
)
from breaches.intake.services import (
    DETAIL_FIELDS,
    attachment_add,
    comment_add,
    incident_add_details,
    incident_create,
)
from breaches.intake.views import attachment_response
from breaches.models import Action, Attachment, Comment, Incident
from breaches.permissions import can_contribute, can_write_internal, handles
from breaches.register.filters import IncidentFilter
from breaches.response.actions import action_create, action_set_status
from breaches.response.notifications import notification_record
from breaches.response.restriction import incident_restrict, incident_unrestrict
from breaches.workflow.services import incident_transition


class IncidentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Incidents the caller may see. Retrieving one writes an access event.

    ``POST`` reports a new incident; ``PATCH`` adds optional details to an open one (its
    reporter, or its officers).
    """

    lookup_field = "reference"
    lookup_value_regex = r"PBR-\d{4}-\d{5}"
    # Ordering is the FilterSet's own (?ordering=, explicit fields), the same as the page's.
    filterset_class = IncidentFilter
    filter_backends = [DjangoFilterBackend]
    http_method_names = ["get", "post", "patch", "head", "options"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[Incident]:
        queryset = (
            Incident.objects.visible_to(self.request.user)
            .with_list_columns()
            .order_by("-reported_at", "-id")
        )
        if self.action in {"retrieve", "partial_update"}:
            queryset = queryset.prefetch_related(
                "affected", "breach_types", "information_categories"
            )
        return queryset

    def get_serializer_class(self) -> Any:
        return {
            "retrieve": IncidentDetailSerializer,
            "create": IncidentCreateSerializer,
            "partial_update": IncidentDetailsSerializer,
            "comments": CommentSerializer,
            "attachments": AttachmentSerializer,
            "notifications": NotificationSerializer,
            "remediation_actions": ActionSerializer,
            "transition": TransitionSerializer,
            "access_log": AccessEventSerializer,
        }.get(self.action, IncidentListSerializer)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incident = self.get_object()
        record_access(request, action=AccessEvent.Action.API_VIEW, incident=incident)
        return Response(self.get_serializer(incident).data)

    @extend_schema(request=IncidentCreateSerializer, responses={201: IncidentDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = IncidentCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        user: User = request.user  # type: ignore[assignment]
        token = data.pop("submission_token", None) or _idempotency_key(request)
        incident = incident_create(
            reporter=user,
            kind=data.pop("kind"),
            summary=data.pop("summary"),
            aware_at=data.pop("aware_at"),
            channel=data.pop("channel"),
            business_unit=data.pop("business_unit", None) or user.business_unit,
            breach_types=data.pop("breach_types", []),
            information_categories=data.pop("information_categories", []),
            affected=[(a["reference"], a["role"]) for a in data.pop("affected", [])],
            submission_token=token,
            **{name: value for name, value in data.items() if name in DETAIL_FIELDS},
        )
        visible = self.get_queryset().filter(pk=incident.pk).first()
        if visible is None:
            # A retry of a report that has since been restricted away from its reporter.
            return Response({"reference": incident.reference}, status=status.HTTP_201_CREATED)
        body = IncidentDetailSerializer(visible, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=IncidentDetailsSerializer, responses={200: IncidentDetailSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incident = self.get_object()
        user: User = request.user  # type: ignore[assignment]
        if not can_contribute(user, incident):
            raise PermissionDenied("This incident is closed, or is not yours to add to.")
        serializer = IncidentDetailsSerializer(
            data=request.data, context={"request": request, "incident": incident}
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            incident_add_details(
                incident=incident,
                actor=user,
                details={name: data[name] for name in DETAIL_FIELDS if name in data},
                breach_types=data.get("breach_types"),
                information_categories=data.get("information_categories"),
                affected=[(a["reference"], a["role"]) for a in data.get("affected", [])],
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        incident = self.get_queryset().get(pk=incident.pk)
        return Response(IncidentDetailSerializer(incident, context={"request": request}).data)

    @action(detail=True, methods=["get", "post"])
    def comments(self, request: Request, reference: str | None = None, **kwargs: Any) -> Response:
        """Comments on the incident; internal notes only for privacy officers."""
        incident = self.get_object()
        user: User = request.user  # type: ignore[assignment]
        if request.method == "GET":
            comments = incident.comments.select_related("author")
            if not can_write_internal(user, incident):
                comments = comments.filter(visibility=Comment.Visibility.SHARED)
            record_access(
                request,
                action=AccessEvent.Action.API_VIEW,
                incident=incident,
                detail={"endpoint": "comments"},
            )
            return Response(CommentSerializer(comments, many=True).data)
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visibility = serializer.validated_data.get("visibility", Comment.Visibility.SHARED)
        if visibility == Comment.Visibility.INTERNAL and not can_write_internal(user, incident):
            raise ValidationError(
                {"visibility": ["Only privacy officers can write internal notes."]}
            )
        try:
            comment = comment_add(
                incident=incident,
                author=user,
                body=serializer.validated_data["body"],
                visibility=visibility,
            )
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get", "post"])
    def attachments(
        self, request: Request, reference: str | None = None, **kwargs: Any
    ) -> Response:
        """Evidence files: list them, or upload one (multipart field ``file``)."""
        incident = self.get_object()
        context = {"request": request}
        if request.method == "GET":
            rows = incident.attachments.select_related("uploaded_by", "incident")
            record_access(
                request,
                action=AccessEvent.Action.API_VIEW,
                incident=incident,
                detail={"endpoint": "attachments"},
            )
            return Response(AttachmentSerializer(rows, many=True, context=context).data)
        serializer = AttachmentSerializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        try:
            attachment = attachment_add(
                incident=incident,
                uploaded_by=request.user,  # type: ignore[arg-type]
                upload=serializer.validated_data["file"],
            )
        except DjangoValidationError as exc:
            raise ValidationError({"file": exc.messages}) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(
            AttachmentSerializer(attachment, context=context).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        operation_id="v1_incidents_attachments_download",
        responses={(200, "application/octet-stream"): bytes},
    )
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>\d+)")
    def attachment_download(
        self,
        request: Request,
        reference: str | None = None,
        attachment_id: str = "",
        **kwargs: Any,
    ) -> FileResponse:
        """Download one evidence file; the download is logged."""
        incident = self.get_object()
        attachment = get_object_or_404(Attachment, pk=int(attachment_id), incident=incident)
        return attachment_response(request, attachment)

    def _handled(self) -> Incident:
        incident = self.get_object()
        if not handles(self.request.user, incident):  # type: ignore[arg-type]
            raise PermissionDenied("Only the incident's privacy officers can do this.")
        return incident

    @action(detail=True, methods=["get", "post"])
    def notifications(
        self, request: Request, reference: str | None = None, **kwargs: Any
    ) -> Response:
        """Notifications to the regulator and to individuals (officers of the incident)."""
        incident = self._handled()
        if request.method == "GET":
            record_access(
                request,
                action=AccessEvent.Action.API_VIEW,
                incident=incident,
                detail={"endpoint": "notifications"},
            )
            rows = incident.notifications.select_related("recorded_by")
            return Response(NotificationSerializer(rows, many=True).data)
        serializer = NotificationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            created = notification_record(
                incident=incident, actor=request.user, **serializer.validated_data
            )  # type: ignore[arg-type]
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(NotificationSerializer(created).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get", "post"], url_path="actions")
    def remediation_actions(
        self, request: Request, reference: str | None = None, **kwargs: Any
    ) -> Response:
        """Remediation and prevention actions of the incident."""
        if request.method == "GET":
            incident = self._handled()
            record_access(
                request,
                action=AccessEvent.Action.API_VIEW,
                incident=incident,
                detail={"endpoint": "actions"},
            )
            rows = incident.actions.select_related("owner", "incident")
            return Response(ActionSerializer(rows, many=True).data)
        incident = self._handled()
        serializer = ActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            created = action_create(
                incident=incident, actor=request.user, **serializer.validated_data
            )  # type: ignore[arg-type]
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        return Response(ActionSerializer(created).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def transition(self, request: Request, reference: str | None = None, **kwargs: Any) -> Response:
        """Move the incident along its workflow (officers of the incident)."""
        incident = self.get_object()
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            moved = incident_transition(
                incident=incident,
                actor=request.user,  # type: ignore[arg-type]
                to=serializer.validated_data["to"],
                reason=serializer.validated_data.get("reason", ""),
            )
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response({"reference": moved.reference, "status": moved.status})

    @extend_schema(request=RestrictionSerializer, responses={200: IncidentListSerializer})
    @action(detail=True, methods=["post"])
    def restriction(
        self, request: Request, reference: str | None = None, **kwargs: Any
    ) -> Response:
        """Restrict the incident to named people, or lift it (the chief privacy officer)."""
        incident = self.get_object()
        serializer = RestrictionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            if data["restricted"]:
                incident = incident_restrict(
                    incident=incident, actor=request.user,  # type: ignore[arg-type]
                    people=data.get("people", []), reason=data["reason"],
                )  # fmt: skip
            else:
                incident = incident_unrestrict(
                    incident=incident, actor=request.user, reason=data["reason"]
                )  # type: ignore[arg-type]
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response({"reference": incident.reference, "is_restricted": incident.is_restricted})

    @action(detail=True, methods=["get"], url_path="access-log")
    def access_log(self, request: Request, reference: str | None = None, **kwargs: Any) -> Response:
        """Who opened, downloaded or exported this incident (officers of the incident)."""
        incident = self.get_object()
        if not handles(request.user, incident):  # type: ignore[arg-type]
            raise Http404
        rows = AccessEvent.objects.filter(incident=incident).select_related("user")[:500]
        return Response(AccessEventSerializer(rows, many=True).data)


class ActionStatusView(GenericAPIView):
    """Mark an action done (its owner) or change its status (the incident's officers)."""

    serializer_class = ActionStatusSerializer
    queryset = Action.objects.none()

    def post(self, request: Request, pk: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        action = (
            Action.objects.select_related("incident__business_unit")
            .filter(Q(owner=user) | Q(incident__in=Incident.objects.visible_to(user)), pk=pk)
            .first()
        )
        if action is None:
            raise Http404
        serializer = ActionStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            updated = action_set_status(
                action=action, actor=user, status=serializer.validated_data["status"]
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(ActionSerializer(updated).data)


class MyActionsView(ListAPIView):
    """The signed-in person's own actions."""

    serializer_class = ActionSerializer
    queryset = Action.objects.none()  # for the schema; the real one is per person

    def get_queryset(self) -> QuerySet[Action]:
        if getattr(self, "swagger_fake_view", False):
            return Action.objects.none()
        return (
            Action.objects.filter(owner=self.request.user)
            .select_related("owner", "incident")
            .order_by("due_date", "id")
        )


def _idempotency_key(request: Request) -> Any:
    import uuid

    raw = request.headers.get("Idempotency-Key", "")
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise ValidationError({"Idempotency-Key": ["Must be a UUID."]}) from exc
