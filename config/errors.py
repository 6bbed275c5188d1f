"""One way to fail (STYLE habit 13).

Services raise domain errors and nothing else:

- ``django.core.exceptions.ValidationError``: the input is wrong; field by field where it can be;
- ``django.core.exceptions.PermissionDenied``: this person may not do this to an object they can
  see (an object they cannot see is a 404, raised by the scoped lookup, never by a service);
- :class:`Conflict`: the request was made against a state that has changed since (a stale page).

Two places turn them into responses: :func:`api_exception_handler` for the API (DRF's
``EXCEPTION_HANDLER``: 400, 403, 404, 409 with a JSON body) and :func:`page_call` for pages
(the form's errors beside its fields, or a message). No view repeats the mapping.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import HttpRequest
from rest_framework import exceptions as api_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

T = TypeVar("T")


class Conflict(Exception):
    """The request was made against facts that have changed since it was prepared (409)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


DOMAIN_ERRORS = (ValidationError, PermissionDenied, Conflict)


def error_dict(exc: ValidationError | PermissionDenied | Conflict) -> dict[str, list[str]]:
    """A domain error as field → messages; errors about no one field are under ``__all__``."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return {field: list(msgs) for field, msgs in exc.message_dict.items()}
        return {NON_FIELD_ERRORS: list(exc.messages)}
    if isinstance(exc, Conflict):
        return {exc.field or NON_FIELD_ERRORS: [exc.message]}
    return {NON_FIELD_ERRORS: [str(exc) or "You cannot do that."]}


def error_text(exc: ValidationError | PermissionDenied | Conflict) -> str:
    """The domain error as one sentence for a message."""
    return " ".join(m for msgs in error_dict(exc).values() for m in msgs)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, taught the domain errors: 400 by field, 403, 409."""
    if isinstance(exc, Conflict):
        body: dict[str, Any] = {"detail": exc.message}
        if exc.field:
            body[exc.field] = [exc.message]
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ValidationError):
        errors = error_dict(exc)
        if NON_FIELD_ERRORS in errors:
            errors["non_field_errors"] = errors.pop(NON_FIELD_ERRORS)
        exc = api_exceptions.ValidationError(errors)
    elif isinstance(exc, PermissionDenied):
        exc = api_exceptions.PermissionDenied(str(exc) or None)
    return exception_handler(exc, context)


def page_call(
    request: HttpRequest, call: Callable[[], T], *, form: forms.BaseForm | None = None
) -> T | None:
    """Run a service for a page. On a domain error return None, having put the error beside
    the form's fields (or at the top of the form) when there is a form, else in a message."""
    try:
        return call()
    except DOMAIN_ERRORS as exc:
        if form is None:
            messages.error(request, error_text(exc))
            return None
        for field, msgs in error_dict(exc).items():
            # An error about a hidden field (the assessment a decision is made against) is
            # about the form as a whole to the person reading it.
            shown = field in form.fields and not form.fields[field].widget.is_hidden
            form.add_error(field if shown else None, msgs)
        return None


def form_error_text(form: forms.BaseForm) -> str:
    """A bound form's errors as one message, each after its field's label."""
    parts: list[str] = []
    for name, errors in form.errors.items():
        label = form[name].label if name in form.fields else ""
        parts.extend(f"{label}: {e}" if label else str(e) for e in errors)
    return " ".join(parts)
