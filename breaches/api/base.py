"""What every incident sub-resource in the API shares: the incident comes from ``visible_to``
(404 outside it), officers' sub-resources also need ``handled_by``, lists are paginated and
explicitly ordered, and reading one writes an access event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.http import AuthenticatedRequest
from accounts.models import AccessEvent, User
from breaches.access import record_access
from breaches.intake.confidentiality import hidden_label, may_see_reporter
from breaches.models import Incident
from breaches.permissions import handles
from breaches.selectors import incident_in_scope


class IncidentScopedView(GenericAPIView[Any]):
    """A view under ``/incidents/<reference>/``: the incident comes from ``visible_to``.

    ``handlers_only``: the incident's officers only; someone who sees the incident without
    handling it (its reporter) gets 403, or 404 with ``hidden_from_others`` where even the
    sub-resource's existence is the officers' business (the access log).
    """

    handlers_only = False
    hidden_from_others = False
    request: AuthenticatedRequest  # behind IsAuthenticated

    def user(self) -> User:
        return self.request.user

    def validated(self) -> dict[str, Any]:
        """The request body checked by the view's serializer (a 400 naming fields otherwise)."""
        serializer = self.get_serializer_class()(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def created(self, service: Callable[..., Any]) -> Response:
        """Call ``service(incident=, actor=, **validated body)``; answer 201 with the new row."""
        row = service(incident=self.incident(), actor=self.user(), **self.validated())
        return Response(self.get_serializer_class()(row).data, status=status.HTTP_201_CREATED)

    def incident(self) -> Incident:
        """The incident of the URL, in scope (and handled, where required), else 404."""
        if not hasattr(self, "_incident"):
            incident = incident_in_scope(self.user(), self.kwargs["reference"])
            if self.handlers_only and not handles(self.user(), incident):
                if self.hidden_from_others:
                    raise Http404
                raise PermissionDenied("Only the incident's privacy officers can do this.")
            self._incident = incident
        return self._incident


class IncidentSubresourceView(IncidentScopedView):
    """A paginated, explicitly ordered list under an incident (and usually POST to add one).

    ``endpoint`` names the access event a read writes (none when empty).
    """

    endpoint = ""
    filter_backends = [OrderingFilter]
    ordering_fields: list[str] = []
    ordering: list[str] = []
    # The fields of a row that name a person by username (the comment's author, the uploader,
    # who opened it): the incident's reporter is hidden in them from whoever may not know who
    # reported it (``breaches.intake.confidentiality``).
    person_fields: tuple[str, ...] = ("author", "uploaded_by", "user")

    def rows(self, incident: Incident) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no incident
            model: Any = getattr(self.get_serializer_class(), "Meta").model  # noqa: B009
            return model.objects.none()
        return self.rows(self.incident())

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incident = self.incident()
        rows = self.filter_queryset(self.get_queryset())
        if self.endpoint:
            record_access(
                self.request,
                action=AccessEvent.Action.API_VIEW,
                incident=incident,
                detail={"endpoint": self.endpoint},
            )
        page = self.paginate_queryset(rows)
        serializer = self.get_serializer(page if page is not None else rows, many=True)
        data = self.hide_reporter(incident, serializer.data)
        if page is not None:
            return self.get_paginated_response(data)
        return Response(data)

    def hide_reporter(self, incident: Incident, data: Any) -> Any:
        """``data`` (serialised rows) with the reporter's username replaced by the label that
        hides it, where the caller may not know who reported the incident."""
        if may_see_reporter(incident, self.user()):
            return data
        username, label = incident.reporter.username, hidden_label(incident)
        for row in data:
            for name in self.person_fields:
                if row.get(name) == username:
                    row[name] = label
        return data
