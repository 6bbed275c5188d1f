"""Storing assessments and signing decisions: where the pure engine meets the database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import organisation
from accounts.history import stamp_history
from accounts.models import User
from breaches.models import (
    AffectedIndividual,
    Answer,
    Assessment,
    Decision,
    Incident,
    IncidentInformationCategory,
    RegulatorDecision,
)
from breaches.permissions import lock_for_write
from breaches.triage.engine import Facts, Result, assess, parse_facts
from config.errors import Conflict

# Individual decisions that mean the people are (or will be) told.
TELLS_INDIVIDUALS = frozenset({Decision.Individuals.NOTIFY, Decision.Individuals.DELAY})


def engine_options(at: datetime | None = None) -> dict[str, int]:
    """Settings the rule sets take (the NZ notification target in hours): those in force now,
    or those in force at ``at`` (re-reading a stored assessment as it was made)."""
    values = organisation.current() if at is None else organisation.as_of(at)
    return {"nz_target_hours": values.nz_target_hours}


def facts_from_incident(incident: Incident) -> dict[str, Any]:
    """The §4.1 facts as far as the report tells them; the officer completes the rest."""
    latest = Assessment.objects.latest_for(incident)
    if latest is not None:
        return dict(latest.facts)
    breach_types = list(incident.breach_types.values_list("breach_type", flat=True))
    categories = list(incident.information_categories.values_list("category", flat=True))
    roles = set(incident.affected.values_list("role", flat=True))
    return {
        "jurisdiction": incident.effective_jurisdiction(),
        "kind": incident.kind,
        "breach_types": breach_types,
        "info_categories": categories,
        "individuals_affected": incident.individuals_affected or 1,
        "vulnerable_individuals": AffectedIndividual.Role.CHILD in roles
        or IncidentInformationCategory.Category.CHILDREN in categories,
        "recipient": "unknown",
        "security_measures": "none",
        "key_compromised": False,
        "contained": "fully" if incident.contained_at else "not",
        "harm_occurred": False,
        "harm_types": [],
        "backup_available": None,
        "aware_at": timezone.localtime(incident.aware_at).isoformat(),
    }


def run_engine(facts: Facts, *, rule_set: str | None = None, at: datetime | None = None) -> Result:
    return assess(facts, rule_set=rule_set, **engine_options(at))


def assessment_create(*, incident: Incident, facts: Facts, actor: User) -> Assessment:
    """Store the engine's result for ``facts`` and keep the incident's triage columns in step."""
    if facts.kind != incident.kind:
        raise ValidationError({"kind": "The facts must describe the incident's own kind."})
    result = run_engine(facts)
    with transaction.atomic():
        locked = lock_for_write(
            incident, actor=actor, refusal="Only the incident's privacy officers assess it."
        )
        assessment = Assessment.objects.create(
            incident=locked,
            facts=facts.to_dict(),
            result=result.to_dict(),
            rule_set=result.rule_set,
            jurisdiction=result.jurisdiction,
            severity=result.severity,
            notify_regulator=result.notify_regulator,
            notify_individuals=result.notify_individuals,
            regulator_deadline=result.regulator_deadline,
            created_by=actor,
        )
        # Saved (not .update()), so the change is on the history with who made it.
        locked.severity = result.severity
        locked.regulator_deadline = result.regulator_deadline
        locked.jurisdiction = result.jurisdiction
        stamp_history(locked, user=actor, reason="assessed")
        locked.save()
    return assessment


def reread(assessment: Assessment) -> Result:
    """Re-run a stored assessment with the exact rule-set version and the settings it used."""
    return run_engine(
        parse_facts(assessment.facts), rule_set=assessment.rule_set, at=assessment.created_at
    )


def differs(assessment: Assessment, *, notify_regulator: str, notify_individuals: str) -> bool:
    """Does a decision differ from the engine's recommendation? Uncertain always does."""
    individuals = Answer.YES if notify_individuals in TELLS_INDIVIDUALS else Answer.NO
    return (
        assessment.notify_regulator != notify_regulator
        or assessment.notify_individuals != individuals
    )


def decision_record(
    *,
    incident: Incident,
    assessment: Assessment,
    actor: User,
    notify_regulator: str,
    notify_individuals: str,
    rationale: str,
    ground: str = "",
) -> Decision:
    """Sign a decision. It supersedes the previous one; nothing is overwritten."""
    errors: dict[str, str] = {}
    if assessment.incident_id != incident.pk:
        errors["assessment"] = "That assessment belongs to another incident."
    if incident.kind == Incident.Kind.NEAR_MISS and (
        notify_regulator == RegulatorDecision.NOTIFY or notify_individuals in TELLS_INDIVIDUALS
    ):
        errors["notify_regulator"] = "A near miss is never notifiable."
    needs_ground = notify_individuals in {
        Decision.Individuals.EXCEPTION,
        Decision.Individuals.DELAY,
    }
    if needs_ground and not ground.strip():
        errors["ground"] = "Give the lawful ground for the exception or delay."
    different = differs(
        assessment, notify_regulator=notify_regulator, notify_individuals=notify_individuals
    )
    if different and not rationale.strip():
        errors["rationale"] = (
            "Your decision differs from the recommendation (or the recommendation was "
            "uncertain): explain why."
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = lock_for_write(
            incident,
            actor=actor,
            refusal="Only the incident's privacy officers decide on notification.",
        )
        previous = (
            Decision.objects.select_for_update(of=("self",))
            .filter(incident=locked)
            .current()
            .order_by("-decided_at", "-id")
            .first()
        )
        latest = Assessment.objects.latest_for(locked)
        if latest is None or latest.pk != assessment.pk:
            # Checked under the lock: a reassessment made meanwhile is never decided unseen.
            raise Conflict(
                "The incident has been reassessed since this page was opened: reload it and "
                "decide against the latest assessment.",
                field="assessment",
            )
        decision = Decision.objects.create(
            incident=locked,
            assessment=assessment,
            notify_regulator=notify_regulator,
            notify_individuals=notify_individuals,
            ground=ground.strip(),
            rationale=rationale.strip(),
            differs_from_recommendation=different,
            decided_by=actor,
            supersedes=previous,
        )
        locked.decision_notify_regulator = notify_regulator
        stamp_history(locked, user=actor, reason="decision signed")
        locked.save()
    return decision
