"""Triage in the register: storing assessments, signing decisions, reminding about deadlines.

The engine (``breaches/triage``) is pure; this module is where its results meet the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from breaches.models import Assessment, DeadlineReminder, Decision, Incident
from breaches.permissions import handles
from breaches.selectors import cpo_emails, officers_for_incident
from breaches.triage import Facts, Result, assess, parse_facts


def engine_options() -> dict[str, int]:
    """Settings the rule sets take (the NZ notification target in hours)."""
    return {"nz_target_hours": settings.TRIAGE_NZ_TARGET_HOURS}


def provisional_deadline(incident: Incident) -> datetime | None:
    """The regulator clock from the moment of awareness, before any assessment (SPEC §4.3)."""
    if incident.kind != Incident.Kind.BREACH:
        return None
    jurisdiction = incident.effective_jurisdiction()
    if jurisdiction == "AU":
        return incident.aware_at + timedelta(days=30)
    if jurisdiction == "GDPR":
        return incident.aware_at + timedelta(hours=72)
    return incident.aware_at + timedelta(hours=settings.TRIAGE_NZ_TARGET_HOURS)


def facts_from_incident(incident: Incident) -> dict[str, Any]:
    """The §4.1 facts as far as the report tells them; the officer completes the rest."""
    latest = incident.assessments.order_by("-created_at", "-id").first()
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
        "vulnerable_individuals": "child" in roles or "children" in categories,
        "recipient": "unknown",
        "security_measures": "none",
        "key_compromised": False,
        "contained": "fully" if incident.contained_at else "not",
        "harm_occurred": False,
        "harm_types": [],
        "backup_available": None,
        "aware_at": timezone.localtime(incident.aware_at).isoformat(),
    }


def run_engine(facts: Facts, *, rule_set: str | None = None) -> Result:
    return assess(facts, rule_set=rule_set, **engine_options())


def assessment_create(*, incident: Incident, facts: Facts, actor: User) -> Assessment:
    """Store the engine's result for ``facts`` and keep the incident's triage columns in step."""
    if not handles(actor, incident):
        raise PermissionDenied("Only the incident's privacy officers assess it.")
    if facts.kind != incident.kind:
        raise ValidationError({"kind": "The facts must describe the incident's own kind."})
    result = run_engine(facts)
    with transaction.atomic():
        assessment = Assessment.objects.create(
            incident=incident,
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
        locked = Incident.objects.select_for_update(of=("self",)).get(pk=incident.pk)
        locked.severity = result.severity
        locked.regulator_deadline = result.regulator_deadline
        locked.jurisdiction = result.jurisdiction
        locked._history_user = actor  # type: ignore[attr-defined]
        locked._change_reason = "assessed"  # type: ignore[attr-defined]
        locked.save()
    return assessment


def reread(assessment: Assessment) -> Result:
    """Re-run a stored assessment with the exact rule-set version it used."""
    return run_engine(parse_facts(assessment.facts), rule_set=assessment.rule_set)


def differs(assessment: Assessment, *, notify_regulator: str, notify_individuals: str) -> bool:
    """Does a decision differ from the engine's recommendation? Uncertain always does."""
    individuals = "yes" if notify_individuals in {"yes", "delay"} else "no"
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
    if not handles(actor, incident):
        raise PermissionDenied("Only the incident's privacy officers decide on notification.")
    errors: dict[str, str] = {}
    if assessment.incident_id != incident.pk:
        errors["assessment"] = "That assessment belongs to another incident."
    if incident.kind == Incident.Kind.NEAR_MISS and (
        notify_regulator == "yes" or notify_individuals in {"yes", "delay"}
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
        previous = (
            Decision.objects.select_for_update(of=("self",))
            .filter(incident=incident, superseded_by__isnull=True)
            .order_by("-decided_at", "-id")
            .first()
        )
        decision = Decision.objects.create(
            incident=incident,
            assessment=assessment,
            notify_regulator=notify_regulator,
            notify_individuals=notify_individuals,
            ground=ground.strip(),
            rationale=rationale.strip(),
            differs_from_recommendation=different,
            decided_by=actor,
            supersedes=previous,
        )
        locked = Incident.objects.select_for_update(of=("self",)).get(pk=incident.pk)
        locked.decision_notify_regulator = notify_regulator
        locked._history_user = actor  # type: ignore[attr-defined]
        locked._change_reason = "decision signed"  # type: ignore[attr-defined]
        locked.save()
    return decision


def clock_purpose(incident: Incident) -> str:
    """What the deadline is for: AU's 30 days are to finish assessing (s26WH), not to notify."""
    if incident.jurisdiction == "AU" and incident.decision_notify_regulator != "yes":
        return "to finish assessing the breach (AU s26WH)"
    return "to notify the regulator"


@dataclass(frozen=True)
class Clock:
    deadline: datetime
    left: timedelta
    state: str  # "ok", "soon", "missed", "stopped"
    purpose: str = "to notify the regulator"

    @property
    def hours_left(self) -> int:
        return int(self.left.total_seconds() // 3600)


def clock_for(incident: Incident, now: datetime | None = None) -> Clock | None:
    """Time left to notify the regulator, and whether it is close or missed."""
    if incident.regulator_deadline is None or incident.kind != Incident.Kind.BREACH:
        return None
    now = now or timezone.now()
    left = incident.regulator_deadline - now
    if not incident.clock_running:
        state = "stopped"
    elif left <= timedelta(0):
        state = "missed"
    elif left <= timedelta(hours=max(settings.TRIAGE_REMINDER_HOURS, default=24)):
        state = "soon"
    else:
        state = "ok"
    return Clock(incident.regulator_deadline, left, state, clock_purpose(incident))


def send_deadline_reminders(now: datetime | None = None) -> int:
    """E-mail each incident's officers once per reminder point and once when missed.

    Safe to run as often as the scheduler likes: a reminder row is claimed (unique key) in
    the same transaction as the e-mail is sent, so each is sent exactly once.
    """
    now = now or timezone.now()
    horizon = now + timedelta(hours=max(settings.TRIAGE_REMINDER_HOURS, default=24))
    candidates = (
        Incident.objects.filter(
            kind=Incident.Kind.BREACH,
            regulator_deadline__isnull=False,
            regulator_deadline__lte=horizon,
            regulator_notified_at__isnull=True,
            status__in=Incident.OPEN_STATUSES,
        )
        .exclude(decision_notify_regulator="no")
        .select_related("business_unit")
    )
    sent = 0
    for incident in candidates:
        assert incident.regulator_deadline is not None
        due: list[tuple[str, int]] = [
            (DeadlineReminder.Kind.APPROACHING, hours)
            for hours in settings.TRIAGE_REMINDER_HOURS
            if incident.regulator_deadline - timedelta(hours=hours)
            <= now
            < incident.regulator_deadline
        ]
        if incident.regulator_deadline <= now:
            due = [(DeadlineReminder.Kind.MISSED, 0)]
        for kind, hours in due:
            sent += _send_once(incident, kind=kind, hours=hours, now=now)
    return sent


def _send_once(incident: Incident, *, kind: str, hours: int, now: datetime) -> int:
    if incident.is_restricted:
        # Only the officers named on it (and the CPO, below) may hear about it.
        named = incident.restricted_to.filter(role=User.Role.PRIVACY_OFFICER, is_active=True)
        recipients = [o.email for o in named if o.email]
    else:
        recipients = [o.email for o in officers_for_incident(incident) if o.email]
    recipients += cpo_emails()
    recipients = sorted(set(recipients))
    assert incident.regulator_deadline is not None
    deadline_text = timezone.localtime(incident.regulator_deadline).strftime("%a %d %b %Y %H:%M")
    link = settings.SITE_URL.rstrip("/") + reverse(
        "breaches:triage", kwargs={"reference": incident.reference}
    )
    if kind == DeadlineReminder.Kind.MISSED:
        subject = f"MISSED: notification deadline for {incident.reference} passed ({deadline_text})"
        body = "The deadline to notify the regulator has passed and no notification is recorded."
    else:
        left = max(0, int((incident.regulator_deadline - now).total_seconds() // 3600))
        subject = f"{left} hours left {clock_purpose(incident)} for {incident.reference}"
        body = f"The deadline to notify the regulator is {deadline_text}."
    try:
        with transaction.atomic():
            DeadlineReminder.objects.create(
                incident=incident,
                kind=kind,
                hours_before=hours,
                deadline=incident.regulator_deadline,
                sent_at=now,
                recipients=recipients,
            )
            if recipients:
                send_mail(
                    subject=subject,
                    message=f"{body}\n\nIncident: {incident.reference} ({incident.business_unit})"
                    f"\nOpen it: {link}\n",
                    from_email=None,
                    recipient_list=recipients,
                )
    except IntegrityError:
        return 0  # already sent by an earlier (or concurrent) run
    return 1
