"""Notices to affected people, one by one, told safely (SPEC §4.4, docs/notices.md).

Each person affected gets a notice row (or the incident gets a public notice, with its reason):
planned, then sent (by which channel, when), then its outcome — delivered, returned, or
withheld with its ground. Where the facts say a person who may pose a risk could receive or see
a notice (:func:`safety_check_needed`), it cannot be marked sent until the officer has recorded
a safety check and a safe channel: the register's origin story is a mother's file sent to the
abusive father, and the NZ Act allows a delay or exception where notifying would endanger
someone's safety.

Every write here is the incident's handlers' (``lock_for_write``, re-checked on the locked rows)
and is kept in the notice's history, credited to the officer. A near miss is never notifiable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    Case,
    Exists,
    F,
    OuterRef,
    Value,
    When,
)
from django.utils import timezone

from accounts.history import stamp_history
from accounts.models import User
from breaches.intake.validation import CLOCK_SKEW, in_future, too_early
from breaches.models import AffectedIndividual, Assessment, Incident, IndividualNotice
from breaches.models.notices import (
    count_of,
    people_to_tell,
    telling_in_hand,
    untold,
)
from breaches.permissions import lock_for_write

Outcome = IndividualNotice.Outcome

#: Without a regulator deadline, a notice is due this long after the agency became aware.
DEFAULT_DUE = timedelta(hours=72)
#: Kinds of information that, about vulnerable people, make any notice a safety question.
DANGEROUS_INFORMATION = frozenset({"family_violence", "care_protection"})

NEAR_MISS = "A near miss is never notifiable: there is no one to tell."
SAFETY_FIRST = (
    "Record the safety check and a safe channel first: someone who may pose a risk could "
    "receive or see this notice."
)
TEXT_LIMIT = 2000


def safety_check_needed(incident: Incident) -> bool:
    """Could a person who may pose a risk receive or see a notice about ``incident``?

    Read from the facts of its latest assessment (none yet: no): the recipient was a person
    posing risk (SPEC §4.1 ``person_posing_risk``); or vulnerable people are among those
    affected, the information was about family violence or care and protection, and it reached
    someone (any recipient but ``none``) — a notice to such a person may be read by the very
    person they need protecting from.
    """
    latest = Assessment.objects.filter(incident=incident).latest_first().only("facts").first()
    if latest is None or not isinstance(latest.facts, Mapping):
        return False
    facts = latest.facts
    recipient = facts.get("recipient")
    if recipient == "person_posing_risk":
        return True
    categories = facts.get("info_categories") or []
    named = {c for c in categories if isinstance(c, str)} if isinstance(categories, list) else set()
    dangerous = bool(DANGEROUS_INFORMATION & named)
    return (
        bool(facts.get("vulnerable_individuals")) and dangerous and recipient not in {None, "none"}
    )


def notice_due_at(incident: Incident) -> datetime:
    """When notices about ``incident`` should be sent by: the regulator's target (NZ "as soon as
    practicable", the register's target hours; GDPR "without undue delay", 72 hours; AU the
    30-day assessment, after which the s26WL notice follows the statement as soon as
    practicable), or, before any assessment, 72 hours after the agency became aware."""
    return incident.regulator_deadline or incident.aware_at + DEFAULT_DUE


def is_late(notice: IndividualNotice) -> bool:
    """Sent after it was due. A withheld notice is never late (the quarterly figures agree)."""
    return (
        notice.outcome != Outcome.WITHHELD
        and notice.sent_at is not None
        and notice.due_at is not None
        and notice.sent_at > notice.due_at
    )


@dataclass(frozen=True)
class NoticeSummary:
    """The notices of one incident in short, for its page (handlers only)."""

    people: int  # affected people recorded
    to_tell: int  # of them, still to be told (``people_to_tell``)
    untold: int  # of them, not told, whether or not telling them is in hand
    in_hand: bool  # notices planned, or the decision says to tell them
    notices: int  # notice rows, public ones included
    public: int  # public notices
    awaiting_safety_check: int  # not sent yet, safety check required and not recorded
    late: int  # sent after they were due (withheld ones never are)
    applies: bool  # a breach: near misses have no one to tell


def notice_summary(incident: Incident) -> NoticeSummary:
    """How many people are still to be told, and what waits, for the incident page: one query."""
    notices = IndividualNotice.objects.filter(incident_id=OuterRef("pk"))
    row: Mapping[str, Any] = (
        Incident.objects.filter(pk=incident.pk)
        .annotate(
            to_tell=people_to_tell(),
            untold=untold(),
            in_hand=Case(When(telling_in_hand(), then=Value(True)), default=Value(False)),
            people=count_of(AffectedIndividual.objects.filter(incident_id=OuterRef("pk"))),
            n_notices=count_of(notices),
            n_public=count_of(notices.filter(is_public=True)),
            n_waiting_check=count_of(
                notices.filter(
                    outcome__in=[Outcome.PLANNED, Outcome.RETURNED],
                    safety_check_required=True,
                    safety_checked_at__isnull=True,
                )
            ),
            n_late=count_of(
                notices.filter(sent_at__gt=F("due_at")).exclude(outcome=Outcome.WITHHELD)
            ),
        )
        .values(
            "to_tell",
            "untold",
            "in_hand",
            "people",
            "n_notices",
            "n_public",
            "n_waiting_check",
            "n_late",
        )
        .first()
    ) or {}
    return NoticeSummary(
        people=row.get("people", 0),
        to_tell=row.get("to_tell", 0),
        untold=row.get("untold", 0),
        in_hand=bool(row.get("in_hand")),
        notices=row.get("n_notices", 0),
        public=row.get("n_public", 0),
        awaiting_safety_check=row.get("n_waiting_check", 0),
        late=row.get("n_late", 0),
        applies=incident.kind == Incident.Kind.BREACH,
    )


# --- writes -----------------------------------------------------------------------------------


def _refuse_near_miss(incident: Incident, field: str = "__all__") -> None:
    if incident.kind != Incident.Kind.BREACH:
        raise ValidationError({field: NEAR_MISS})


def _clean_text(value: str, *, field: str, missing: str) -> str:
    """A required free text: stripped, NULs gone, within :data:`TEXT_LIMIT`."""
    text = value.replace("\x00", "").strip()
    if not text:
        raise ValidationError({field: missing})
    if len(text) > TEXT_LIMIT:
        raise ValidationError({field: f"Keep it under {TEXT_LIMIT} characters."})
    return text


def _moment_problem(moment: datetime | None, *, after: datetime, missing: str) -> str | None:
    """What is wrong with ``moment`` as when something happened to a notice, or None."""
    if moment is None:
        return missing
    if too_early(moment) or in_future(moment):
        return "That date cannot be right: check it."
    if moment < after - CLOCK_SKEW:
        return "That is before it could have happened: check the date."
    return None


def _lock_notice(notice: IndividualNotice, *, actor: User) -> tuple[IndividualNotice, Incident]:
    """The notice and its incident, both locked, after re-checking the actor handles the
    incident (inside the caller's transaction)."""
    incident = lock_for_write(notice.incident, actor=actor)
    locked = (
        IndividualNotice.objects.select_for_update(of=("self",))
        .select_related("affected")
        .get(pk=notice.pk, incident=incident)
    )
    return locked, incident


def notices_plan(
    *, incident: Incident, actor: User, affected: AffectedIndividual | None = None
) -> list[IndividualNotice]:
    """Plan a notice for each person affected who has none yet, or for the one ``affected``.

    Each is due when :func:`notice_due_at` says, and needs a safety check where
    :func:`safety_check_needed` says so.
    """
    with transaction.atomic():
        locked = lock_for_write(incident, actor=actor)
        _refuse_near_miss(locked)
        people = AffectedIndividual.objects.filter(incident=locked).order_by("id")
        if affected is not None:
            people = people.filter(pk=affected.pk)
            if not people.exists():
                raise ValidationError({"affected": "That person is not affected by this incident."})
        having = IndividualNotice.objects.filter(incident=locked, affected_id=OuterRef("pk"))
        without = list(people.filter(~Exists(having)))
        if not without:
            if affected is not None:
                raise ValidationError({"affected": f"{affected} already has a notice."})
            if not people.exists():
                raise ValidationError(
                    {"__all__": "No affected people are recorded: add them to the report first."}
                )
            raise ValidationError({"__all__": "Everyone affected already has a notice."})
        required, due = safety_check_needed(locked), notice_due_at(locked)
        planned = []
        for person in without:
            notice = IndividualNotice(
                incident=locked, affected=person, due_at=due,
                safety_check_required=required, created_by=actor,
            )  # fmt: skip
            stamp_history(notice, user=actor, reason="notice planned")
            notice.save()
            planned.append(notice)
    return planned


def notice_public_create(
    *, incident: Incident, actor: User, public_reason: str
) -> IndividualNotice:
    """Plan a public notice, with why one is used (e.g. people who cannot be reached)."""
    reason = _clean_text(
        public_reason, field="public_reason", missing="Say why a public notice is used."
    )
    with transaction.atomic():
        locked = lock_for_write(incident, actor=actor)
        _refuse_near_miss(locked, "public_reason")
        notice = IndividualNotice(
            incident=locked, is_public=True, public_reason=reason,
            channel=IndividualNotice.Channel.PUBLIC_NOTICE, due_at=notice_due_at(locked),
            safety_check_required=safety_check_needed(locked), created_by=actor,
        )  # fmt: skip
        stamp_history(notice, user=actor, reason="public notice planned")
        notice.save()
    return notice


def notice_record_safety_check(
    *, notice: IndividualNotice, actor: User, safety_check: str, safe_channel: str
) -> IndividualNotice:
    """Record what was checked before telling this person, and the channel that is safe."""
    errors: dict[str, str] = {}
    checked = safe = ""
    try:
        checked = _clean_text(
            safety_check, field="safety_check",
            missing="Say what was checked (for example who else lives at the address).",
        )  # fmt: skip
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    try:
        safe = _clean_text(
            safe_channel, field="safe_channel",
            missing="Say which channel is safe (for example a phone call to her own mobile).",
        )  # fmt: skip
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked, incident = _lock_notice(notice, actor=actor)
        _refuse_near_miss(incident, "safety_check")
        if locked.outcome in {Outcome.SENT, Outcome.DELIVERED}:
            raise ValidationError(
                {"safety_check": "This notice has been sent already: the check comes before."}
            )
        locked.safety_check, locked.safe_channel = checked, safe
        locked.safety_checked_at, locked.safety_checked_by = timezone.now(), actor
        stamp_history(locked, user=actor, reason="safety check recorded")
        locked.save()
    return locked


def notice_mark_sent(
    *, notice: IndividualNotice, actor: User, channel: str, sent_at: datetime | None
) -> IndividualNotice:
    """Mark the notice sent, by ``channel``, at ``sent_at``.

    Refused while a safety check is required and none is recorded. Whether one is required is
    decided again here, from the facts as they are now: once required, it stays required.
    """
    errors: dict[str, str] = {}
    if channel not in IndividualNotice.Channel.values:
        errors["channel"] = "Choose how it was sent."
    with transaction.atomic():
        locked, incident = _lock_notice(notice, actor=actor)
        _refuse_near_miss(incident, "channel")
        if not locked.safety_check_required and safety_check_needed(incident):
            # Kept even when the notice is refused below (the refusal is raised after commit).
            locked.safety_check_required = True
            stamp_history(locked, user=actor, reason="safety check now required")
            locked.save(update_fields=["safety_check_required", "updated_at"])
        problem = _moment_problem(sent_at, after=incident.aware_at, missing="Say when it was sent.")
        if problem:
            errors["sent_at"] = problem
        if locked.outcome in {Outcome.SENT, Outcome.DELIVERED}:
            errors["channel"] = "This notice has been marked sent already."
        elif locked.safety_check_required and locked.safety_checked_at is None:
            errors["channel"] = SAFETY_FIRST
        if not errors:
            locked.outcome, locked.channel, locked.sent_at = Outcome.SENT, channel, sent_at
            locked.outcome_at = None
            stamp_history(locked, user=actor, reason="notice sent")
            locked.save()
    if errors:
        raise ValidationError(errors)
    return locked


def notice_record_outcome(
    *,
    notice: IndividualNotice,
    actor: User,
    outcome: str,
    outcome_at: datetime | None = None,
    withheld_ground: str = "",
) -> IndividualNotice:
    """What became of the notice: delivered or returned (when), or withheld with its ground
    (a lawful exception or delay, e.g. NZ s116: telling them would endanger someone)."""
    errors: dict[str, str] = {}
    ground = ""
    if outcome not in {Outcome.DELIVERED, Outcome.RETURNED, Outcome.WITHHELD}:
        errors["outcome"] = "Choose delivered, returned or withheld."
    elif outcome == Outcome.WITHHELD:
        try:
            ground = _clean_text(
                withheld_ground, field="withheld_ground",
                missing="Give the ground for withholding it (for example NZ s116).",
            )  # fmt: skip
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    with transaction.atomic():
        locked, incident = _lock_notice(notice, actor=actor)
        _refuse_near_miss(incident, "outcome")
        if outcome == Outcome.WITHHELD:
            if locked.outcome in {Outcome.SENT, Outcome.DELIVERED}:
                errors["outcome"] = "It has been sent: it can no longer be withheld."
            moment: datetime | None = outcome_at or timezone.now()
            problem = _moment_problem(moment, after=incident.aware_at, missing="")
        elif outcome in {Outcome.DELIVERED, Outcome.RETURNED}:
            moment = outcome_at
            if locked.sent_at is None or locked.outcome == Outcome.WITHHELD:
                errors["outcome"] = "Mark it sent first."
            problem = _moment_problem(
                moment, after=locked.sent_at or incident.aware_at, missing="Say when."
            )
        else:
            moment, problem = None, None
        if problem:
            errors["outcome_at"] = problem
        if not errors:
            locked.outcome, locked.outcome_at = outcome, moment
            if outcome == Outcome.WITHHELD:
                locked.withheld_ground = ground
            stamp_history(locked, user=actor, reason=f"notice {outcome}")
            locked.save()
    if errors:
        raise ValidationError(errors)
    return locked
