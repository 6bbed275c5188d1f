"""Triage records: assessments (facts, result, rule-set version), signed decisions and deadline
reminders."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from breaches.models.incident import Answer, Incident, RegulatorDecision, Severity


class AssessmentQuerySet(models.QuerySet["Assessment"]):
    def latest_first(self) -> AssessmentQuerySet:
        return self.order_by("-created_at", "-id")

    def latest_for(self, incident: Incident) -> Assessment | None:
        """The assessment a decision must be made against: the incident's newest."""
        return self.filter(incident=incident).latest_first().select_related("created_by").first()


class DecisionQuerySet(models.QuerySet["Decision"]):
    def current(self) -> DecisionQuerySet:
        """Decisions in force: those no later decision supersedes (one per incident)."""
        return self.filter(superseded_by__isnull=True)


class Assessment(models.Model):
    """One run of the triage engine on an incident: the facts, the result, the rule-set version.

    Stored whole, so an old assessment can be re-read exactly with the version it used.
    Append-only.
    """

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="assessments")
    facts = models.JSONField()
    result = models.JSONField()
    rule_set = models.CharField(max_length=40)
    jurisdiction = models.CharField(max_length=8, choices=Incident.Jurisdiction.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    notify_regulator = models.CharField(max_length=16, choices=Answer.choices)
    notify_individuals = models.CharField(max_length=16, choices=Answer.choices)
    regulator_deadline = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        get_latest_by = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.incident.reference} assessed {self.severity} ({self.rule_set})"


class Decision(models.Model):
    """The officer's signed decision on notification. Never overwritten: a new one supersedes."""

    Regulator = RegulatorDecision

    class Individuals(models.TextChoices):
        NOTIFY = "yes", "Notify affected individuals"
        DO_NOT_NOTIFY = "no", "Do not notify individuals"
        EXCEPTION = "exception", "A lawful exception applies"
        DELAY = "delay", "Delay notifying (lawful ground)"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="decisions")
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="decisions")
    notify_regulator = models.CharField(max_length=8, choices=Regulator.choices)
    notify_individuals = models.CharField(max_length=16, choices=Individuals.choices)
    ground = models.TextField(
        blank=True, help_text="The lawful ground for an exception or a delay (e.g. NZ s116)."
    )
    rationale = models.TextField(blank=True)
    differs_from_recommendation = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["decided_at", "id"]
        get_latest_by = ["decided_at", "id"]

    def __str__(self) -> str:
        return f"{self.incident.reference}: regulator {self.notify_regulator} by {self.decided_by}"


class DeadlineReminder(models.Model):
    """A reminder sent about a regulator deadline; the unique key makes each one send once."""

    class Kind(models.TextChoices):
        APPROACHING = "approaching", "Deadline approaching"
        MISSED = "missed", "Deadline missed"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="reminders")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    hours_before = models.PositiveIntegerField(default=0)
    deadline = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "kind", "hours_before", "deadline"], name="uniq_reminder"
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident.reference}: {self.get_kind_display()}"
