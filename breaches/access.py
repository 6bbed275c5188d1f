"""Writing access events: every read of an incident's details, a download or an export."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, router
from django.db.models import Field
from django.utils import timezone

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


def record_exported(
    request: AuthenticatedHttpRequest, *, incident_ids: Sequence[int], detail: dict[str, Any]
) -> None:
    """Append one ``EXPORT`` access event for each of ``incident_ids``, for the signed-in user:
    each incident's access log shows the exports that contained it.

    An export of the whole register writes 100,000 of these. On PostgreSQL they go in one
    ``INSERT … SELECT … FROM unnest(ids)`` a call: the incident is the only thing that differs
    between the rows, and building and sending a model instance a row (``bulk_create``) took
    four times as long (7.4 s against 1.9 s for 100,000). Elsewhere (SQLite), ``bulk_create``.
    """
    if not incident_ids:
        return
    common: dict[str, Any] = {
        "at": timezone.now(),
        "user_id": request.user.pk,
        "action": AccessEvent.Action.EXPORT,
        "detail": detail,
        "path": request.path[:500],
        "ip_address": client_ip(request),
        "request_id": getattr(request, "request_id", ""),
    }
    connection = connections[router.db_for_write(AccessEvent)]
    if connection.vendor != "postgresql":
        AccessEvent.objects.using(connection.alias).bulk_create(
            AccessEvent(incident_id=pk, **common) for pk in incident_ids
        )
        return
    quote = connection.ops.quote_name
    columns = [_field(attname) for attname in common]
    incident = _field("incident_id")
    # Names and types are the model's own (quoted); every value is a parameter.
    table = quote(AccessEvent._meta.db_table)
    names = ", ".join(quote(str(f.column)) for f in [*columns, incident])
    casts = ", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in columns)
    ids = f"CAST(%s AS {incident.db_type(connection)}[])"
    sql = f"INSERT INTO {table} ({names}) SELECT {casts}, i FROM unnest({ids}) AS i"  # noqa: S608
    params = [f.get_db_prep_save(common[f.attname], connection) for f in columns]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, list(incident_ids)])


def _field(attname: str) -> Field[Any, Any]:
    """AccessEvent's concrete field whose column holds ``attname``."""
    for field in AccessEvent._meta.concrete_fields:
        if field.attname == attname:
            return field
    raise LookupError(attname)
