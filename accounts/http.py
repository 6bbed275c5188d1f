"""Typed requests for views that only signed-in people reach.

``request.user`` may be an anonymous user; behind ``login_required`` (or DRF's
``IsAuthenticated``) it never is. Annotating a view's ``request`` with one of these classes says
so once, instead of narrowing ``request.user`` in every view. They are annotations only: Django
and DRF still pass their own request objects.
"""

from __future__ import annotations

from typing import TypeGuard

from django.http import HttpRequest
from rest_framework.request import Request

from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A Django request behind ``login_required``: the user is a signed-in :class:`User`."""

    user: User


class AuthenticatedRequest(Request):
    """A DRF request behind ``IsAuthenticated``: the user is a signed-in :class:`User`."""

    user: User


def signed_in(request: HttpRequest) -> TypeGuard[AuthenticatedHttpRequest]:
    """Is someone signed in? For views that answer an expired session themselves."""
    return request.user.is_authenticated
