"""Users, roles, business units and the access log.

Business units form a tree stored as a materialised path (``/national/north/akl-central/``):
a subtree is one indexed ``path LIKE 'prefix%'`` query, never recursion in Python.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Concat, Substr
from django.db.models.lookups import StartsWith
from knox.models import AbstractAuthToken
from simple_history.models import HistoricalRecords

from accounts.request_context import get_request_id


class HistoryContext(models.Model):
    """Extra columns on every history row: the request that made the change."""

    request_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        abstract = True


class BusinessUnit(models.Model):
    """A node of the agency's organisation tree (national office → region → site)."""

    name = models.CharField(max_length=120)
    code = models.SlugField(
        max_length=40,
        unique=True,
        help_text="Short, unique, lower-case code; part of the unit's path.",
        validators=[RegexValidator(r"^[a-z0-9-]+$", "Use lower-case letters, digits and -.")],
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # "/national/north/akl-central/": maintained by save(); never edited by hand.
    path = models.CharField(max_length=600, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)

    history = HistoricalRecords(bases=[HistoryContext])

    class Meta:
        ordering = ["path"]
        indexes = [
            # varchar_pattern_ops lets PostgreSQL use the index for LIKE 'prefix%' whatever the
            # collation; other databases ignore opclasses.
            models.Index(
                fields=["path"], name="unit_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        old_path, old_depth = self.path, self.depth
        self.path = self._computed_path()
        self.depth = self.path.count("/") - 2
        with transaction.atomic():
            super().save(*args, **kwargs)
            if old_path and old_path != self.path:
                # Re-root the whole subtree in one UPDATE.
                BusinessUnit.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                    path=Concat(models.Value(self.path), Substr("path", len(old_path) + 1)),
                    depth=F("depth") + (self.depth - old_depth),
                )

    def clean(self) -> None:
        if self.parent_id and self.pk:
            if self.parent_id == self.pk:
                raise ValidationError({"parent": "A unit cannot be its own parent."})
            if self.parent and self.path and self.parent.path.startswith(self.path):
                raise ValidationError({"parent": "A unit cannot move under one of its own units."})

    def _computed_path(self) -> str:
        prefix = self.parent.path if self.parent else "/"
        return f"{prefix}{self.code}/"

    def path_prefixes(self) -> list[str]:
        """The paths of this unit and every unit above it, root first (no query)."""
        parts = self.path.strip("/").split("/")
        return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


class User(AbstractUser):  # type: ignore[django-manager-missing]  # knox ships no types
    """A member of staff. Every user belongs to one business unit and has one role."""

    class Role(models.TextChoices):
        REPORTER = "reporter", "Staff member (reporter)"
        PRIVACY_OFFICER = "privacy_officer", "Privacy officer"
        CHIEF_PRIVACY_OFFICER = "chief_privacy_officer", "Chief privacy officer"
        EXECUTIVE = "executive", "Executive"
        ADMINISTRATOR = "administrator", "Administrator"

    role = models.CharField(max_length=32, choices=Role.choices, default=Role.REPORTER)
    business_unit = models.ForeignKey(
        BusinessUnit, on_delete=models.PROTECT, related_name="members"
    )
    assigned_units = models.ManyToManyField(
        BusinessUnit,
        blank=True,
        related_name="privacy_officers",
        help_text="Privacy officers see incidents in these units and every unit below them.",
    )

    # Who this person is at the identity provider (single sign-on): the issuer and its stable
    # subject identifier. Empty for local accounts.
    sso_issuer = models.CharField(max_length=400, blank=True, default="", editable=False)
    sso_subject = models.CharField(max_length=255, blank=True, default="", editable=False)

    REQUIRED_FIELDS = ["email", "business_unit"]

    objects: ClassVar[UserManager[Self]] = UserManager()
    history = HistoricalRecords(
        bases=[HistoryContext],
        excluded_fields=["password", "last_login"],
        m2m_fields=[assigned_units],
    )

    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(
                fields=["sso_issuer", "sso_subject"],
                condition=~Q(sso_subject=""),
                name="user_sso_identity_unique",
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def signs_in_with_sso(self) -> bool:
        return bool(self.sso_subject)

    def clean(self) -> None:
        super().clean()
        if self.role == self.Role.ADMINISTRATOR:
            # Administrators use the Django admin; nobody else does.
            self.is_staff = True

    @property
    def is_privacy_officer(self) -> bool:
        return self.role == self.Role.PRIVACY_OFFICER

    @property
    def is_chief_privacy_officer(self) -> bool:
        return self.role == self.Role.CHIEF_PRIVACY_OFFICER

    @property
    def is_executive(self) -> bool:
        return self.role == self.Role.EXECUTIVE

    @property
    def is_administrator(self) -> bool:
        return self.role == self.Role.ADMINISTRATOR

    @property
    def is_officer(self) -> bool:
        """A privacy officer or the chief privacy officer."""
        return self.role in {self.Role.PRIVACY_OFFICER, self.Role.CHIEF_PRIVACY_OFFICER}

    def covered_unit_ids(self) -> list[int]:
        """Ids of every unit in the subtrees a privacy officer is assigned to, in one query
        (cached per instance). Scoping filters incidents on these ids rather than on their
        unit's path: no join, and PostgreSQL can count an officer's incidents from an index
        alone (docs/performance.md)."""
        cached: list[int] | None = getattr(self, "_covered_unit_ids", None)
        if cached is None:
            assigned = self.assigned_units.filter(StartsWith(OuterRef("path"), F("path")))
            cached = list(
                BusinessUnit.objects.filter(Exists(assigned))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            self._covered_unit_ids = cached
        return cached


class AppendOnlyQuerySet(models.QuerySet):
    """A queryset that refuses bulk updates and deletes: the rows are history."""

    def update(self, **kwargs: Any) -> int:
        raise PermissionError(f"{self.model.__name__} rows are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError(f"{self.model.__name__} rows are append-only")


class AccessEvent(models.Model):
    """One read of sensitive content: an incident opened, a file downloaded, an export made.

    The register holds sensitive information itself, so it logs its own reads. Append-only:
    the model refuses updates and deletes, and on PostgreSQL a trigger does too.
    """

    class Action(models.TextChoices):
        VIEW = "view", "Opened incident"
        DOWNLOAD = "download", "Downloaded attachment"
        EXPORT = "export", "Exported register"
        REPORT_DOWNLOAD = "report_download", "Downloaded report"
        DRAFT_DOWNLOAD = "draft_download", "Downloaded draft"
        API_VIEW = "api_view", "Read incident through the API"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="access_events")
    action = models.CharField(max_length=32, choices=Action.choices)
    incident = models.ForeignKey(
        "breaches.Incident",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="access_events",
    )
    # What exactly was read: an attachment id, an export's filter, a report's quarter.
    detail = models.JSONField(default=dict, blank=True)
    path = models.CharField(max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["incident", "-at"], name="access_incident_at")]

    def __str__(self) -> str:
        return f"{self.user} {self.get_action_display()} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Access events are append-only")
        if not self.request_id:
            self.request_id = get_request_id()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Access events are append-only")


class RoleGrant(models.Model):
    """A request to give someone a role, and its decision (SPEC §3: nobody grants themselves
    power). A privileged role takes effect only when a second person approves it: the chief
    privacy officer for privacy officer, chief privacy officer and executive; another
    administrator for administrator. Rows are kept for good: they are the audit the CPO reads.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="role_grants")
    role = models.CharField(max_length=32, choices=User.Role.choices)
    previous_role = models.CharField(max_length=32, choices=User.Role.choices)
    reason = models.TextField(max_length=2000)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(max_length=2000, blank=True)

    history = HistoricalRecords(bases=[HistoryContext])

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_role_display()} ({self.get_status_display()})"


class ApiToken(AbstractAuthToken):
    """A person's API token (django-rest-knox): only its SHA-512 digest and first characters
    are stored; it expires, and its owner lists and revokes it on /account/tokens/."""

    # Declared here (knox's abstract model declares the same) so the type checker sees it.
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="auth_token_set")
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.token_key}… ({self.name or 'unnamed'})"


#: The jurisdictions whose rule sets the triage engine provides (SPEC §4), as the organisation's
#: default may name them. Said here, in the lowest app, so the settings page needs nothing from
#: ``breaches``; a test checks they are ``breaches.models.Incident.Jurisdiction``'s and the
#: engine's.
JURISDICTION_CHOICES: tuple[tuple[str, str], ...] = (
    ("NZ", "New Zealand (Privacy Act 2020)"),
    ("GDPR", "European Union (GDPR)"),
    ("AU", "Australia (Notifiable Data Breaches)"),
)
#: The longest notification target and reminder point, in hours (AU allows 30 days to assess).
MAX_SETTING_HOURS = 720


class OrganisationSettings(models.Model):
    """The organisation's settings (SPEC §9): one row at most, edited by administrators on
    /settings/ (``accounts.organisation``), every change on its history with who and why.

    There is no row until an administrator first saves the page: until then the environment's
    values (``config/settings.py``) are the settings, and afterwards they are ignored.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    agency_name = models.CharField(
        max_length=200, help_text="As printed on draft notifications and quarterly reports."
    )
    default_jurisdiction = models.CharField(
        max_length=8,
        choices=JURISDICTION_CHOICES,
        help_text="The rule set triage uses for an incident that does not name its own.",
    )
    nz_target_hours = models.PositiveSmallIntegerField(
        help_text="New Zealand: hours from awareness by which the Commissioner is notified."
    )
    # Comma-separated, largest first ("48,24"): a text column reads plainly on the history.
    reminder_hours = models.CharField(
        max_length=100,
        validators=[RegexValidator(r"^[1-9][0-9]{0,2}(,[1-9][0-9]{0,2})*$", "Hours, e.g. 48,24.")],
        help_text="Officers are reminded when this many hours are left before a deadline.",
    )
    # Raised by every save: a form made from an older version is refused (a stale page).
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords(bases=[HistoryContext])

    class Meta:
        verbose_name = "organisation settings"
        verbose_name_plural = "organisation settings"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="organisation_settings_singleton"),
            models.CheckConstraint(
                condition=Q(nz_target_hours__gte=1, nz_target_hours__lte=MAX_SETTING_HOURS),
                name="organisation_target_hours_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Settings of {self.agency_name}"
