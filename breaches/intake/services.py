"""Writes to incidents. Views, serializers, forms, commands and tasks call these."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.history import stamp_history
from accounts.models import BusinessUnit, User
from breaches.intake.confidentiality import restricts_on_arrival
from breaches.intake.uploads import check_upload
from breaches.models import (
    AffectedIndividual,
    Attachment,
    Comment,
    Incident,
    IncidentBreachType,
    IncidentInformationCategory,
    ReferenceCounter,
)
from breaches.permissions import can_contribute, can_write_internal, handles, lock_for_write
from config.celery import enqueue_on_commit

# History reason of child rows written with the report itself.
REPORTED_WITH = "reported with the incident"

# Why a report was restricted the moment it arrived (SPEC §3; the timeline shows it to handlers).
ARRIVAL_REASON = "restricted on arrival: a report about a colleague's conduct"
LATER_REASON = "restricted: the reporter gave deliberate misuse by staff as the cause"

# The optional details a reporter may add after the first step, and officers may correct.
DETAIL_FIELDS = (
    "occurred_at",
    "occurred_precision",
    "description",
    "cause_category",
    "cause_detail",
    "individuals_affected",
    "individuals_affected_is_estimate",
    "containment_steps",
    "contained_at",
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
    submission_token: uuid.UUID | None = None,
    reporting: str = Incident.Reporting.NAMED,
    about_colleague: bool = False,
    discovered_by: str = "",
) -> Incident:
    """Record a new report atomically and tell the unit's privacy officers once it commits.

    With a ``submission_token``, submitting the same form or API call again (a double click, a
    browser resubmission, a client retry) returns the first incident instead of a second one.
    """
    if submission_token is not None:
        existing = Incident.objects.filter(
            submission_token=submission_token, reporter=reporter
        ).first()
        if existing is not None:
            if (existing.kind, existing.summary) == (kind, summary):
                return existing
            # The same form sent again with different content (Back, edit, send): a new
            # report, not a lost one.
            submission_token = uuid.uuid4()
    try:
        return _incident_create(
            reporter=reporter,
            kind=kind,
            summary=summary,
            aware_at=aware_at,
            channel=channel,
            business_unit=business_unit,
            description=description,
            occurred_at=occurred_at,
            occurred_precision=occurred_precision,
            cause_category=cause_category,
            cause_detail=cause_detail,
            individuals_affected=individuals_affected,
            individuals_affected_is_estimate=individuals_affected_is_estimate,
            containment_steps=containment_steps,
            contained_at=contained_at,
            breach_types=breach_types,
            information_categories=information_categories,
            affected=affected,
            submission_token=submission_token,
            reporting=reporting,
            about_colleague=about_colleague,
            discovered_by=discovered_by,
        )
    except IntegrityError:
        # Two identical submissions raced; the other one won.
        winner = None
        if submission_token is not None:
            winner = Incident.objects.filter(
                submission_token=submission_token, reporter=reporter
            ).first()
        if winner is None:
            raise
        return winner


def _incident_create(
    *,
    reporter: User,
    breach_types: Iterable[str],
    information_categories: Iterable[str],
    affected: Iterable[tuple[str, str]],
    **fields: Any,
) -> Incident:
    now = timezone.now()
    with transaction.atomic():
        incident = Incident(
            reference=next_reference(year=timezone.localtime(now).year),
            reporter=reporter,
            reported_at=now,
            **fields,
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
        # The clock starts at awareness, before anyone has assessed the report.
        incident.regulator_deadline = incident.provisional_deadline()
        stamp_history(incident, user=reporter)
        incident.save()
        for row in children:
            row.incident = incident
            # The timeline folds these into "reported this incident".
            stamp_history(row, user=reporter, reason=REPORTED_WITH)
            row.save()
        if restricts_on_arrival(
            cause_category=incident.cause_category, about_colleague=incident.about_colleague
        ):
            # Before the officers' alert is queued: only the CPO hears of it.
            _restrict_to_cpo(incident, reason=ARRIVAL_REASON)
        enqueue_on_commit("breaches.tasks.notify_officers_of_new_report", incident.pk)
    return incident


def incident_add_details(
    *,
    incident: Incident,
    actor: User,
    details: dict[str, Any],
    breach_types: Iterable[str] | None = None,
    information_categories: Iterable[str] | None = None,
    affected: Iterable[tuple[str, str]] = (),
) -> Incident:
    """Fill in or correct the optional details of an open incident; history records it all.

    Affected individuals are only ever added here, never removed (an officer corrects them).
    """
    unknown = set(details) - set(DETAIL_FIELDS)
    if unknown:
        raise ValueError(f"not detail fields: {sorted(unknown)}")
    with transaction.atomic():
        locked = _locked_for_contribution(
            incident, actor, "This incident is closed: reopen it before adding information."
        )
        changed = [name for name, value in details.items() if getattr(locked, name) != value]
        for name in changed:
            setattr(locked, name, details[name])
        if changed:
            stamp_history(locked, user=actor)
            locked.save()
        if (
            "cause_category" in changed
            and not locked.is_restricted
            and not handles(actor, locked)
            and restricts_on_arrival(cause_category=locked.cause_category, about_colleague=False)
        ):
            # The reporter now says a colleague misused information: as if it had arrived so.
            # (An officer reclassifying it handles it already; the CPO restricts if need be.)
            _restrict_to_cpo(locked, reason=LATER_REASON)
        if breach_types is not None:
            _sync_rows(locked, actor, IncidentBreachType, "breach_type", breach_types)
        if information_categories is not None:
            _sync_rows(
                locked, actor, IncidentInformationCategory, "category", information_categories
            )
        for reference, role in affected:
            row = AffectedIndividual(incident=locked, reference=reference, role=role)
            stamp_history(row, user=actor)
            row.save()
    return locked


def _restrict_to_cpo(incident: Incident, *, reason: str) -> None:
    """Restrict ``incident`` to the chief privacy officer(s), inside the caller's transaction.

    Its reporter stays named on it, so they still follow their report under "My reports" (an
    anonymous report's account is nobody to follow it). The CPO names others with the
    restriction form. Credited to the system: nobody chose it, the rule did.
    """
    named = list(User.objects.filter(role=User.Role.CHIEF_PRIVACY_OFFICER, is_active=True))
    if incident.reporting != Incident.Reporting.ANONYMOUS:
        named.append(incident.reporter)
    stamp_history(incident, user=None, reason=reason)
    incident.is_restricted = True
    incident.save()
    incident.restricted_to.set(named)


def _locked_for_contribution(incident: Incident, actor: User, refusal: str) -> Incident:
    """The incident locked, after re-checking that ``actor`` still sees it and may add to it
    (its handlers at any time, its reporter while it is open)."""
    locked = lock_for_write(incident, actor=actor, handling=False, refusal=refusal)
    if not can_contribute(actor, locked):
        raise PermissionDenied(refusal)
    return locked


def _sync_rows(
    incident: Incident, actor: User, model: Any, field: str, wanted: Iterable[str]
) -> None:
    wanted_set = set(wanted)
    for row in model.objects.filter(incident=incident):
        if getattr(row, field) not in wanted_set:
            stamp_history(row, user=actor)
            row.delete()
    have = set(model.objects.filter(incident=incident).values_list(field, flat=True))
    for value in sorted(wanted_set - have):
        row = model(incident=incident, **{field: value})
        stamp_history(row, user=actor)
        row.save()


def comment_add(*, incident: Incident, author: User, body: str, visibility: str) -> Comment:
    """Append a comment. Only officers may write internal ones; reporters only while open."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write something before sending."})
    with transaction.atomic():
        locked = _locked_for_contribution(
            incident, author, "This incident is closed: comments are no longer taken."
        )
        if visibility == Comment.Visibility.INTERNAL and not can_write_internal(author, locked):
            raise PermissionDenied("Only the incident's privacy officers can write internal notes.")
        comment = Comment(incident=locked, author=author, body=body, visibility=visibility)
        stamp_history(comment, user=author)
        comment.save()
        if visibility == Comment.Visibility.SHARED:
            # An internal note must not change what the reporter sees, not even "last update".
            Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now())
    return comment


def attachment_add(*, incident: Incident, uploaded_by: User, upload: UploadedFile) -> Attachment:
    """Store evidence privately after checking its size and its content type."""
    if not can_contribute(uploaded_by, incident):
        # Checked before the file is read; checked again under the lock below.
        raise PermissionDenied("This incident is closed: evidence is no longer taken.")
    try:
        checked = check_upload(upload)
    except ValidationError as exc:
        # What is wrong with an upload is wrong with its one field.
        raise ValidationError({"file": exc.messages}) from exc
    attachment = Attachment(
        incident=incident,
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=uploaded_by,
    )
    stamp_history(attachment, user=uploaded_by)
    with transaction.atomic():
        _locked_for_contribution(
            incident, uploaded_by, "This incident is closed: evidence is no longer taken."
        )
        attachment.file.save(checked.name, upload, save=False)
        try:
            attachment.save()
        except Exception:
            attachment.file.delete(save=False)
            raise
        Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now())
    return attachment
