from django.urls import path

from breaches.views.incidents import IncidentDetailView, MyReportsView, RegisterView

app_name = "breaches"

urlpatterns = [
    path("", RegisterView.as_view(), name="register"),
    path("mine/", MyReportsView.as_view(), name="my-reports"),
    path("<str:reference>/", IncidentDetailView.as_view(), name="incident-detail"),
]
