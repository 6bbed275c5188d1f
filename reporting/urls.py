from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("", views.reports, name="reports"),
    path("<int:pk>/status.json", views.report_status, name="report-status"),
    path("<int:pk>/download/", views.report_download, name="report-download"),
]
