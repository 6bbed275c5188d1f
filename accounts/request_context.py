"""The current request's id, readable from anywhere in the same thread or task.

The id ties together a history row, an access event and a log line written while serving one
request. Celery tasks set it to the task id.
"""

from __future__ import annotations

import contextvars
import re
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

# An id supplied by a trusted proxy is kept only when it looks like an id.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def new_request_id(incoming: str | None = None) -> str:
    """Return ``incoming`` when it is a safe id, else a fresh random one."""
    if incoming and _SAFE_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


def get_request_id() -> str:
    """The id of the request (or task) being served, or ``""`` outside one."""
    return _request_id.get()


def set_request_id(value: str) -> contextvars.Token[str]:
    """Make ``value`` the current id; returns a token for :func:`reset_request_id`."""
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token[str]) -> None:
    _request_id.reset(token)
