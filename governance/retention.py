"""Retention rules and legal holds: the services behind their pages (docs/governance.md).

Rules are versioned rows (``RetentionRule``): an administrator proposes a rule for a class of
incidents, the chief privacy officer approves or refuses it after typing their password again,
and nobody decides their own proposal. Holds are placed and released by the chief privacy
officer or a privacy officer handling the incident, on the locked incident row, re-checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.history import stamp_history
from accounts.models import User
from breaches.models import Incident
from breaches.permissions import lock_for_write
from governance.models import (
    CLASSES,
    MAX_RETENTION_YEARS,
    DisposalRecord,
    LegalHold,
    RetentionRule,
    class_label,
)

# --- rules ------------------------------------------------------------------------------------


def may_propose_rules(user: User) -> bool:
    """Administrators keep the organisation's settings, retention rules among them (SPEC §1)."""
    return user.is_authenticated and user.is_active and user.is_administrator


def may_decide_rules(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.is_chief_privacy_officer


def may_see_rules(user: User) -> bool:
    return may_propose_rules(user) or may_decide_rules(user)


@dataclass(frozen=True)
class RuleClass:
    """One class of incidents as the rules page shows it: the rule in force and the one
    waiting, if any."""

    kind: str
    notifiable: bool
    label: str
    in_force: RetentionRule | None
    waiting: RetentionRule | None


def rule_classes() -> list[RuleClass]:
    """Every class, with its rule in force and its proposal waiting (one query)."""
    current = {
        (r.kind, r.notifiable, r.status): r
        for r in RetentionRule.objects.filter(
            status__in=[RetentionRule.Status.IN_FORCE, RetentionRule.Status.PROPOSED]
        ).select_related("proposed_by", "decided_by")
    }
    return [
        RuleClass(
            kind=kind,
            notifiable=notifiable,
            label=class_label(kind, notifiable),
            in_force=current.get((kind, notifiable, RetentionRule.Status.IN_FORCE)),
            waiting=current.get((kind, notifiable, RetentionRule.Status.PROPOSED)),
        )
        for kind, notifiable in CLASSES
    ]


def rule_propose(
    *, actor: User, kind: str, notifiable: bool, years: int, authority: str, reason: str
) -> RetentionRule:
    """Propose the rule for a class; it takes effect when the chief privacy officer approves."""
    if not may_propose_rules(actor):
        raise PermissionDenied("Only administrators propose retention rules.")
    errors: dict[str, str] = {}
    if kind not in Incident.Kind.values:
        errors["kind"] = "Choose breaches or near misses."
    elif kind == Incident.Kind.NEAR_MISS and notifiable:
        errors["notifiable"] = "A near miss is never notifiable: leave this unticked."
    if not 1 <= years <= MAX_RETENTION_YEARS:
        errors["years"] = f"Give a number of years from 1 to {MAX_RETENTION_YEARS}."
    if not authority.strip():
        errors["authority"] = "Name the disposal authority and class this rule follows."
    if not reason.strip():
        errors["reason"] = "Say why this rule, or why it changes."
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            same_class = RetentionRule.objects.select_for_update().filter(
                kind=kind, notifiable=notifiable
            )
            current = {r.status: r for r in same_class.filter(status__in=["proposed", "in_force"])}
            if RetentionRule.Status.PROPOSED in current:
                raise ValidationError(
                    {"kind": "A change to this rule is already waiting for approval."}
                )
            in_force = current.get(RetentionRule.Status.IN_FORCE)
            if in_force and (in_force.years, in_force.authority) == (years, authority.strip()):
                raise ValidationError({"years": "That is the rule in force already."})
            rule = RetentionRule(
                kind=kind, notifiable=notifiable, years=years, authority=authority.strip(),
                reason=reason.strip(), proposed_by=actor,
            )  # fmt: skip
            stamp_history(rule, user=actor, reason="proposed")
            rule.save()
    except IntegrityError:  # another proposal for the class, at the same moment
        raise ValidationError(
            {"kind": "A change to this rule is already waiting for approval."}
        ) from None
    return rule


def rule_decide(
    *, rule: RetentionRule, actor: User, approve: bool, password: str, note: str = ""
) -> RetentionRule:
    """Approve (it replaces the rule in force) or refuse a proposed rule, as the chief privacy
    officer, having typed their password again; never one's own proposal."""
    if not may_decide_rules(actor):
        raise PermissionDenied("Only the chief privacy officer approves retention rules.")
    if not actor.check_password(password):
        raise ValidationError({"password": "That is not your password."})
    with transaction.atomic():
        locked = RetentionRule.objects.select_for_update().get(pk=rule.pk)
        if locked.status != RetentionRule.Status.PROPOSED:
            raise ValidationError(
                f"This proposal has already been decided ({locked.get_status_display().lower()})."
            )
        if locked.proposed_by_id == actor.pk:
            raise PermissionDenied("Nobody approves their own change: a second person decides.")
        now = timezone.now()
        if approve:
            previous = (
                RetentionRule.objects.select_for_update()
                .filter(kind=locked.kind, notifiable=locked.notifiable)
                .in_force()
            )
            for old in previous:
                old.status, old.superseded_at = RetentionRule.Status.SUPERSEDED, now
                stamp_history(old, user=actor, reason=f"superseded by rule {locked.pk}")
                old.save()
            locked.status = RetentionRule.Status.IN_FORCE
        else:
            locked.status = RetentionRule.Status.REFUSED
        locked.decided_by, locked.decided_at, locked.decision_note = actor, now, note.strip()
        stamp_history(locked, user=actor, reason="approved" if approve else "refused")
        locked.save()
    return locked


# --- legal holds ------------------------------------------------------------------------------


def may_hold(user: User) -> bool:
    """The chief privacy officer and privacy officers (each for the incidents they handle)."""
    return user.is_authenticated and user.is_active and user.is_officer


def holdable_by(user: User) -> QuerySet[Incident]:
    """The incidents ``user`` may place a hold on or release one from."""
    return Incident.objects.visible_to(user).handled_by(user)


def holds_visible_to(user: User) -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(incident__in=holdable_by(user))


def hold_place(*, incident: Incident, actor: User, reason: str) -> LegalHold:
    """Hold ``incident`` (one the actor handles): it will not be disposed of while held."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the incident must be kept."})
    with transaction.atomic():
        locked = lock_for_write(
            incident, actor=actor, refusal="Only the incident's privacy officers can hold it."
        )
        if DisposalRecord.objects.filter(incident=locked).exists():
            raise ValidationError(
                {"reference": f"{locked.reference} has already been disposed of."}
            )
        if LegalHold.objects.active().filter(incident=locked).exists():
            raise ValidationError({"reference": f"{locked.reference} is already on hold."})
        hold = LegalHold(incident=locked, reason=reason.strip(), placed_by=actor)
        stamp_history(hold, user=actor, reason="placed")
        hold.save()
    return hold


def hold_release(*, hold: LegalHold, actor: User, reason: str) -> LegalHold:
    """Release a hold; the incident's retention runs again from its closure as before."""
    if not reason.strip():
        raise ValidationError({"release_reason": "Say why the hold is no longer needed."})
    with transaction.atomic():
        # The incident first, as every write does: scope is re-checked on the locked row.
        lock_for_write(
            hold.incident, actor=actor, refusal="Only the incident's privacy officers can do this."
        )
        locked = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if not locked.is_active:
            raise ValidationError("This hold has already been released.")
        locked.released_by, locked.released_at = actor, timezone.now()
        locked.release_reason = reason.strip()
        stamp_history(locked, user=actor, reason="released")
        locked.save()
    return locked
