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
        REGULATOR = "regulator", "The regulator (Privacy Commissioner)"
        INDIVIDUALS = "individuals", "Affected individuals"

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
