"""API representations of incidents. Fields are listed explicitly, never ``__all__``.

Input is strict: an unknown field is a 400 naming it, an enum value outside its choices is a
400 naming the field and listing the allowed values, and the date rules are the form's
(``breaches/validation.py``).
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.models import AccessEvent, BusinessUnit, User
from breaches.intake.validation import (
    EARLIEST,
    REFERENCE_MESSAGE,
    REFERENCE_RE,
    TOO_EARLY,
    date_problems,
)
from breaches.models import (
    Action,
    AffectedIndividual,
    Attachment,
    Comment,
    Incident,
    IncidentBreachType,
    IncidentInformationCategory,
    Notification,
)


class SafeDateTimeField(serializers.DateTimeField):
    """A date-time whose far-out values are a 400, never an overflow (a 500)."""

    def to_internal_value(self, value: Any) -> Any:
        try:
            parsed = super().to_internal_value(value)
        except (OverflowError, ValueError) as exc:
            raise serializers.ValidationError("This date is out of range.") from exc
        if parsed is not None and parsed < EARLIEST:
            raise serializers.ValidationError(TOO_EARLY)
        return parsed


class NoNulSlugRelatedField(serializers.SlugRelatedField):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            raise serializers.ValidationError("Null characters are not allowed.")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    """A choice field whose error lists the allowed values."""

    def to_internal_value(self, data: Any) -> Any:
        if data == "" and self.allow_blank:
            return ""
        if not isinstance(data, str) or data not in self.choices:
            allowed = ", ".join(str(c) for c in self.choices if c != "")
            raise serializers.ValidationError(
                f'"{data}" is not allowed. Allowed values: {allowed}.'
            )
        return data


class StrictMultipleChoiceField(serializers.ListField):
    """A list of distinct choices; each wrong one is named with the allowed values."""

    def __init__(self, *, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(child=StrictChoiceField(choices=choices), **kwargs)

    def to_internal_value(self, data: Any) -> list[str]:
        return list(dict.fromkeys(super().to_internal_value(data)))

    def to_representation(self, data: Any) -> list[str]:
        # Rendering an incident's own rows (the browsable API's form does): their codes.
        if hasattr(data, "all"):
            return [str(getattr(row, "breach_type", None) or row.category) for row in data.all()]
        return list(super().to_representation(data))


class RejectUnknownFieldsMixin:
    """A 400 naming every field the serializer does not know."""

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys"):
            writable = {name for name, f in self.fields.items() if not f.read_only}  # type: ignore[attr-defined]
            # A session-authenticated HTML form also sends its CSRF token.
            unknown = sorted(set(data.keys()) - writable - {"csrfmiddlewaretoken"})
            if unknown:
                allowed = ", ".join(sorted(writable))
                raise serializers.ValidationError(
                    {name: [f"Unknown field. Allowed fields: {allowed}."] for name in unknown}
                )
        return super().to_internal_value(data)  # type: ignore[misc]


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


class IncidentDetailSerializer(IncidentListSerializer):
    reporter = serializers.CharField(source="reporter.username", read_only=True)
    business_unit_code = serializers.CharField(source="business_unit.code", read_only=True)
    breach_types = serializers.SlugRelatedField(many=True, read_only=True, slug_field="breach_type")
    information_categories = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="category"
    )
    affected = AffectedIndividualSerializer(many=True, read_only=True)

    class Meta(IncidentListSerializer.Meta):
        fields = [
            *IncidentListSerializer.Meta.fields,
            "business_unit_code",
            "reporter",
            "occurred_at",
            "occurred_precision",
            "description",
            "cause_category",
            "cause_detail",
            "individuals_affected",
            "individuals_affected_is_estimate",
            "containment_steps",
            "contained_at",
            "jurisdiction",
            "breach_types",
            "information_categories",
            "affected",
        ]


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
    affected = AffectedIndividualSerializer(many=True, required=False, max_length=20)

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


class CommentSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)
    visibility = StrictChoiceField(
        choices=Comment.Visibility.choices, required=False, default=Comment.Visibility.SHARED
    )

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "visibility", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class AttachmentSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    file = serializers.FileField(write_only=True)
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "file",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = [
            "id",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
        ]

    def get_download_url(self, obj: Attachment) -> str:
        request = self.context.get("request")
        path = f"/api/v1/incidents/{obj.incident.reference}/attachments/{obj.pk}/"
        return request.build_absolute_uri(path) if request else path


class NotificationSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    recipient = StrictChoiceField(choices=Notification.Recipient.choices)
    method = StrictChoiceField(choices=Notification.Method.choices)
    notified_at = SafeDateTimeField(required=False, allow_null=True)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "recipient", "method", "notified_at", "reference_number", "reason",
                  "on_time", "recorded_by", "recorded_at"]  # fmt: skip
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


class TransitionSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    to = StrictChoiceField(choices=Incident.Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class AccessEventSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = AccessEvent
        fields = ["at", "user", "action", "detail", "request_id"]
        read_only_fields = fields


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
