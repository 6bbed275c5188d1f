"""The second factor (SPEC §3, §8): who needs one, the login stage that asks for it, and the
middleware that holds a privileged session to it.

django-allauth does the factors themselves (TOTP, passkeys, recovery codes), their pages and the
login stages a sign-in passes through; the register decides who needs a factor and when a
session has shown one:

- a password sign-in by someone with a factor stops at allauth's second-factor step: the session
  is not signed in until the code, passkey or recovery code is given;
- a sign-in through the identity provider that asserted multi-factor authentication (``amr``) is
  not asked twice (:class:`SecondFactorStage`);
- with ``MFA_REQUIRED`` on, a privileged person who has no factor yet reaches only the pages that
  enrol one (:class:`SecondFactorMiddleware`), and cannot remove their last one; a session that
  never showed the factor it has (one from before it was required) is asked for it.

What a session has shown is allauth's own record of the authentication steps taken in it
(``record_authentication``): ``mfa`` after the step, or at enrolment (a verified code proves the
device), ``sso`` with ``idp_mfa`` from the identity provider.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import (
    get_authentication_records,
    record_authentication,
)
from allauth.core import context as allauth_context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.stages import AuthenticateStage
from allauth.mfa.totp import forms as totp_forms
from allauth.mfa.utils import is_mfa_enabled
from allauth.mfa.webauthn import forms as webauthn_forms
from cryptography.fernet import Fernet
from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from accounts.models import User

PRIVILEGED_ROLES = frozenset(
    {
        User.Role.PRIVACY_OFFICER,
        User.Role.CHIEF_PRIVACY_OFFICER,
        User.Role.EXECUTIVE,
        User.Role.ADMINISTRATOR,
    }
)
# The kinds of factor that answer the second-factor step (recovery codes only stand in for them).
FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]

# Pages a privileged person without a factor may reach while MFA_REQUIRED holds them: the ones
# that enrol a factor, show its recovery codes, confirm it is them, and sign out; and the two
# pages that need no account.
ENROLMENT_PAGES = frozenset(
    {
        "logout",
        "account_logout",
        "account_reauthenticate",
        "mfa_index",
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "mfa_list_webauthn",
        "mfa_reauthenticate",
        "mfa_reauthenticate_webauthn",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
        # The anonymous report and its follow-up use no account at all (a signed-in person
        # is ignored there): the factor guards nothing on them.
        "report-anonymously",
        "follow-up",
    }
)


def needs_second_factor(user: Any) -> bool:
    """Privacy officers, the CPO, executives and administrators (and any staff account)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role in PRIVILEGED_ROLES or user.is_staff or user.is_superuser


def second_factor_shown(request: HttpRequest, user: Any) -> bool:
    """Whether this session has shown a second factor for ``user``."""
    for record in get_authentication_records(request, user):
        if record.get("method") == "mfa":
            return True
        if record.get("method") == "sso" and record.get("idp_mfa"):
            return True
    return False


def context(request: HttpRequest) -> dict[str, bool]:
    """Template context: whether this person must have a second factor (no query)."""
    user = getattr(request, "user", None)
    return {"second_factor_required": settings.MFA_REQUIRED and needs_second_factor(user)}


class SecondFactorStage(AuthenticateStage):
    """allauth's second-factor step, skipped when the identity provider already asked for a
    second factor (the SSO callback puts ``idp_mfa`` in the login's state)."""

    def _should_handle(self, request: HttpRequest) -> bool:
        if self.login.state.get("idp_mfa"):
            return False
        return bool(super()._should_handle(request))


