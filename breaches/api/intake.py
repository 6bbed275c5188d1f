"""An incident's comments and evidence in the API: each list its own paginated, ordered view."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from breaches.api.base import IncidentScopedView, IncidentSubresourceView
from breaches.api.fields import (
    RejectUnknownFieldsMixin,
    StrictChoiceField,
)
from breaches.intake.services import attachment_add, comment_add
from breaches.intake.views import attachment_response
from breaches.models import Attachment, Comment, Incident
from breaches.permissions import can_write_internal


class CommentSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)
    visibility = StrictChoiceField(
        choices=Comment.Visibility.choices, required=False, default=Comment.Visibility.SHARED
    )

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "visibility", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class AttachmentSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    file = serializers.FileField(write_only=True)
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "file",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        # Everything but the upload itself is the server's to say.
        read_only_fields = [f for f in fields if f not in {"file", "download_url"}]

    def get_download_url(self, obj: Attachment) -> str:
        request = self.context.get("request")
        path = f"/api/v1/incidents/{obj.incident.reference}/attachments/{obj.pk}/"
        return request.build_absolute_uri(path) if request else path


class CommentList(IncidentSubresourceView):
    """Comments on the incident (internal notes for its officers only); POST adds one."""

    serializer_class = CommentSerializer
    endpoint = "comments"
    ordering_fields = ["created_at"]
    ordering = ["created_at", "id"]

    def rows(self, incident: Incident) -> QuerySet[Comment]:
        comments = incident.comments.select_related("author")
        if not can_write_internal(self.user(), incident):
            comments = comments.filter(visibility=Comment.Visibility.SHARED)
        return comments

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incident = self.incident()
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visibility = serializer.validated_data.get("visibility", Comment.Visibility.SHARED)
        if visibility == Comment.Visibility.INTERNAL and not can_write_internal(
            self.user(), incident
        ):
            raise ValidationError(
                {"visibility": ["Only privacy officers can write internal notes."]}
            )
        comment = comment_add(
            incident=incident,
            author=self.user(),
            body=serializer.validated_data["body"],
            visibility=visibility,
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class AttachmentList(IncidentSubresourceView):
    """Evidence files: list them, or upload one (multipart field ``file``)."""

    serializer_class = AttachmentSerializer
    endpoint = "attachments"
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    ordering_fields = ["uploaded_at"]
    ordering = ["uploaded_at", "id"]

    def rows(self, incident: Incident) -> QuerySet[Attachment]:
        return incident.attachments.select_related("uploaded_by", "incident")

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incident = self.incident()
        serializer = AttachmentSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        attachment = attachment_add(
            incident=incident, uploaded_by=self.user(), upload=serializer.validated_data["file"]
        )
        body = AttachmentSerializer(attachment, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class AttachmentDownload(IncidentScopedView):
    """Download one evidence file; the download is logged."""

    serializer_class = AttachmentSerializer

    @extend_schema(
        operation_id="v1_incidents_attachments_download",
        responses={(200, "application/octet-stream"): bytes},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> FileResponse:
        incident = self.incident()
        attachment = get_object_or_404(
            Attachment, pk=self.kwargs["attachment_id"], incident=incident
        )
        return attachment_response(self.request, attachment)
