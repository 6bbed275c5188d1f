"""Retention and disposal (SPEC §9, docs/governance.md): how long incidents are kept after they
are closed, the legal holds that stop their disposal, the disposal runs the chief privacy
officer approves, and the append-only record each disposal leaves.

The rules follow the Public Records Act 2005: a public office disposes of records only under an
approved disposal authority, so a rule names the authority it applies, an administrator proposes
it and it takes effect only when the chief privacy officer (a second person) approves it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import AppendOnlyQuerySet, HistoryContext
from breaches.models import Incident, RegulatorDecision
from breaches.models.incident import REFERENCE_MAX_LENGTH

# The longest a rule may keep records: beyond this a schedule says "retain as archives".
MAX_RETENTION_YEARS = 100


class RetentionRuleQuerySet(models.QuerySet["RetentionRule"]):
    def in_force(self) -> RetentionRuleQuerySet:
        return self.filter(status=RetentionRule.Status.IN_FORCE)

    def waiting(self) -> RetentionRuleQuerySet:
        return self.filter(status=RetentionRule.Status.PROPOSED)


class RetentionRule(models.Model):
    """How many years after closure the incidents of one class are kept: one row per version.

    A class is a kind and, for breaches, whether the breach was notifiable (a near miss never
    is). A new version is *proposed* by an administrator and is *in force* once the chief
    privacy officer, who did not propose it, approves it; the version it replaces is then
    *superseded*. Without a rule in force for a class, nothing of that class is ever due.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Waiting for the chief privacy officer"
        IN_FORCE = "in_force", "In force"
        REFUSED = "refused", "Refused"
        SUPERSEDED = "superseded", "Superseded"

    kind = models.CharField(max_length=16, choices=Incident.Kind.choices)
    notifiable = models.BooleanField(
        default=False, help_text="Breaches only: the rule for breaches that were notifiable."
    )
    years = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RETENTION_YEARS)],
        help_text="Kept this many years after the incident was closed, then disposed of.",
    )
    authority = models.CharField(
        max_length=200,
        help_text="The disposal authority and class this follows (Public Records Act 2005), "
        "e.g. “DA 1234, class 2.1”.",
    )
    reason = models.TextField(max_length=2000, help_text="Why this rule, or why the change.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(max_length=2000, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = RetentionRuleQuerySet.as_manager()
    history = HistoricalRecords(bases=[HistoryContext])

    class Meta:
        ordering = ["kind", "-notifiable", "-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="near_miss", notifiable=True), name="near_miss_never_notifiable"
            ),
            models.CheckConstraint(
                condition=Q(years__gte=1, years__lte=MAX_RETENTION_YEARS),
                name="retention_years_range",
            ),
            # One version in force, and one waiting, per class.
            models.UniqueConstraint(
                fields=["kind", "notifiable"],
                condition=Q(status="in_force"),
                name="one_rule_in_force_per_class",
            ),
            models.UniqueConstraint(
                fields=["kind", "notifiable"],
                condition=Q(status="proposed"),
                name="one_rule_waiting_per_class",
            ),
        ]

    def __str__(self) -> str:
        years = f"{self.years} year" if self.years == 1 else f"{self.years} years"
        return f"{self.class_label}: {years} after closure ({self.authority})"

    @property
    def class_label(self) -> str:
        return class_label(self.kind, self.notifiable)

    def matches(self) -> Q:
        """The incidents of this rule's class (``Incident`` fields)."""
        return incidents_of_class(self.kind, self.notifiable)


def class_label(kind: str, notifiable: bool) -> str:
    if kind == Incident.Kind.NEAR_MISS:
        return "Near misses"
    return "Notifiable breaches" if notifiable else "Breaches not notifiable"


#: The classes a rule may be for, in the order the pages show them.
CLASSES: tuple[tuple[str, bool], ...] = (
    (Incident.Kind.BREACH, True),
    (Incident.Kind.BREACH, False),
    (Incident.Kind.NEAR_MISS, False),
)


def incidents_of_class(kind: str, notifiable: bool) -> Q:
    """The incidents of a retention class. A breach counts as notifiable unless the decision in
    force says it was not (``no``): a breach closed with no decision recorded is kept as long as
    a notifiable one, so doubt keeps a record longer, never shorter (docs/governance.md)."""
    if kind == Incident.Kind.NEAR_MISS:
        return Q(kind=Incident.Kind.NEAR_MISS)
    not_notifiable = Q(decision_notify_regulator=RegulatorDecision.DO_NOT_NOTIFY)
    return Q(kind=Incident.Kind.BREACH) & (~not_notifiable if notifiable else not_notifiable)


def years_before(moment: datetime, years: int) -> datetime:
    """The same day and time ``years`` years earlier, in the organisation's time zone (29
    February becomes the 28th)."""
    return _shift(moment, -years)


def years_after(moment: datetime, years: int) -> datetime:
    """The same day and time ``years`` years later (29 February becomes the 28th)."""
    return _shift(moment, years)


def _shift(moment: datetime, years: int) -> datetime:
    local = timezone.localtime(moment)
    try:
        return local.replace(year=local.year + years)
    except ValueError:
        return local.replace(year=local.year + years, day=28)


