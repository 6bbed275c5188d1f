"""Writing access events: every read of an incident's details, a download or an export."""

from __future__ import annotations

from typing import Any

from accounts.client_ip import client_ip
from accounts.http import AuthenticatedHttpRequest, AuthenticatedRequest
from accounts.models import AccessEvent
from breaches.models import Incident


def record_access(
    request: AuthenticatedHttpRequest | AuthenticatedRequest,
    *,
    action: str,
    incident: Incident | None = None,
    detail: dict[str, Any] | None = None,
) -> AccessEvent:
    """Append one access event for the signed-in user."""
    return AccessEvent.objects.create(
        user=request.user,
        action=action,
        incident=incident,
        detail=detail or {},
        path=request.get_full_path()[:500],
        ip_address=client_ip(request),
        request_id=getattr(request, "request_id", ""),
    )