class AccountAdapter(DefaultAccountAdapter):
    """Nobody signs themselves up: accounts come from the identity provider or an administrator.
    The second-factor step is the register's own (:class:`SecondFactorStage`)."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_login_stages(self) -> list[str]:
        stages = super().get_login_stages()
        return [
            f"{__name__}.SecondFactorStage" if stage == "allauth.mfa.stages.AuthenticateStage"
            else stage
            for stage in stages
        ]  # fmt: skip

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """Changing a factor asks the person to confirm it is them, unless they signed in (or
        confirmed) within ``ACCOUNT_REAUTHENTICATION_TIMEOUT``: enrolling right after the first
        sign-in does not ask for the password twice."""
        request = allauth_context.request
        user = getattr(request, "user", None)
        if request is not None and user is not None and user.is_authenticated:
            records = get_authentication_records(request, user)
            latest = max((float(r.get("at", 0)) for r in records), default=0.0)
            if time.time() - latest < settings.ACCOUNT_REAUTHENTICATION_TIMEOUT:
                return False
        return bool(super().is_reauthentication_required(app=app, **kwargs))

    def add_message(
        self,
        request: HttpRequest,
        level: int,
        message_template: str | None = None,
        message_context: dict[str, Any] | None = None,
        extra_tags: str = "",
        message: str | None = None,
    ) -> None:
        # The person sees where they land; "Successfully signed in as ..." adds nothing.
        if message_template == "account/messages/logged_in.txt":
            return
        super().add_message(request, level, message_template, message_context, extra_tags, message)


def _fernet() -> Fernet:
    secret = settings.MFA_ENCRYPTION_KEY or settings.SECRET_KEY
    digest = hashlib.sha256(b"pbr-mfa-secrets:" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class MFAAdapter(DefaultMFAAdapter):
    """TOTP secrets are stored encrypted; a privileged person who must have a factor cannot
    remove their last one."""

    def encrypt(self, text: str) -> str:
        return _fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        return _fernet().decrypt(encrypted_text.encode()).decode()

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        user = authenticator.user
        if not (settings.MFA_REQUIRED and needs_second_factor(user)):
            return True
        if authenticator.type not in FACTORS:
            return True
        others = Authenticator.objects.filter(user=user, type__in=FACTORS).exclude(
            pk=authenticator.pk
        )
        return others.exists()


def _note_enrolment(kind: str) -> None:
    """Enrolling checked a code (or a passkey) from the new device: that is the second factor
    shown for this session. Written while the form is checked, inside the request."""
    request = allauth_context.request
    user = getattr(request, "user", None)
    if request is not None and user is not None and user.is_authenticated:
        record_authentication(request, user, method="mfa", type=kind, enrolled=True)


class ActivateTOTPForm(totp_forms.ActivateTOTPForm):
    def clean_code(self) -> str:
        code = super().clean_code()
        _note_enrolment(Authenticator.Type.TOTP)
        return str(code)


PASSKEY_NOT_UNDERSTOOD = "Your passkey's answer was not understood. Try again."


def _passkey_answer(form: forms.Form) -> Any:
    """allauth parses the browser's passkey answer assuming it is well formed (a malformed one
    raises TypeError and the like): anything that is not an object is refused at the field."""
    credential = form.cleaned_data.get("credential")
    if not isinstance(credential, dict):
        raise forms.ValidationError(PASSKEY_NOT_UNDERSTOOD)
    return credential


class AddWebAuthnForm(webauthn_forms.AddWebAuthnForm):
    def clean_credential(self) -> Any:
        return _passkey_answer(self)

    def clean(self) -> dict[str, Any]:
        try:
            cleaned: dict[str, Any] = super().clean()
        except (TypeError, ValueError, KeyError, AttributeError):
            raise forms.ValidationError(PASSKEY_NOT_UNDERSTOOD) from None
        if not self.errors:
            _note_enrolment(Authenticator.Type.WEBAUTHN)
        return cleaned


class _CheckedPasskeyAnswer:
    """For the forms that check a passkey's answer: a malformed one is a field error."""

    def clean_credential(self) -> Any:
        _passkey_answer(self)  # type: ignore[arg-type]
        try:
            return super().clean_credential()  # type: ignore[misc]
        except (TypeError, ValueError, KeyError, AttributeError):
            raise forms.ValidationError(PASSKEY_NOT_UNDERSTOOD) from None


class AuthenticateWebAuthnForm(_CheckedPasskeyAnswer, webauthn_forms.AuthenticateWebAuthnForm):
    pass


class ReauthenticateWebAuthnForm(_CheckedPasskeyAnswer, webauthn_forms.ReauthenticateWebAuthnForm):
    pass


class SecondFactorMiddleware:
    """With ``MFA_REQUIRED`` on, a privileged session that has not shown a second factor
    reaches only the enrolment pages (and the API answers 403)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not settings.MFA_REQUIRED:
            return None
        user = request.user
        if not needs_second_factor(user) or second_factor_shown(request, user):
            return None
        match = request.resolver_match
        if match is not None and match.url_name in ENROLMENT_PAGES and not match.namespace:
            return None
        if is_mfa_enabled(user, FACTORS):
            # A session from before the factor was enrolled or required: it shows the factor
            # now, or goes no further.
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "Confirm your second factor first."}, status=403)
            return redirect_to_login(request.get_full_path(), "mfa_reauthenticate")
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": "Set up your second factor in the register before using the API."},
                status=403,
            )
        return redirect("mfa_index")
