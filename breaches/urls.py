from django.urls import path

from breaches.views import intake, triage
from breaches.views.incidents import MyReportsView, RegisterView, incident_detail

app_name = "breaches"

urlpatterns = [
    path("", RegisterView.as_view(), name="register"),
    path("mine/", MyReportsView.as_view(), name="my-reports"),
    path("new/", intake.report_incident, name="report"),
    path("<str:reference>/", incident_detail, name="incident-detail"),
    path("<str:reference>/details/", intake.add_details, name="add-details"),
    path("<str:reference>/triage/", triage.triage, name="triage"),
    path("<str:reference>/triage/decision/", triage.decide, name="decide"),
    path("<str:reference>/drafts/commissioner.pdf", triage.draft_regulator, name="draft-regulator"),
    path("<str:reference>/drafts/letter.pdf", triage.draft_letter, name="draft-letter"),
    path("<str:reference>/comments/", intake.add_comment, name="add-comment"),
    path("<str:reference>/attachments/", intake.add_attachment, name="add-attachment"),
    path(
        "<str:reference>/attachments/<int:pk>/",
        intake.download_attachment,
        name="attachment-download",
    ),
]
