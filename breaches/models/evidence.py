"""What a report carries: affected people, breach types, information categories, comments and
evidence."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import HistoryContext
from breaches.models.incident import Incident


class AffectedIndividual(models.Model):
    """A person affected, recorded minimally: a case/client reference and a role, nothing else."""

    class Role(models.TextChoices):
        CLIENT = "client", "Client"
        CHILD = "child", "Child"
        CAREGIVER = "caregiver", "Caregiver"
        STAFF = "staff", "Staff member"
        OTHER = "other", "Other"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    reference = models.CharField(
        max_length=40, help_text="Case or client reference only — never names or file content."
    )
    role = models.CharField(max_length=16, choices=Role.choices)

    history = HistoricalRecords(bases=[HistoryContext])

    class Meta:
        ordering = ["id"]
        verbose_name = "affected person"

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_role_display()})"


class IncidentBreachType(models.Model):
    """One breach type of an incident (rows, so reports can count by type in SQL)."""

    class Type(models.TextChoices):
        UNAUTHORISED_ACCESS = "unauthorised_access", "Unauthorised access"
        UNAUTHORISED_DISCLOSURE = "unauthorised_disclosure", "Unauthorised disclosure"
        ALTERATION = "alteration", "Alteration"
        LOSS = "loss", "Loss"
        DESTRUCTION = "destruction", "Destruction"
        UNAVAILABILITY = "unavailability", "Unavailability"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="breach_types")
    breach_type = models.CharField(max_length=32, choices=Type.choices, db_index=True)

    history = HistoricalRecords(bases=[HistoryContext])

    class Meta:
        verbose_name = "breach type"
        constraints = [
            models.UniqueConstraint(fields=["incident", "breach_type"], name="uniq_breach_type")
        ]

    def __str__(self) -> str:
        return self.get_breach_type_display()


class IncidentInformationCategory(models.Model):
    """One category of personal information involved in an incident."""

    class Category(models.TextChoices):
        CONTACT = "contact", "Contact details"
        IDENTITY_DOCUMENT = "identity_document", "Identity documents"
        FINANCIAL = "financial", "Financial"
        CREDENTIALS = "credentials", "Passwords or credentials"
        HEALTH = "health", "Health"
        CARE_PROTECTION = "care_protection", "Care and protection"
        FAMILY_VIOLENCE = "family_violence", "Family violence"
        CRIMINAL = "criminal", "Criminal history"
        SEXUAL = "sexual", "Sexual life or orientation"
        LOCATION = "location", "Location or address"
        ETHNICITY_RELIGION = "ethnicity_religion", "Ethnicity or religion"
        BIOMETRIC = "biometric", "Biometric"
        EMPLOYMENT = "employment", "Employment"
        CHILDREN = "children", "About children"
        OTHER = "other", "Other"

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="information_categories"
    )
    category = models.CharField(max_length=32, choices=Category.choices, db_index=True)

    history = HistoricalRecords(bases=[HistoryContext])

    class Meta:
        verbose_name = "information category"
        verbose_name_plural = "information categories"
        constraints = [
            models.UniqueConstraint(fields=["incident", "category"], name="uniq_info_category")
        ]

    def __str__(self) -> str:
        return self.get_category_display()


class Comment(models.Model):
    """A note on an incident: shared with the reporter, or internal to officers. Append-only."""

    class Visibility(models.TextChoices):
        SHARED = "shared", "Shared with the reporter"
        INTERNAL = "internal", "Internal to privacy officers"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=5000)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.SHARED
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords(bases=[HistoryContext])

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["incident", "created_at"], name="comment_incident_at")]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.incident.reference}"


def _attachment_path(instance: Attachment, filename: str) -> str:
    # Stored under a random name: the original name is only ever shown, never used on disk.
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """Evidence stored privately; only a scoped view that logs the download serves it."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path, max_length=200)
    original_name = models.CharField(max_length=150)
    content_type = models.CharField(max_length=120)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords(bases=[HistoryContext])

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse(
            "breaches:attachment-download",
            kwargs={"reference": self.incident.reference, "pk": self.pk},
        )
