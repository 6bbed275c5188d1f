"""Signing in: with the agency account (single sign-on) or a password, then the second factor.

Both ways end in allauth's login stages (``perform_login``), so a person with a second factor is
not signed in until they have given it (``accounts.second_factor``). A refusal of any kind comes
back to the sign-in page saying why, never as an error page.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from allauth.account.internal.flows.login import (
    perform_login,
    perform_password_login,
    record_authentication,
)
from allauth.account.models import Login
from authlib.common.errors import AuthlibBaseError
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET
from joserfc.errors import JoseError

from accounts import sso
from accounts.models import User

log = logging.getLogger(__name__)

NEXT_KEY = "pbr_sso_next"


def password_sign_in_allowed(user: User) -> bool:
    """With ``PASSWORD_SIGN_IN`` off, only the break-glass administrators use a password."""
    if settings.PASSWORD_SIGN_IN:
        return True
    return user.is_administrator and user.username in settings.BREAK_GLASS_USERNAMES


def sign_in_context() -> dict[str, Any]:
    return {
        "sso_enabled": sso.enabled(),
        "sso_name": settings.OIDC_PROVIDER_NAME,
        "passwords_on": settings.PASSWORD_SIGN_IN,
        "mfa_required": settings.MFA_REQUIRED,
    }


class SignIn(LoginView):
    """The sign-in page: the agency account first (when configured), a password below."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(sign_in_context())
        return context

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if not password_sign_in_allowed(user):
            form.add_error(
                None,
                f"Passwords are switched off: sign in with {settings.OIDC_PROVIDER_NAME}.",
            )
            return self.form_invalid(form)
        login = Login(user=user, redirect_url=self.get_success_url())
        return perform_password_login(self.request, {"username": user.username}, login)


def _refused(request: HttpRequest, message: str, status: int) -> HttpResponse:
    context = {"form": AuthenticationForm(request), "sso_error": message, **sign_in_context()}
    return render(request, "registration/login.html", context, status=status)


@require_GET
def sso_start(request: HttpRequest) -> HttpResponse:
    """Send the person to the identity provider, remembering where they were going."""
    if not sso.enabled():
        raise Http404
    next_url = request.GET.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        request.session[NEXT_KEY] = next_url
    else:
        request.session.pop(NEXT_KEY, None)
    callback = request.build_absolute_uri(reverse("sso-callback"))
    try:
        response: HttpResponse = sso.client().authorize_redirect(request, callback)
    except (requests.RequestException, AuthlibBaseError, ValueError) as error:
        log.warning("identity provider unreachable: %s", error)
        return _refused(
            request,
            f"{settings.OIDC_PROVIDER_NAME.capitalize()} could not be reached. Try again in a "
            "few minutes.",
            502,
        )
    return response


@require_GET
def sso_callback(request: HttpRequest) -> HttpResponse:
    """Back from the identity provider: check its answer, then sign the person in."""
    if not sso.enabled():
        raise Http404
    try:
        token = sso.client().authorize_access_token(request)
        claims = token.get("userinfo")
        if not claims:
            raise AuthlibBaseError(description="no ID token in the provider's answer")
    except requests.RequestException as error:
        log.warning("identity provider unreachable: %s", error)
        return _refused(
            request,
            f"{settings.OIDC_PROVIDER_NAME.capitalize()} could not be reached. Try again.",
            502,
        )
    except (AuthlibBaseError, JoseError, KeyError, ValueError) as error:
        # A cancelled sign-in, a stale or replayed answer, or an ID token that fails a check
        # (signature, issuer, audience, expiry, nonce): nobody is signed in.
        log.warning("single sign-on refused: %r", error)
        return _refused(
            request,
            "Single sign-on did not complete, so you are not signed in. Start again; if it "
            "keeps happening, tell the service desk.",
            400,
        )
    identity = sso.identity_from(dict(claims))
    try:
        user = sso.provision(identity)
    except sso.NotAdmitted as refusal:
        log.info("single sign-on: %s not admitted: %s", identity.subject, refusal)
        return _refused(request, str(refusal), 403)
    user.backend = "django.contrib.auth.backends.ModelBackend"
    idp_mfa = identity.provider_asserted_mfa
    record_authentication(
        request, user, method="sso", issuer=identity.issuer, subject=identity.subject,
        amr=list(identity.amr), idp_mfa=idp_mfa,
    )  # fmt: skip
    next_url = request.session.pop(NEXT_KEY, None) or reverse("home")
    login = Login(user=user, redirect_url=next_url, state={"idp_mfa": idp_mfa})
    return perform_login(request, login)
