"""Single sign-on by OpenID Connect (SPEC §3, docs/security.md "Identity").

Authlib speaks the protocol: the authorization code flow with PKCE (S256), a nonce, and the ID
token's signature (the provider's published keys), issuer, audience, expiry and nonce all checked
before a claim is read. This module decides what the claims mean for the register:

- the person is found by the provider's stable identifier (issuer and ``sub``), never by a
  name they could share with a local account; the first sign-in creates them;
- their role comes from the role claim (``OIDC_ROLE_CLAIM``, mapped by ``OIDC_ROLE_MAP``, first
  match winning) and their business unit from the unit claim (``OIDC_UNIT_CLAIM``, a unit code),
  at every sign-in, so a move or a change of job at the provider takes effect at the next one;
- someone the provider no longer puts in any register group is refused, and their account
  is deactivated with its API tokens revoked;
- a role that changes this way is written as an approved role grant, so the CPO sees it on the
  roles page beside those approved in the register.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.history import stamp_history
from accounts.models import ApiToken, BusinessUnit, RoleGrant, User


class NotAdmitted(Exception):
    """The provider signed the person in, but the register does not let them in: the message
    says why, in words for them."""


@dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str
    username: str
    email: str
    first_name: str
    last_name: str
    role: str | None
    group: str
    unit_code: str
    amr: tuple[str, ...]

    @property
    def provider_asserted_mfa(self) -> bool:
        return bool(set(self.amr) & set(settings.OIDC_MFA_AMR))


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID)


def client() -> DjangoOAuth2App:
    """The provider's client, read from settings each time (tests point it at their provider)."""
    oauth = OAuth()
    app: DjangoOAuth2App = oauth.register(
        name="agency",
        client_id=settings.OIDC_CLIENT_ID,
        client_secret=settings.OIDC_CLIENT_SECRET,
        server_metadata_url=f"{settings.OIDC_ISSUER}/.well-known/openid-configuration",
        client_kwargs={
            "scope": settings.OIDC_SCOPES,
            "code_challenge_method": "S256",
            "timeout": settings.OIDC_TIMEOUT_SECONDS,
        },
    )
    return app


def role_map() -> list[tuple[str, str]]:
    """``OIDC_ROLE_MAP`` as (group, role) pairs, in order."""
    pairs = []
    for item in settings.OIDC_ROLE_MAP.split(","):
        group, _, role = item.strip().partition("=")
        if group and role.strip() in User.Role.values:
            pairs.append((group.strip(), role.strip()))
    return pairs


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return []


def identity_from(claims: dict[str, Any]) -> Identity:
    """What the verified claims say about the person."""
    groups = _as_list(claims.get(settings.OIDC_ROLE_CLAIM))
    role, group = None, ""
    for candidate, mapped in role_map():
        if candidate in groups:
            role, group = mapped, candidate
            break
    name = str(claims.get("name") or "")
    first, _, last = name.partition(" ")
    return Identity(
        issuer=str(claims["iss"]),
        subject=str(claims["sub"]),
        username=str(claims.get(settings.OIDC_USERNAME_CLAIM) or claims["sub"])[:150],
        email=str(claims.get("email") or ""),
        first_name=str(claims.get("given_name") or first)[:150],
        last_name=str(claims.get("family_name") or last)[:150],
        role=role,
        group=group,
        unit_code=str(claims.get(settings.OIDC_UNIT_CLAIM) or ""),
        amr=tuple(_as_list(claims.get("amr"))),
    )


def _shut_out(identity: Identity) -> None:
    """The provider no longer admits this person: their account and API tokens stop."""
    user = User.objects.filter(sso_issuer=identity.issuer, sso_subject=identity.subject).first()
    if user is None:
        return
    with transaction.atomic():
        ApiToken.objects.filter(user=user).delete()
        if user.is_active:
            user.is_active = False
            stamp_history(user, user=None, reason="not admitted by the identity provider")
            user.save(update_fields=["is_active"])


def provision(identity: Identity) -> User:
    """The register's user for ``identity``: created at the first sign-in, brought in line with
    the claims at every one. Raises :class:`NotAdmitted` with the reason."""
    if identity.role is None:
        _shut_out(identity)
        raise NotAdmitted(
            "Your agency account is not in any group that uses the Privacy Breach Register. "
            "If you need it, ask your manager or the service desk."
        )
    unit = BusinessUnit.objects.filter(code=identity.unit_code).first()
    if unit is None:
        raise NotAdmitted(
            f"Your business unit ({identity.unit_code or 'none given'}) is not set up in the "
            "register yet. Ask the register's administrator to add it."
        )
    with transaction.atomic():
        user = (
            User.objects.select_for_update()
            .filter(sso_issuer=identity.issuer, sso_subject=identity.subject)
            .first()
        )
        if user is None:
            if User.objects.filter(username=identity.username).exists():
                raise NotAdmitted(
                    f"A register account named {identity.username} already exists and is not "
                    "linked to your agency account. Ask the register's administrator."
                )
            user = User(
                username=identity.username,
                sso_issuer=identity.issuer,
                sso_subject=identity.subject,
                role=User.Role.REPORTER,
                business_unit=unit,
            )
            user.set_unusable_password()
            stamp_history(user, user=None, reason="first sign-in through the identity provider")
            user.save()
        previous_role = user.role
        user.role = identity.role
        user.business_unit = unit
        user.is_staff = identity.role == User.Role.ADMINISTRATOR
        user.is_active = True
        user.email = identity.email or user.email
        user.first_name = identity.first_name or user.first_name
        user.last_name = identity.last_name or user.last_name
        stamp_history(user, user=user, reason="claims from the identity provider")
        user.save()
        if previous_role != identity.role:
            _record_role_change(user, previous_role, identity.role, identity.group)
    return user


def _record_role_change(user: User, previous_role: str, role: str, group: str) -> None:
    """A role that came from the provider's groups, written where the CPO reads grants."""
    now = timezone.now()
    grant = RoleGrant(
        user=user,
        role=role,
        previous_role=previous_role,
        reason=f"Group {group!r} at the identity provider.",
        requested_by=user,
        status=RoleGrant.Status.APPROVED,
        decided_at=now,
        note="Applied at sign-in from the identity provider's claims.",
    )
    stamp_history(grant, user=user, reason="role from the identity provider")
    grant.save()
