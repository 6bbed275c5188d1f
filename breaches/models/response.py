"""The response to an incident: notifications made, and remediation and prevention actions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import HistoryContext


class Notification(models.Model):
    """A notification made (to the regulator or affected people), or the reason it was not.

    Append-only: a correction is a new record.
    """

    class Recipient(models.TextChoices):
        REGULATOR = "regulator", "The regulator"
        INDIVIDUALS = "individuals", "Affected individuals"

    class Stage(models.TextChoices):
        """A notification to the regulator may be given in phases (NZ s114, GDPR Art. 33(4))."""

        INITIAL = "initial", "Initial"
        UPDATE = "update", "Update"
        FINAL = "final", "Final"

    class Method(models.TextChoices):
        ONLINE_FORM = "online_form", "Online form"
        EMAIL = "email", "E-mail"
        LETTER = "letter", "Letter"
        PHONE = "phone", "Phone"
        IN_PERSON = "in_person", "In person"
        PUBLIC_NOTICE = "public_notice", "Public notice"
        NOT_NOTIFIED = "not_notified", "Not notified (reason recorded)"

    incident = models.ForeignKey(
        "breaches.Incident", on_delete=models.PROTECT, related_name="notifications"
    )
    recipient = models.CharField(max_length=16, choices=Recipient.choices)
    method = models.CharField(max_length=16, choices=Method.choices)
    stage = models.CharField(max_length=8, choices=Stage.choices, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    reference_number = models.CharField(max_length=80, blank=True)
    reason = models.TextField(blank=True, help_text="Why not notified, or why delayed.")
    on_time = models.BooleanField(null=True, help_text="Against the regulator deadline.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return (
            f"{self.incident.reference}: {self.get_recipient_display()} {self.get_method_display()}"
        )


class IndividualNotice(models.Model):
    """The notice to one affected person, or a public notice with its reason (SPEC §4.4).

    A row moves from planned to sent to its outcome; every change is kept in its history.
    Where a person who may pose a risk could receive or see it (``safety_check_required``),
    it cannot be marked sent until a safety check and a safe channel are recorded.
    """

    class Channel(models.TextChoices):
        LETTER = "letter", "Letter"
        EMAIL = "email", "E-mail"
        PHONE = "phone", "Phone"
        IN_PERSON = "in_person", "In person"
        REPRESENTATIVE = "representative", "Through a representative or advocate"
        PUBLIC_NOTICE = "public_notice", "Public notice"

    class Outcome(models.TextChoices):
        PLANNED = "planned", "Not sent yet"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        RETURNED = "returned", "Returned"
        WITHHELD = "withheld", "Withheld (ground recorded)"

    incident = models.ForeignKey(
        "breaches.Incident", on_delete=models.PROTECT, related_name="notices"
    )
    # The person told; empty for a public notice.
    affected = models.ForeignKey(
        "breaches.AffectedIndividual",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
    )
    is_public = models.BooleanField(default=False)
    public_reason = models.TextField(blank=True, help_text="Why a public notice was used.")
    channel = models.CharField(max_length=16, choices=Channel.choices, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PLANNED)
    withheld_ground = models.TextField(blank=True)
    # When it should be sent by; ``sent_at`` after it is late (the quarterly figures count it).
    due_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    safety_check_required = models.BooleanField(default=False)
    safety_check = models.TextField(blank=True)
    safe_channel = models.TextField(blank=True)
    safety_checked_at = models.DateTimeField(null=True, blank=True)
    safety_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(bases=[HistoryContext])

    class Meta:
        ordering = ["incident", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "affected"],
                condition=models.Q(affected__isnull=False),
                name="uniq_notice_per_person",
            )
        ]
        indexes = [models.Index(fields=["sent_at"], name="notice_sent")]

    def __str__(self) -> str:
        who = "Public notice" if self.is_public else str(self.affected)
        return f"{who}: {self.get_outcome_display()}"


class NotificationContent(models.Model):
    """What the drafts need that the report does not hold (SPEC §4.4): written by the
    incident's officers, changed with history. The drafts' completeness check names what is
    still empty for the incident's law."""

    incident = models.OneToOneField(
        "breaches.Incident", on_delete=models.PROTECT, related_name="notification_content"
    )
    contact_point = models.TextField(
        blank=True, help_text="Who people and the regulator can contact, and how."
    )
    likely_consequences = models.TextField(blank=True)
    measures_taken = models.TextField(
        blank=True, help_text="Measures taken or proposed to address it and reduce harm."
    )
    advice_to_individuals = models.TextField(
        blank=True, help_text="Steps the people affected can take to protect themselves."
    )
    other_agencies = models.TextField(
        blank=True, help_text="Other agencies told (or to be told), and why."
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(bases=[HistoryContext])

    def __str__(self) -> str:
        return f"notification content of incident {self.incident_id}"


class AnonymousFollowUp(models.Model):
    """The one link between an anonymous report and whoever holds its follow-up code: the
    code's hash, nothing about the sender (SPEC §2)."""

    incident = models.OneToOneField(
        "breaches.Incident", on_delete=models.PROTECT, related_name="anonymous_follow_up"
    )
    code_hash = models.CharField(max_length=128, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"follow-up of incident {self.incident_id}"


# The change reasons of the history rows written when an incident is closed with open actions:
# what was decided for each action, by whom (``history_user``) and when (``history_date``).
DONE_ON_CLOSING = "marked done on closing the incident"
CARRIED_OVER_ON_CLOSING = "carried over on closing the incident"


class ActionQuerySet(models.QuerySet["Action"]):
    def overdue(self) -> ActionQuerySet:
        """Open actions whose due date has passed (in the organisation's time zone)."""
        return self.filter(status=Action.Status.OPEN, due_date__lt=timezone.localdate())

    def open(self) -> ActionQuerySet:
        return self.filter(status=Action.Status.OPEN)


class Action(models.Model):
    """A remediation or prevention task, owned by a member of staff who can see its incident
    when it is given to them (``breaches.response.actions.action_create`` checks it)."""

    class Kind(models.TextChoices):
        REMEDIATION = "remediation", "Remediation"
        PREVENTION = "prevention", "Prevention"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    incident = models.ForeignKey(
        "breaches.Incident", on_delete=models.PROTECT, related_name="actions"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.REMEDIATION)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="actions"
    )
    due_date = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Set once the owner has been reminded that it fell due (sent once, by the scheduler).
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Why the last reminder could not be sent (the next run tries again); empty once sent.
    reminder_error = models.CharField(max_length=500, blank=True, editable=False)
    # Set when the incident was closed with this action still open and the officer chose to
    # carry it over (it stays open, owned and due as it was): when, and why. The history row
    # written then (``CARRIED_OVER_ON_CLOSING``) says who.
    carried_over_at = models.DateTimeField(null=True, blank=True, editable=False)
    carry_over_reason = models.TextField(blank=True, editable=False)

    objects = ActionQuerySet.as_manager()

    history = HistoricalRecords(bases=[HistoryContext])

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["status", "due_date"], name="action_status_due")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_date < timezone.localdate()
