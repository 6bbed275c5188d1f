from django.urls import path
from rest_framework.routers import DefaultRouter

from breaches.api.triage import TriageAssessView
from breaches.api.views import ActionStatusView, IncidentViewSet, MyActionsView

router = DefaultRouter()
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = [
    path("triage/assess/", TriageAssessView.as_view(), name="triage-assess"),
    path("actions/mine/", MyActionsView.as_view(), name="my-actions"),
    path("actions/<int:pk>/status/", ActionStatusView.as_view(), name="action-status"),
    *router.urls,
]
