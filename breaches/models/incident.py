"""The incident record and the one scoping chokepoint (SPEC §2, §3).

Every read of incidents — pages, API, exports, reports, jobs — starts from
``Incident.objects.visible_to(user)``. Nothing else decides who sees an incident.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OrderBy,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import Length
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts import organisation
from accounts.models import BusinessUnit, HistoryContext, User
from breaches.models.response import Action

# An incident reference: the year and its number, zero-padded to five digits and as long as it
# needs beyond (PBR-2026-00042, PBR-2026-100000); see ``next_reference``. The number is at most
# what the year's 64-bit counter holds, 19 digits: a longer one never reaches a view or a query.
# ASCII digits only (``\d`` would take any script's).
REFERENCE_MIN_DIGITS = 5
REFERENCE_MAX_DIGITS = len(str(2**63 - 1))
REFERENCE_PATTERN = rf"PBR-[0-9]{{4}}-[0-9]{{{REFERENCE_MIN_DIGITS},{REFERENCE_MAX_DIGITS}}}"
REFERENCE_MAX_LENGTH = len("PBR-2026-") + REFERENCE_MAX_DIGITS


def reference_order(*, descending: bool = False) -> list[OrderBy]:
    """Order by reference as numbers, year first: as text PBR-2026-100000 would come before
    PBR-2026-99999. Within a year a longer number is a larger one, and numbers of one length sort
    as text; the index ``incident_reference_order`` holds exactly these three keys. The year's
    positions are written into the SQL, not bound: SQLite uses an index on an expression only
    for the very same expression, and a bound ``?`` is not ``1``."""
    year = Func(
        F("reference"), template="SUBSTR(%(expressions)s, 1, 8)", output_field=models.CharField()
    )
    keys: list[Any] = [year, Length("reference"), F("reference")]
    return [k.desc() if descending else k.asc() for k in keys]


class Answer(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    UNCERTAIN = "uncertain", "Uncertain: the officer must decide"


class RegulatorDecision(models.TextChoices):
    """The officer's signed answer to "notify the regulator?" (``Decision.Regulator``)."""

    NOTIFY = "yes", "Notify the regulator"
    DO_NOT_NOTIFY = "no", "Not notifiable"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class IncidentQuerySet(models.QuerySet["Incident"]):
    """Queries over incidents; :meth:`visible_to` is the only door in."""

    def count(self) -> int:
        """The number of rows. A privacy officer's scope is an OR of conditions that no one
        index answers, so PostgreSQL counted their incidents row by row (a third of 100,000 in
        40 ms, docs/performance.md). Counted instead as the sum of its disjoint parts — their
        units' unrestricted incidents, their own reports elsewhere, the restricted ones naming
        them — each with the other filters and read from an index, in one statement.

        Each part lies inside the scope by construction, so however the query was narrowed,
        nothing outside the scope is ever counted."""
        query = self.query
        # Set by ``visible_to`` on the query, which its clones copy: where it put the scope's
        # condition among the query's, and the disjoint parts whose union it is.
        at: int | None = getattr(query, "scope_at", None)
        scope_parts: tuple[Q, ...] = getattr(query, "scope_parts", ())
        if (
            not scope_parts
            or at is None
            or self._result_cache is not None
            or query.is_sliced
            or query.distinct
            or query.combinator
            or query.group_by is not None
            or query.is_empty()
            or at >= len(query.where.children)
            or getattr(query.where.children[at], "connector", None) != "OR"
        ):
            return super().count()
        parts = []
        for part in scope_parts:
            unscoped = self.order_by()
            unscoped.query.where.children.pop(at)
            narrowed = unscoped.filter(part).values("pk")
            try:
                sql, params = narrowed.query.sql_with_params()
            except EmptyResultSet:  # a part that cannot hold a row (an officer with no units)
                continue
            # Django's own SQL for the part, its values still parameters.
            parts.append((f"(SELECT COUNT(*) FROM ({sql}) AS part)", params))  # noqa: S608
        if not parts:
            return 0
        statement = "SELECT " + " + ".join(sql for sql, _ in parts)
        with connections[self.db].cursor() as cursor:
            cursor.execute(statement, [p for _, params in parts for p in params])
            return int(cursor.fetchone()[0])

    def visible_to(self, user: Any) -> IncidentQuerySet:
        """The incidents ``user`` may see, exactly as the table in SPEC §3 says.

        - everyone (every member of staff is a reporter): the incidents they reported;
        - a privacy officer: also every incident in the unit subtrees they are assigned;
        - the chief privacy officer: every incident;
        - executives and administrators: nothing beyond their own reports (executives read
          aggregates, administrators configuration);
        - restricted incidents: only the people named on them and the chief privacy officer,
          whatever the rules above say — the reporter included, unless named.
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == User.Role.CHIEF_PRIVACY_OFFICER:
            return self.all()

        scope = Q(reporter_id=user.pk)
        if user.role != User.Role.PRIVACY_OFFICER:
            return self.filter(
                (scope & Q(is_restricted=False)) | (Q(is_restricted=True) & _named(user))
            )
        units = Q(business_unit_id__in=user.covered_unit_ids())
        visible = self.filter(
            ((scope | units) & Q(is_restricted=False)) | (Q(is_restricted=True) & _named(user))
        )
        # For ``count``: the scope's condition is the one just added, and its parts.
        visible.query.scope_at = len(self.query.where.children)  # type: ignore[attr-defined]  # the register's own note on the query
        visible.query.scope_parts = (  # type: ignore[attr-defined]  # (read back in count)
            units & Q(is_restricted=False),
            scope & Q(is_restricted=False) & ~units,
            Q(is_restricted=True) & Q(_named(user)),
        )
        return visible

    def handled_by(self, user: Any) -> IncidentQuerySet:
        """The incidents ``user`` *handles* as a privacy officer: triages, notifies, closes.

        The CPO handles every incident; a privacy officer those in their assigned subtrees, and
        a restricted one only when named on it. Reporting an incident never makes anyone its
        handler. ``breaches.permissions.handles`` is the same rule for one loaded incident.
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == User.Role.CHIEF_PRIVACY_OFFICER:
            return self.all()
        if user.role != User.Role.PRIVACY_OFFICER:
            return self.none()
        return self.filter(_handled(user))

    def with_handled(self, user: Any) -> IncidentQuerySet:
        """Each row's ``is_handled``: does ``user`` handle it (``handled_by``)? Written on
        the row itself, not as a second look-up of the table (which PostgreSQL answered by
        hashing every incident's id for each list the CPO read)."""
        if user is None or not user.is_authenticated or not user.is_active:
            handled: Any = Value(False)
        elif user.role == User.Role.CHIEF_PRIVACY_OFFICER:
            handled = Value(True)
        elif user.role != User.Role.PRIVACY_OFFICER:
            handled = Value(False)
        else:
            handled = Case(When(_handled(user), then=Value(True)), default=Value(False))
        return self.annotate(is_handled=ExpressionWrapper(handled, output_field=BooleanField()))

    def clock_running(self) -> IncidentQuerySet:
        """Breaches whose regulator clock runs: the SQL twin of ``Incident.clock_running``."""
        return self.filter(
            kind=Incident.Kind.BREACH,
            regulator_deadline__isnull=False,
            regulator_notified_at__isnull=True,
        ).exclude(decision_notify_regulator=RegulatorDecision.DO_NOT_NOTIFY)

    def open(self) -> IncidentQuerySet:
        """Incidents not closed (the SQL twin of ``Incident.is_open``)."""
        return self.filter(status__in=Incident.OPEN_STATUSES)

    def countable_by(self, user: Any) -> IncidentQuerySet:
        """The incidents that may be *counted* in aggregates shown to ``user``.

        Executives and the chief privacy officer see agency-wide totals, in which no single
        incident can be picked out; privacy officers count what they may see; nobody else
        gets figures.
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role in {User.Role.EXECUTIVE, User.Role.CHIEF_PRIVACY_OFFICER}:
            return self.all()
        if user.role == User.Role.PRIVACY_OFFICER:
            return self.visible_to(user)
        return self.none()

    def for_agency_report(self) -> IncidentQuerySet:
        """Every incident, for the agency-wide quarterly report: aggregates only, which is why
        restricted incidents may be counted here (its lists leave them out)."""
        return self.all()

    def with_list_columns(self) -> IncidentQuerySet:
        """Join what a register row shows, so a page costs the same queries at any size.
        (The officers' lists add ``to_tell``, ``breaches.models.notices.people_to_tell``.)"""
        overdue = Action.objects.overdue().filter(incident_id=OuterRef("pk"))
        return self.select_related("business_unit", "reporter").annotate(
            has_overdue_actions=Exists(overdue)
        )


def _handled(user: Any) -> Q:
    """A privacy officer handles the unrestricted incidents of their units, and the restricted
    ones naming them."""
    units = Q(business_unit_id__in=user.covered_unit_ids())
    return (units & Q(is_restricted=False)) | (Q(is_restricted=True) & Q(_named(user)))


def _named(user: Any) -> Exists:
    """Is ``user`` named on the (restricted) incident of the outer query?"""
    return Exists(
        Incident.restricted_to.through.objects.filter(incident_id=OuterRef("pk"), user_id=user.pk)
    )


class ReferenceCounter(models.Model):
    """The last incident number used in a year, for human-friendly references (PBR-2026-00042)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    # 64-bit: a year never runs out of numbers (REFERENCE_MAX_DIGITS).
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Incident(models.Model):
    """One report of a privacy breach or near miss."""

    class Kind(models.TextChoices):
        BREACH = "breach", "Breach"
        NEAR_MISS = "near_miss", "Near miss"

    class Status(models.TextChoices):
        REPORTED = "reported", "Reported"
        TRIAGE = "triage", "In triage"
        ASSESSED = "assessed", "Assessed"
        NOTIFYING = "notifying", "Notifying"
        REMEDIATION = "remediation", "Remediation"
        CLOSED = "closed", "Closed"
        REOPENED = "reopened", "Reopened"

    class OccurredPrecision(models.TextChoices):
        EXACT = "exact", "Exact"
        APPROXIMATE = "approximate", "Approximate"
        UNKNOWN = "unknown", "Unknown"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        PAPER = "paper", "Paper"
        VERBAL = "verbal", "Verbal"
        SYSTEM_ACCESS = "system_access", "System access"
        SCREENSHOT_PHOTO = "screenshot_photo", "Screenshot or photo"
        POST = "post", "Post"
        LOST_DEVICE = "lost_device", "Lost device"
        OTHER = "other", "Other"

    class Cause(models.TextChoices):
        WRONG_RECIPIENT = "wrong_recipient", "Human error: wrong recipient"
        MISADDRESSED = "misaddressed", "Human error: misaddressed post or email"
        PAPERS_UNSECURED = "papers_unsecured", "Human error: papers left unsecured"
        DELIBERATE_MISUSE = "deliberate_misuse", "Deliberate misuse by staff"
        SYSTEM_FAULT = "system_fault", "System or process fault"
        MALICIOUS_THIRD_PARTY = "malicious_third_party", "Malicious third party"
        OTHER = "other", "Other"

    class Reporting(models.TextChoices):
        """How the reporter chose to be known (SPEC §2 "Confidential report")."""

        NAMED = "named", "Named"
        CONFIDENTIAL = "confidential", "Confidential: only the chief privacy officer sees who"
        ANONYMOUS = "anonymous", "Anonymous: no account linked"

    class Discovery(models.TextChoices):
        """How the incident came to light (the reporting-culture figures)."""

        SELF_REPORTED = "self_reported", "I made the mistake myself"
        COLLEAGUE = "colleague", "A colleague noticed it"
        CLIENT_OR_PUBLIC = "client_or_public", "A client or member of the public told us"
        AUDIT = "audit", "An audit or check found it"
        SYSTEM_ALERT = "system_alert", "A system alert"

    class Jurisdiction(models.TextChoices):
        NZ = "NZ", "New Zealand (Privacy Act 2020)"
        GDPR = "GDPR", "European Union (GDPR)"
        AU = "AU", "Australia (Notifiable Data Breaches)"

    OPEN_STATUSES = frozenset(
        {
            Status.REPORTED,
            Status.TRIAGE,
            Status.ASSESSED,
            Status.NOTIFYING,
            Status.REMEDIATION,
            Status.REOPENED,
        }
    )

    reference = models.CharField(max_length=REFERENCE_MAX_LENGTH, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REPORTED)

    occurred_at = models.DateTimeField(null=True, blank=True)
    occurred_precision = models.CharField(
        max_length=16, choices=OccurredPrecision.choices, default=OccurredPrecision.UNKNOWN
    )
    aware_at = models.DateTimeField(help_text="When the agency became aware: starts the clock.")
    reported_at = models.DateTimeField(default=timezone.now)

    summary = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    channel = models.CharField(max_length=24, choices=Channel.choices)
    cause_category = models.CharField(max_length=32, choices=Cause.choices, blank=True)
    cause_detail = models.TextField(blank=True)

    individuals_affected = models.PositiveIntegerField(null=True, blank=True)
    individuals_affected_is_estimate = models.BooleanField(default=False)
    containment_steps = models.TextField(blank=True)
    contained_at = models.DateTimeField(null=True, blank=True)

    # No index of its own: ``incident_unit_scope`` begins with it.
    business_unit = models.ForeignKey(
        BusinessUnit, on_delete=models.PROTECT, related_name="incidents", db_index=False
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reported_incidents"
    )
    jurisdiction = models.CharField(
        max_length=8,
        choices=Jurisdiction.choices,
        blank=True,
        help_text="Blank means the organisation's default jurisdiction (its settings).",
    )

    # Confidential: the reporter's identity is shown to the chief privacy officer only.
    # Anonymous: ``reporter`` is the register's one anonymous account, never the sender.
    reporting = models.CharField(max_length=16, choices=Reporting.choices, default=Reporting.NAMED)
    # A report about a colleague's conduct: restricted to the CPO on arrival (SPEC §3).
    about_colleague = models.BooleanField(default=False)
    discovered_by = models.CharField(max_length=24, choices=Discovery.choices, blank=True)

    is_restricted = models.BooleanField(default=False)
    restricted_to = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="restricted_incidents"
    )

    # The hidden token of the form or API call that created it: a resubmission finds this
    # incident instead of creating a second one.
    submission_token = models.UUIDField(null=True, blank=True, editable=False)
    officers_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Set when a disposal run removed its personal content (``governance.disposal``; the
    # disposal record says the rest): nothing new may be added to it after that.
    disposed_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Kept in step with the latest assessment and decision by the triage services, so the
    # register can filter and sort on them without joins.
    severity = models.CharField(max_length=16, choices=Severity.choices, blank=True, editable=False)
    regulator_deadline = models.DateTimeField(null=True, blank=True, editable=False)
    decision_notify_regulator = models.CharField(
        max_length=8, choices=RegulatorDecision.choices, blank=True, editable=False
    )
    # When the regulator was notified; set by the notification service (the clock stops).
    regulator_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The register sorts severity and status in their own order, not alphabetically. Stored
    # and computed by the database from the column itself (so every write, ``update()``
    # included, keeps them right), and indexed with the tie-breakers, so a sort reads the
    # first 25 rows from an index instead of ranking all of them (docs/performance.md).
    severity_rank = models.GeneratedField(
        expression=Case(
            *[When(severity=s, then=Value(i)) for i, s in enumerate(Severity.values, start=1)],
            default=Value(0),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )
    status_rank = models.GeneratedField(
        expression=Case(
            *[When(status=s, then=Value(i)) for i, s in enumerate(Status.values)],
            default=Value(0),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )

    # The unit's name, copied here so the register sorts by unit from an index of this table
    # (``incident_unit_sort``) instead of joining and sorting every row. Set by ``save`` (and
    # by whoever bulk-creates incidents), kept in step when a unit is renamed
    # (``unit_renamed``).
    unit_name = models.CharField(max_length=120, editable=False, default="")

    objects = IncidentQuerySet.as_manager()
    _loaded_unit_id: int | None = None  # see ``from_db``
    # The ranks follow from severity and status, and the unit's name from the unit, which the
    # history already holds; the disposal's time from its disposal record.
    history = HistoricalRecords(
        bases=[HistoryContext],
        m2m_fields=[restricted_to],
        excluded_fields=["severity_rank", "status_rank", "unit_name", "disposed_at"],
    )

    class Meta:
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["-reported_at", "-id"], name="incident_reported_desc"),
            # The same order carrying what scoping reads (PostgreSQL only; other databases
            # skip an index with INCLUDE): an officer's count and deep pages are read from the
            # index alone, without visiting the table (docs/performance.md).
            models.Index(
                fields=["-reported_at", "-id"],
                name="incident_reported_scope",
                include=["business_unit", "is_restricted", "reporter"],
            ),
            # The register's sorts, each with its tie-breakers (``filters.Ordering``).
            models.Index(
                fields=["severity_rank", "reported_at", "id"], name="incident_severity_sort"
            ),
            models.Index(fields=["status_rank", "reported_at", "id"], name="incident_status_sort"),
            models.Index(fields=["updated_at", "id"], name="incident_updated_sort"),
            # Running regulator clocks, soonest first (the officer home's first list): the few
            # open breaches awaiting notification, out of every incident ever reported. The
            # condition is ``clock_running().open()``'s, which PostgreSQL must see implies it.
            models.Index(
                fields=["regulator_deadline"],
                name="incident_clock_running",
                condition=Q(
                    kind="breach",
                    regulator_deadline__isnull=False,
                    regulator_notified_at__isnull=True,
                    status__in=[
                        "reported",
                        "triage",
                        "assessed",
                        "notifying",
                        "remediation",
                        "reopened",
                    ],
                )
                & ~Q(decision_notify_regulator="no"),
            ),
            # The quarterly figures (reporting/figures.py) read every incident of a period:
            # from this index alone, without visiting the table (PostgreSQL only, as above).
            models.Index(
                fields=["reported_at"],
                name="incident_figures",
                include=[
                    "id",
                    "kind",
                    "business_unit",
                    "cause_category",
                    "is_restricted",
                    "reporter",
                    "decision_notify_regulator",
                    "regulator_deadline",
                    "regulator_notified_at",
                    "contained_at",
                    "aware_at",
                    # The reporting-culture figures: how reported, found, and when it happened.
                    "reporting",
                    "discovered_by",
                    "occurred_at",
                ],
            ),
            # A privacy officer's count, its largest part (``IncidentQuerySet.count``): their
            # units' unrestricted incidents, counted from this index alone.
            models.Index(
                fields=["business_unit", "is_restricted", "id"], name="incident_unit_scope"
            ),
            models.Index(
                fields=["unit_name", "business_unit", "reported_at", "id"],
                name="incident_unit_sort",
            ),
            models.Index(fields=["aware_at"], name="incident_aware"),
            models.Index(fields=["status"], name="incident_status"),
            models.Index(fields=["kind", "reported_at"], name="incident_kind_reported"),
            models.Index(fields=["channel"], name="incident_channel"),
            models.Index(fields=["cause_category"], name="incident_cause"),
            models.Index(fields=["is_restricted"], name="incident_restricted"),
            models.Index(fields=["regulator_deadline"], name="incident_deadline"),
            models.Index(fields=["severity"], name="incident_severity"),
            # Sorting the register by reference (``reference_order``).
            models.Index(*reference_order(), name="incident_reference_order"),
        ]
        constraints = [
            # One incident per form submission (or API retry) of one reporter.
            models.UniqueConstraint(
                fields=["reporter", "submission_token"], name="uniq_submission_per_reporter"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.summary}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        unit_id = self.business_unit_id
        if unit_id is not None and unit_id != getattr(self, "_loaded_unit_id", None):
            self.unit_name = self.business_unit.name
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "unit_name"}
        super().save(*args, **kwargs)
        self._loaded_unit_id = unit_id

    def get_absolute_url(self) -> str:
        return reverse("breaches:incident-detail", kwargs={"reference": self.reference})

    @classmethod
    def from_db(cls, *args: Any, **kwargs: Any) -> Incident:
        incident = super().from_db(*args, **kwargs)
        # The unit it was read with: ``save`` copies the unit's name only when that changes.
        incident._loaded_unit_id = incident.__dict__.get("business_unit_id")
        return incident

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def clock_running(self) -> bool:
        """The regulator clock runs until the regulator is notified or it is decided not to.

        ``IncidentQuerySet.clock_running`` is the same rule in SQL (for open incidents).
        """
        return (
            self.regulator_deadline is not None
            and self.regulator_notified_at is None
            and self.decision_notify_regulator != RegulatorDecision.DO_NOT_NOTIFY
            and self.kind == self.Kind.BREACH
        )

    def provisional_deadline(self) -> datetime | None:
        """The regulator clock from the moment of awareness, before any assessment (SPEC §4.3):
        72 hours (NZ's target, configurable; GDPR), or 30 days to assess (AU s26WH)."""
        if self.kind != self.Kind.BREACH:
            return None
        jurisdiction = self.effective_jurisdiction()
        if jurisdiction == self.Jurisdiction.AU:
            return self.aware_at + timedelta(days=30)
        if jurisdiction == self.Jurisdiction.GDPR:
            return self.aware_at + timedelta(hours=72)
        return self.aware_at + timedelta(hours=organisation.current().nz_target_hours)

    def effective_jurisdiction(self) -> str:
        return self.jurisdiction or organisation.current().default_jurisdiction


@receiver(post_save, sender=BusinessUnit, dispatch_uid="incident-unit-name")
def unit_renamed(
    sender: type[BusinessUnit], instance: BusinessUnit, raw: bool, **kwargs: Any
) -> None:
    """A unit's new name reaches its incidents' copy (``Incident.unit_name``)."""
    if raw:
        return
    Incident.objects.filter(business_unit=instance).exclude(unit_name=instance.name).update(
        unit_name=instance.name
    )
