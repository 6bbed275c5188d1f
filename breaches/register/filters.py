"""The register's filters: one FilterSet for the page, the API list and the CSV export.

It only ever narrows a queryset that already came from ``Incident.objects.visible_to``.

Every empty label is declared with its filter, never set on an instance afterwards. The class's
filters are shared by the whole process: drf-spectacular, generating ``/api/schema/``, reads
``filter.field`` on them, which builds and caches a form field there with django-filter's
default label; each FilterSet deep-copies the class's filters, cached field and all, so a label
set per instance in ``__init__`` (as this module once did) came too late, and the register said
"---------" to everyone until a restart. ``__init__`` also drops any such cached field.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from accounts import organisation
from accounts.models import BusinessUnit
from breaches.models import (
    Action,
    Incident,
    IncidentBreachType,
    IncidentQuerySet,
    RegulatorDecision,
    Severity,
)
from breaches.models.incident import reference_order
from breaches.register.search import search

DATE = forms.DateInput(attrs={"type": "date"})
ANY = "Any"
# "Any" rather than django-filter's "Unknown" for the empty choice.
YES_NO = django_filters.widgets.BooleanWidget()
YES_NO.choices = (("", ANY), ("true", "Yes"), ("false", "No"))

ORDERING = (
    ("reported_at", "reported"),
    ("aware_at", "aware"),
    ("regulator_deadline", "deadline"),
    ("reference", "reference"),
    ("status_rank", "status"),
    ("kind", "kind"),
    ("severity_rank", "severity"),
    ("unit_name", "unit"),
    ("updated_at", "updated"),
)


class Ordering(django_filters.OrderingFilter):
    """The register's sort. Every sort ends with the newest-first keys, in the sort's own
    direction (least severe and oldest first; most severe and newest first), so a page is
    always the same rows, and each sort reads its first rows from one index (the
    ``incident_*_sort`` indexes). ``reference`` sorts by number, year first
    (``reference_order``): as text PBR-2026-100000 sorts before PBR-2026-99999."""

    def filter(self, qs: QuerySet[Incident], value: list[str] | None) -> QuerySet[Incident]:
        if not value:
            return qs
        ordering: list[Any] = []
        for param in value:
            if not param:
                continue
            field = self.get_ordering_value(param)
            descending = field.startswith("-")
            name = field.lstrip("-")
            if name == "reference":
                ordering.extend(reference_order(descending=descending))
                continue
            ordering.append(field)
            if name == "unit_name":
                ordering.append(f"{'-' if descending else ''}business_unit_id")
            ordering.extend(
                f"{'-' if descending else ''}{key}" for key in ("reported_at", "id") if key != name
            )
        return qs.order_by(*ordering)


class IncidentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Reference or summary")
    status = django_filters.MultipleChoiceFilter(choices=Incident.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Incident.Kind.choices, empty_label=ANY)
    business_unit = django_filters.ModelChoiceFilter(
        queryset=BusinessUnit.objects.order_by("path"),
        method="in_unit",
        label="Business unit (and the units below it)",
        to_field_name="code",
        empty_label="All my units",
    )
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    decision = django_filters.ChoiceFilter(
        field_name="decision_notify_regulator",
        choices=[
            (RegulatorDecision.NOTIFY, "Notifiable"),
            (RegulatorDecision.DO_NOT_NOTIFY, "Not notifiable"),
            ("none", "Not decided"),
        ],
        method="by_decision",
        label="Notifiability decision",
        empty_label=ANY,
    )
    cause = django_filters.ChoiceFilter(
        field_name="cause_category", choices=Incident.Cause.choices, empty_label=ANY
    )
    breach_type = django_filters.ChoiceFilter(
        choices=IncidentBreachType.Type.choices,
        method="by_breach_type",
        label="Breach type",
        empty_label=ANY,
    )
    channel = django_filters.ChoiceFilter(choices=Incident.Channel.choices, empty_label=ANY)
    aware_after = django_filters.DateFilter(
        field_name="aware_at", lookup_expr="date__gte", label="Aware on or after", widget=DATE
    )
    aware_before = django_filters.DateFilter(
        field_name="aware_at", lookup_expr="date__lte", label="Aware on or before", widget=DATE
    )
    reported_after = django_filters.DateFilter(
        field_name="reported_at", lookup_expr="date__gte", label="Reported on or after", widget=DATE
    )
    reported_before = django_filters.DateFilter(
        field_name="reported_at",
        lookup_expr="date__lte",
        label="Reported on or before",
        widget=DATE,
    )
    deadline = django_filters.ChoiceFilter(
        choices=[("soon", "Due soon"), ("missed", "Missed"), ("running", "Clock running")],
        method="by_deadline",
        label="Regulator deadline",
        empty_label=ANY,
    )
    restricted = django_filters.BooleanFilter(
        field_name="is_restricted", label="Restricted", widget=YES_NO
    )
    overdue_actions = django_filters.BooleanFilter(
        method="by_overdue_actions", label="Has overdue actions", widget=YES_NO
    )
    ordering = Ordering(fields=ORDERING, label="Sort by", empty_label="Newest first")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # ``self.filters`` are deep copies of the class's; a form field cached on a class-level
        # filter (by schema generation) would be copied along. Each FilterSet builds its own
        # fields from its filters' declarations instead.
        for filter_ in self.filters.values():
            filter_.__dict__.pop("_field", None)

    class Meta:
        model = Incident
        fields = ["q", "status", "kind", "business_unit", "severity", "decision", "cause",
                  "breach_type", "channel", "aware_after", "aware_before", "reported_after",
                  "reported_before", "deadline", "restricted", "overdue_actions"]  # fmt: skip

    def search(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        return search(queryset, value)

    def in_unit(
        self, queryset: QuerySet[Incident], name: str, unit: BusinessUnit
    ) -> QuerySet[Incident]:
        return queryset.filter(business_unit__path__startswith=unit.path)

    def by_decision(
        self, queryset: QuerySet[Incident], name: str, value: str
    ) -> QuerySet[Incident]:
        if value == "none":
            return queryset.filter(decision_notify_regulator="")
        return queryset.filter(decision_notify_regulator=value)

    def by_breach_type(
        self, queryset: QuerySet[Incident], name: str, value: str
    ) -> QuerySet[Incident]:
        # A subquery, not a join: an incident is listed once however many types it has.
        return queryset.filter(
            pk__in=IncidentBreachType.objects.filter(breach_type=value).values("incident_id")
        )

    def by_overdue_actions(
        self, queryset: QuerySet[Incident], name: str, value: bool | None
    ) -> QuerySet[Incident]:
        overdue = Action.objects.overdue().values("incident_id")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)

    def by_deadline(self, queryset: IncidentQuerySet, name: str, value: str) -> QuerySet[Incident]:
        now = timezone.now()
        running = queryset.clock_running()
        if value == "missed":
            return running.filter(regulator_deadline__lte=now)
        if value == "soon":
            hours = organisation.current().reminder_horizon_hours
            return running.filter(
                regulator_deadline__gt=now, regulator_deadline__lte=now + timedelta(hours=hours)
            )
        return running
