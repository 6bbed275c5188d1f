"""The API's one URLconf: the incidents router, each sub-resource its own view."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from breaches.api.incidents import IncidentViewSet
from breaches.api.intake import AttachmentDownload, AttachmentList, CommentList
from breaches.api.notices import IndividualNoticeList
from breaches.api.register import AccessLogList
from breaches.api.response import (
    ActionStatusView,
    IncidentActionList,
    MyActionsView,
    NotificationList,
    RestrictionView,
)
from breaches.api.triage import TriageAssessView
from breaches.api.workflow import TransitionView

router = DefaultRouter()
router.register("incidents", IncidentViewSet, basename="incident")

incident = "incidents/<ref:reference>/"

urlpatterns = [
    path("triage/assess/", TriageAssessView.as_view(), name="triage-assess"),
    path("actions/mine/", MyActionsView.as_view(), name="my-actions"),
    path("actions/<int:pk>/status/", ActionStatusView.as_view(), name="action-status"),
    path(incident + "comments/", CommentList.as_view(), name="incident-comments"),
    path(incident + "attachments/", AttachmentList.as_view(), name="incident-attachments"),
    path(
        incident + "attachments/<int:attachment_id>/",
        AttachmentDownload.as_view(),
        name="incident-attachment-download",
    ),
    path(incident + "notifications/", NotificationList.as_view(), name="incident-notifications"),
    path(incident + "actions/", IncidentActionList.as_view(), name="incident-actions"),
    path(incident + "notices/", IndividualNoticeList.as_view(), name="incident-notices"),
    path(incident + "transition/", TransitionView.as_view(), name="incident-transition"),
    path(incident + "restriction/", RestrictionView.as_view(), name="incident-restriction"),
    path(incident + "access-log/", AccessLogList.as_view(), name="incident-access-log"),
    *router.urls,
]