class LegalHoldQuerySet(models.QuerySet["LegalHold"]):
    def active(self) -> LegalHoldQuerySet:
        return self.filter(released_at__isnull=True)


class LegalHold(models.Model):
    """A hold on an incident: while it stands, the incident is never disposed of (litigation, a
    complaint to the Human Rights Review Tribunal, an official information request...).

    Placed and released by the chief privacy officer or a privacy officer handling the incident;
    a released hold stays, with who released it and why.
    """

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="legal_holds")
    reason = models.TextField(max_length=2000)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(default=timezone.now)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.TextField(max_length=2000, blank=True)

    objects = LegalHoldQuerySet.as_manager()
    history = HistoricalRecords(bases=[HistoryContext])

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident"],
                condition=Q(released_at__isnull=True),
                name="one_active_hold_per_incident",
            )
        ]

    def __str__(self) -> str:
        state = "released" if self.released_at else "active"
        return f"Hold on {self.incident.reference} ({state})"

    @property
    def is_active(self) -> bool:
        return self.released_at is None


class DisposalRun(models.Model):
    """One disposal: the incidents found due, previewed and approved by the chief privacy
    officer, then carried out by a worker (a job as a row, claimed with a conditional UPDATE).

    Proposed monthly by beat (``proposed_by`` empty) or by the chief privacy officer on demand;
    a newer proposal supersedes one still waiting. Nothing is disposed of before approval.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Waiting for approval"
        APPROVED = "approved", "Approved: waiting for the worker"
        RUNNING = "running", "Disposing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed: will be tried again"
        CANCELLED = "cancelled", "Cancelled"
        SUPERSEDED = "superseded", "Superseded by a newer proposal"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    # The moment the incidents were found due.
    as_of = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(max_length=2000, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The Celery task holding the job (a redelivery of the same message may take it back).
    task_id = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(blank=True)
    # How many incidents it lists (its items), and what became of them once carried out.
    listed = models.PositiveIntegerField(default=0)
    disposed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)

    history = HistoricalRecords(
        bases=[HistoryContext],
        # The job's own bookkeeping changes by UPDATE only; the history is who did what.
        excluded_fields=["attempts", "task_id", "last_error", "started_at"],
    )

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="proposed"), name="one_run_waiting"
            )
        ]

    def __str__(self) -> str:
        return f"Disposal run {self.pk} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("governance:run-detail", kwargs={"pk": self.pk})

    @property
    def is_waiting(self) -> bool:
        return self.status == self.Status.PROPOSED


class DisposalItem(models.Model):
    """One incident a run lists, with the rule that makes it due and the closure it counts from;
    then what became of it: disposed of, or skipped with the reason (no longer due)."""

    class Status(models.TextChoices):
        LISTED = "listed", "Listed"
        DISPOSED = "disposed", "Disposed of"
        SKIPPED = "skipped", "Kept: no longer due"

    run = models.ForeignKey(DisposalRun, on_delete=models.PROTECT, related_name="items")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(RetentionRule, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.LISTED)
    note = models.CharField(max_length=300, blank=True)
    # Storage names of the incident's files still to delete once its rows are disposed of
    # (emptied as they go: a retried run finishes the job).
    files = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["closed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "incident"], name="one_item_per_incident")
        ]
        indexes = [
            models.Index(fields=["incident", "status"], name="disposal_item_incident"),
            # A run's page, in its order, read from the index (a run may list thousands).
            models.Index(fields=["run", "closed_at", "id"], name="disposal_item_run_order"),
        ]

    def __str__(self) -> str:
        return f"Run {self.run_id}: incident {self.incident_id} ({self.get_status_display()})"

    @property
    def due_on(self) -> datetime:
        """When its retention ended: closure plus the rule's years."""
        return years_after(self.closed_at, self.rule.years)


class DisposalRecord(models.Model):
    """What was disposed of, when, under which rule and on whose approval. Append-only: the
    model refuses updates and deletes, and a database trigger does too (accounts.append_only).

    Its existence is also what lets the database blank the incident's personal columns in the
    append-only tables (``accounts.append_only.REDACTABLE``), so it is written first.
    """

    incident = models.OneToOneField(
        Incident, on_delete=models.PROTECT, related_name="disposal_record"
    )
    reference = models.CharField(max_length=REFERENCE_MAX_LENGTH)
    run = models.ForeignKey(DisposalRun, on_delete=models.PROTECT, related_name="records")
    rule = models.ForeignKey(RetentionRule, on_delete=models.PROTECT, related_name="+")
    # The rule as it read when applied ("Notifiable breaches: 7 years after closure (DA 1234)").
    rule_text = models.CharField(max_length=300)
    closed_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField()
    disposed_at = models.DateTimeField(default=timezone.now)
    # What was removed: rows and files by kind, and the fields blanked (docs/governance.md).
    removed = models.JSONField(default=dict)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-disposed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} disposed of {self.disposed_at:%Y-%m-%d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Disposal records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Disposal records are append-only")
