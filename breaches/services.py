"""Writes to incidents. Views, serializers, forms, commands and tasks call these."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import BusinessUnit, User
from breaches.models import (
    AffectedIndividual,
    Incident,
    IncidentBreachType,
    IncidentInformationCategory,
    ReferenceCounter,
)


def next_reference(*, year: int) -> str:
    """Allocate the next reference of ``year`` (PBR-2026-00042) inside the caller's transaction."""
    counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"PBR-{year}-{counter.last:05d}"


def incident_create(
    *,
    reporter: User,
    kind: str,
    summary: str,
    aware_at: datetime,
    channel: str,
    business_unit: BusinessUnit,
    description: str = "",
    occurred_at: datetime | None = None,
    occurred_precision: str = Incident.OccurredPrecision.UNKNOWN,
    cause_category: str = "",
    cause_detail: str = "",
    individuals_affected: int | None = None,
    individuals_affected_is_estimate: bool = False,
    containment_steps: str = "",
    contained_at: datetime | None = None,
    breach_types: Iterable[str] = (),
    information_categories: Iterable[str] = (),
    affected: Iterable[tuple[str, str]] = (),
) -> Incident:
    """Record a new report atomically and tell the unit's privacy officers once it commits."""
    from breaches.tasks import notify_officers_of_new_report

    now = timezone.now()
    with transaction.atomic():
        incident = Incident(
            reference=next_reference(year=timezone.localtime(now).year),
            reporter=reporter,
            kind=kind,
            summary=summary,
            description=description,
            aware_at=aware_at,
            reported_at=now,
            channel=channel,
            business_unit=business_unit,
            occurred_at=occurred_at,
            occurred_precision=occurred_precision,
            cause_category=cause_category,
            cause_detail=cause_detail,
            individuals_affected=individuals_affected,
            individuals_affected_is_estimate=individuals_affected_is_estimate,
            containment_steps=containment_steps,
            contained_at=contained_at,
        )
        # History credits the reporter even when no request is being served (API, CLI, tasks).
        children: list[IncidentBreachType | IncidentInformationCategory | AffectedIndividual] = [
            *(IncidentBreachType(breach_type=t) for t in dict.fromkeys(breach_types)),
            *(
                IncidentInformationCategory(category=c)
                for c in dict.fromkeys(information_categories)
            ),
            *(AffectedIndividual(reference=ref, role=role) for ref, role in affected),
        ]
        for row in [incident, *children]:
            row._history_user = reporter  # type: ignore[union-attr]
            if row is not incident:
                row.incident = incident  # type: ignore[union-attr]
            row.save()
        incident_id = incident.pk
        transaction.on_commit(lambda: notify_officers_of_new_report.delay(incident_id))
    return incident
