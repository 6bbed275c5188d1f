from django.urls import path

from breaches.intake import views as intake
from breaches.register import incident
from breaches.register import views as register
from breaches.response import notice_views
from breaches.response import views as response
from breaches.triage import views as triage

app_name = "breaches"

urlpatterns = [
    path("", register.RegisterView.as_view(), name="register"),
    path("mine/", intake.MyReportsView.as_view(), name="my-reports"),
    path("export.csv", register.export_csv, name="export"),
    path("home/", register.officer_home, name="officer-home"),
    path("actions/mine/", response.my_actions, name="my-actions"),
    path("actions/<int:pk>/status/", response.set_action_status, name="action-status"),
    path("new/", intake.report_incident, name="report"),
    path("<ref:reference>/", incident.incident_detail, name="incident-detail"),
    path("<ref:reference>/details/", intake.add_details, name="add-details"),
    path("<ref:reference>/triage/", triage.triage, name="triage"),
    path("<ref:reference>/transition/", incident.transition, name="transition"),
    path("<ref:reference>/notifications/", incident.record_notification, name="notify"),
    path("<ref:reference>/actions/", incident.add_action, name="add-action"),
    path("<ref:reference>/notices/", notice_views.notices, name="notices"),
    path("<ref:reference>/notices/plan/", notice_views.plan, name="notices-plan"),
    path("<ref:reference>/notices/public/", notice_views.add_public, name="notices-public"),
    path(
        "<ref:reference>/notices/<int:pk>/safety-check/",
        notice_views.record_safety_check,
        name="notice-safety-check",
    ),
    path("<ref:reference>/notices/<int:pk>/sent/", notice_views.mark_sent, name="notice-sent"),
    path(
        "<ref:reference>/notices/<int:pk>/outcome/",
        notice_views.record_outcome,
        name="notice-outcome",
    ),
    path("<ref:reference>/restriction/", incident.restrict, name="restrict"),
    path("<ref:reference>/access-log/", register.access_log, name="access-log"),
    path("<ref:reference>/triage/decision/", triage.decide, name="decide"),
    path("<ref:reference>/drafts/commissioner.pdf", triage.draft_regulator, name="draft-regulator"),
    path("<ref:reference>/drafts/letter.pdf", triage.draft_letter, name="draft-letter"),
    path(
        "<ref:reference>/notification-content/",
        triage.notification_content,
        name="notification-content",
    ),
    path("<ref:reference>/comments/", incident.add_comment, name="add-comment"),
    path("<ref:reference>/attachments/", incident.add_attachment, name="add-attachment"),
    path(
        "<ref:reference>/attachments/<int:pk>/",
        intake.download_attachment,
        name="attachment-download",
    ),
]
