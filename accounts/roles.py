"""Giving people roles: a request, and a second person's approval after re-authenticating.

Nobody grants themselves power (SPEC §3). Roles are never edited directly (the admin shows
them read-only): an administrator or the chief privacy officer asks for a role for someone, and
it takes effect only when the approver named by :func:`approver_role` approves it, having typed
their password again, and is neither the person asking nor the person receiving it. Going back
to reporter takes nothing away from anyone else, so it applies at once, recorded the same way.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.history import stamp_history
from accounts.models import RoleGrant, User

R = User.Role


def approver_role(role: str) -> str | None:
    """Who approves a grant of ``role``: the CPO, another administrator, or nobody needed."""
    if role == R.ADMINISTRATOR:
        return R.ADMINISTRATOR
    if role in {R.PRIVACY_OFFICER, R.CHIEF_PRIVACY_OFFICER, R.EXECUTIVE}:
        return R.CHIEF_PRIVACY_OFFICER
    return None


def may_request(actor: User) -> bool:
    """Administrators ask (they manage accounts); the CPO and other administrators approve."""
    return actor.is_active and actor.is_administrator


def role_request(*, user: User, role: str, actor: User, reason: str) -> RoleGrant:
    """Ask for ``user`` to have ``role``; a reporter role applies at once, any other waits."""
    if not may_request(actor):
        raise PermissionDenied("Only administrators ask for roles.")
    if role not in R.values:
        raise ValidationError({"role": "Choose a role."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why this person needs this role."})
    with transaction.atomic():
        subject = User.objects.select_for_update().get(pk=user.pk)
        if subject.signs_in_with_sso:
            raise ValidationError(
                {"user": f"{subject}'s role comes from the identity provider's groups."}
            )
        if subject.role == role:
            raise ValidationError({"role": f"{subject} already has this role."})
        if RoleGrant.objects.filter(user=subject, status=RoleGrant.Status.PENDING).exists():
            raise ValidationError({"user": f"A request for {subject} is already waiting."})
        grant = RoleGrant(
            user=subject, role=role, previous_role=subject.role, reason=reason.strip(),
            requested_by=actor,
        )  # fmt: skip
        stamp_history(grant, user=actor, reason="requested")
        grant.save()
        if approver_role(role) is None:
            _apply(grant, approver=actor, note="No approval needed: no power is granted.")
    return grant


def role_decide(
    *, grant: RoleGrant, actor: User, approve: bool, password: str, note: str = ""
) -> RoleGrant:
    """Approve or refuse a waiting request, after ``actor`` typed their password again."""
    if not actor.check_password(password):
        raise ValidationError({"password": "That is not your password."})
    with transaction.atomic():
        locked = RoleGrant.objects.select_for_update().select_related("user").get(pk=grant.pk)
        if locked.status != RoleGrant.Status.PENDING:
            raise ValidationError("This request has already been decided.")
        if actor.pk in {locked.requested_by_id, locked.user_id}:
            raise PermissionDenied(
                "A second person decides: not the one asking, nor the one receiving."
            )
        if actor.role != approver_role(locked.role):
            raise PermissionDenied(f"Only the {_approver_label(locked.role)} decides this request.")
        if approve:
            _apply(locked, approver=actor, note=note)
        else:
            locked.status = RoleGrant.Status.REFUSED
            locked.decided_by, locked.decided_at, locked.note = actor, timezone.now(), note
            stamp_history(locked, user=actor, reason="refused")
            locked.save()
    return locked


def _approver_label(role: str) -> str:
    if approver_role(role) == R.CHIEF_PRIVACY_OFFICER:
        return "chief privacy officer"
    return "another administrator"


def _apply(grant: RoleGrant, *, approver: User, note: str) -> None:
    subject = User.objects.select_for_update().get(pk=grant.user_id)
    subject.role = grant.role
    subject.is_staff = grant.role == R.ADMINISTRATOR
    stamp_history(subject, user=approver, reason=f"role granted (request {grant.pk})")
    subject.save(update_fields=["role", "is_staff"])
    grant.status = RoleGrant.Status.APPROVED
    grant.decided_by, grant.decided_at, grant.note = approver, timezone.now(), note
    stamp_history(grant, user=approver, reason="approved")
    grant.save()
