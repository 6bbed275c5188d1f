"""Request id middleware: every request gets an id, echoed in the ``X-Request-ID`` header."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

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
