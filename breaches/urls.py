from django.urls import path, register_converter

from breaches.views import intake, triage, workflow, workspace
from breaches.views.incidents import MyReportsView, RegisterView, export_csv, incident_detail


class ReferenceConverter:
    """An incident reference (PBR-2026-00042): anything else never reaches a view or a query."""

    regex = r"PBR-\d{4}-\d{5}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ReferenceConverter, "ref")

app_name = "breaches"

urlpatterns = [
    path("", RegisterView.as_view(), name="register"),
    path("mine/", MyReportsView.as_view(), name="my-reports"),
    path("export.csv", export_csv, name="export"),
    path("home/", workspace.officer_home, name="officer-home"),
    path("actions/mine/", workspace.my_actions, name="my-actions"),
    path("actions/<int:pk>/status/", workspace.set_action_status, name="action-status"),
    path("new/", intake.report_incident, name="report"),
    path("<ref:reference>/", incident_detail, name="incident-detail"),
    path("<ref:reference>/details/", intake.add_details, name="add-details"),
    path("<ref:reference>/triage/", triage.triage, name="triage"),
    path("<ref:reference>/transition/", workflow.transition, name="transition"),
    path("<ref:reference>/notifications/", workspace.record_notification, name="notify"),
    path("<ref:reference>/actions/", workspace.add_action, name="add-action"),
    path("<ref:reference>/restriction/", workspace.restrict, name="restrict"),
    path("<ref:reference>/access-log/", workspace.access_log, name="access-log"),
    path("<ref:reference>/triage/decision/", triage.decide, name="decide"),
    path("<ref:reference>/drafts/commissioner.pdf", triage.draft_regulator, name="draft-regulator"),
    path("<ref:reference>/drafts/letter.pdf", triage.draft_letter, name="draft-letter"),
    path("<ref:reference>/comments/", intake.add_comment, name="add-comment"),
    path("<ref:reference>/attachments/", intake.add_attachment, name="add-attachment"),
    path(
        "<ref:reference>/attachments/<int:pk>/",
        intake.download_attachment,
        name="attachment-download",
    ),
]
