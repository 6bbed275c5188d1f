"""API representations of incidents. Fields are listed explicitly, never ``__all__``."""

from __future__ import annotations

from rest_framework import serializers

from breaches.models import AffectedIndividual, Incident


class AffectedIndividualSerializer(serializers.ModelSerializer):
    class Meta:
        model = AffectedIndividual
        fields = ["reference", "role"]


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
            "is_restricted",
        ]


class IncidentDetailSerializer(IncidentListSerializer):
    reporter = serializers.CharField(source="reporter.username", read_only=True)
    breach_types = serializers.SlugRelatedField(many=True, read_only=True, slug_field="breach_type")
    information_categories = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="category"
    )
    affected = AffectedIndividualSerializer(many=True, read_only=True)

    class Meta(IncidentListSerializer.Meta):
        fields = [
            *IncidentListSerializer.Meta.fields,
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
