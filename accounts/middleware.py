"""Request ids (echoed in ``X-Request-ID``), the absolute session lifetime, private responses."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from accounts.request_context import new_request_id, reset_request_id, set_request_id


class RequestIdMiddleware:
    """Give each request an id that history rows and access events record."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # An incoming id is kept only behind a proxy we trust to set it; a client cannot choose
        # the id written into the audit.
        incoming = request.headers.get("X-Request-ID") if settings.TRUST_REQUEST_ID_HEADER else None
        request_id = new_request_id(incoming)
        request.request_id = request_id  # type: ignore[attr-defined]  # the access log reads it
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response["X-Request-ID"] = request_id
        return response


SIGNED_IN_AT = "signed_in_at"
REFRESHED_AT = "refreshed_at"


class SessionLifetimeMiddleware:
    """An absolute limit on a signed-in session, beside the idle one (ASVS 3.3.2).

    The sign-in time is kept in the session (``accounts.signals``); once a session is older
    than ``SESSION_ABSOLUTE_HOURS`` it is ended before the view runs, so the request is treated
    exactly like one after the idle limit: a form posted then keeps its input for its owner
    (``config.kept_input``) and the person signs in again.

    The idle limit slides: each save of the session moves its expiry to ``SESSION_IDLE_MINUTES``
    from then. Saving it at every request cost every page a write and its transaction (three
    round trips); it is saved when something in it changed, and otherwise at most once every
    ``SESSION_REFRESH_SECONDS``, so an idle session ends at most that much before its limit,
    never after.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(SIGNED_IN_AT)
            limit = settings.SESSION_ABSOLUTE_SECONDS
            if started is None or time.time() - float(started) > limit:
                logout(request)
                messages.info(request, "For your safety you were signed out after a long session.")
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.session_key and not session.modified:
            # Signing in saved it: the first minute needs no refresh.
            refreshed = session.get(REFRESHED_AT) or session.get(SIGNED_IN_AT)
            now = time.time()
            if refreshed is None or now - float(refreshed) >= settings.SESSION_REFRESH_SECONDS:
                session[REFRESHED_AT] = now  # saved by SessionMiddleware, expiry moved on
        return response


class PrivateResponseMiddleware:
    """Every page and API answer may hold personal information: never stored by a browser or a
    proxy (``Cache-Control: no-store``), and no powerful browser features for any of it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL):
            patch_cache_control(response, no_store=True, private=True)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
