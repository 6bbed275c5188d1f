"""Incidents in the API: the list and detail (scoped by ``visible_to``), reporting one (POST) and
adding details (PATCH). Fields are listed explicitly, never ``__all__``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.http import AuthenticatedRequest
from accounts.models import AccessEvent, BusinessUnit
from breaches.access import record_access
from breaches.api.fields import (
    NoNulSlugRelatedField,
    RejectUnknownFieldsMixin,
    SafeDateTimeField,
    StrictChoiceField,
    StrictMultipleChoiceField,
)
from breaches.intake.confidentiality import hidden_label, may_see_reporter
from breaches.intake.services import (
    DETAIL_FIELDS,
    incident_add_details,
    incident_create,
)
from breaches.intake.validation import (
    REFERENCE_MESSAGE,
    REFERENCE_RE,
    date_problems,
)
from breaches.models import (
    AffectedIndividual,
    Incident,
    IncidentBreachType,
    IncidentInformationCategory,
)
from breaches.models.incident import REFERENCE_PATTERN
from breaches.permissions import can_contribute
from breaches.register.filters import IncidentFilter


class AffectedIndividualSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    role = StrictChoiceField(choices=AffectedIndividual.Role.choices)

    class Meta:
        model = AffectedIndividual
        fields = ["reference", "role"]

    def validate_reference(self, value: str) -> str:
        value = value.strip()
        if not REFERENCE_RE.match(value):
            raise serializers.ValidationError(REFERENCE_MESSAGE)
        return value


# Triage columns that only the incident's handlers see (the reporter's page shows none of them).
HANDLERS_ONLY = (
    "severity",
    "regulator_deadline",
    "decision_notify_regulator",
    "regulator_notified_at",
)


class IncidentListSerializer(serializers.ModelSerializer):
    business_unit = serializers.CharField(source="business_unit.name", read_only=True)
    url = serializers.HyperlinkedIdentityField(
        view_name="api:incident-detail", lookup_field="reference"
    )

    class Meta:
        model = Incident
        fields = [
            "url",
            "reference",
            "kind",
            "status",
            "summary",
            "business_unit",
            "channel",
            "aware_at",
            "reported_at",
            "updated_at",
            "is_restricted",
            "severity",
            "regulator_deadline",
            "decision_notify_regulator",
            "regulator_notified_at",
        ]

    def to_representation(self, instance: Incident) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        if not getattr(instance, "is_handled", False):
            # The reporter's view through the API equals their page: no triage columns.
            for name in HANDLERS_ONLY:
                data.pop(name, None)
        return data


class IncidentDetailSerializer(IncidentListSerializer):
    reporter = serializers.SerializerMethodField(
        help_text='The reporter\'s username; "Confidential reporter" to everyone but the '
        'chief privacy officer and the reporter on a confidential report, "Anonymous" on an '
        "anonymous one."
    )
    business_unit_code = serializers.CharField(source="business_unit.code", read_only=True)
    breach_types: serializers.SlugRelatedField[IncidentBreachType] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="breach_type"
    )
    information_categories: serializers.SlugRelatedField[IncidentInformationCategory] = (
        serializers.SlugRelatedField(many=True, read_only=True, slug_field="category")
    )
    affected = AffectedIndividualSerializer(many=True, read_only=True)

    class Meta(IncidentListSerializer.Meta):
        fields = [
            *IncidentListSerializer.Meta.fields,
            "business_unit_code",
            "reporter",
            "reporting",
            "about_colleague",
            "discovered_by",
            *DETAIL_FIELDS,
            "jurisdiction",
            "breach_types",
            "information_categories",
            "affected",
        ]

    def get_reporter(self, instance: Incident) -> str:
        request = self.context.get("request")
        viewer = getattr(request, "user", None)
        if may_see_reporter(instance, viewer):
            return instance.reporter.username
        return hidden_label(instance)


class IncidentDetailsSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """The optional details: accepted on create and added later by the reporter (PATCH)."""

    occurred_at = SafeDateTimeField(required=False, allow_null=True)
    occurred_precision = StrictChoiceField(
        choices=Incident.OccurredPrecision.choices, required=False
    )
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=10000, trim_whitespace=True
    )
    breach_types = StrictMultipleChoiceField(
        choices=IncidentBreachType.Type.choices, required=False
    )
    cause_category = StrictChoiceField(
        choices=Incident.Cause.choices, required=False, allow_blank=True
    )
    cause_detail = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    information_categories = StrictMultipleChoiceField(
        choices=IncidentInformationCategory.Category.choices, required=False
    )
    individuals_affected = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=10_000_000
    )
    individuals_affected_is_estimate = serializers.BooleanField(required=False)
    containment_steps = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    contained_at = SafeDateTimeField(required=False, allow_null=True)
    # ``many=True`` makes a ListSerializer, which takes max_length; the stubs do not know.
    affected = AffectedIndividualSerializer(many=True, required=False, max_length=20)  # type: ignore[call-arg]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        current: Incident | None = self.context.get("incident")

        def value(name: str) -> Any:
            if name in attrs:
                return attrs[name]
            return getattr(current, name, None) if current else None

        occurred = value("occurred_at")
        precision = value("occurred_precision") or Incident.OccurredPrecision.UNKNOWN
        if occurred and precision == Incident.OccurredPrecision.UNKNOWN:
            precision = attrs["occurred_precision"] = Incident.OccurredPrecision.EXACT
        problems = date_problems(
            aware_at=value("aware_at"),
            occurred_at=occurred,
            occurred_precision=precision,
            contained_at=value("contained_at"),
        )
        if problems:
            raise serializers.ValidationError(problems)
        return attrs


class IncidentCreateSerializer(IncidentDetailsSerializer):
    """A new report: the first step's fields plus any of the optional details."""

    kind = StrictChoiceField(choices=Incident.Kind.choices)
    summary = serializers.CharField(max_length=200)
    aware_at = SafeDateTimeField()
    channel = StrictChoiceField(choices=Incident.Channel.choices)
    business_unit = NoNulSlugRelatedField(
        slug_field="code",
        queryset=BusinessUnit.objects.all(),
        required=False,
        help_text="The unit's code; the reporter's own unit when left out.",
    )
    submission_token = serializers.UUIDField(
        required=False,
        help_text="Send the same token again to retry safely: the first incident is returned.",
    )
    confidential = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Only the chief privacy officer may see who reported it; officers read "
        '"Confidential reporter".',
    )
    about_colleague = serializers.BooleanField(
        required=False,
        default=False,
        help_text="About a colleague's conduct: restricted to the chief privacy officer on "
        "arrival (so is a cause of deliberate_misuse).",
    )
    discovered_by = StrictChoiceField(
        choices=Incident.Discovery.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="How it came to light.",
    )


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
    request: AuthenticatedRequest  # behind IsAuthenticated
    lookup_value_regex = REFERENCE_PATTERN
    # Ordering is the FilterSet's own (?ordering=, explicit fields), the same as the page's.
    filterset_class = IncidentFilter
    filter_backends = [DjangoFilterBackend]
    http_method_names = ["get", "post", "patch", "head", "options"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[Incident]:
        user = self.request.user
        queryset = (
            Incident.objects.visible_to(user)
            .with_list_columns()
            .with_handled(user)
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
        }.get(self.action, IncidentListSerializer)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incident = self.get_object()
        record_access(self.request, action=AccessEvent.Action.API_VIEW, incident=incident)
        return Response(self.get_serializer(incident).data)

    @extend_schema(request=IncidentCreateSerializer, responses={201: IncidentDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = IncidentCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        user = self.request.user
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
            reporting=(
                Incident.Reporting.CONFIDENTIAL
                if data.pop("confidential", False)
                else Incident.Reporting.NAMED
            ),
            about_colleague=data.pop("about_colleague", False),
            discovered_by=data.pop("discovered_by", ""),
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
        user = self.request.user
        if not can_contribute(user, incident):
            raise PermissionDenied("This incident is closed, or is not yours to add to.")
        serializer = IncidentDetailsSerializer(
            data=request.data, context={"request": request, "incident": incident}
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        incident_add_details(
            incident=incident,
            actor=user,
            details={name: data[name] for name in DETAIL_FIELDS if name in data},
            breach_types=data.get("breach_types"),
            information_categories=data.get("information_categories"),
            affected=[(a["reference"], a["role"]) for a in data.get("affected", [])],
        )
        incident = self.get_queryset().get(pk=incident.pk)
        return Response(IncidentDetailSerializer(incident, context={"request": request}).data)


def _idempotency_key(request: Request) -> Any:
    raw = request.headers.get("Idempotency-Key", "")
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise ValidationError({"Idempotency-Key": ["Must be a UUID."]}) from exc
