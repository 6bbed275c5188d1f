"""Retention rules, disposal runs and legal holds, under /governance/ (docs/governance.md)."""

from django.urls import path

from governance import views

app_name = "governance"

urlpatterns = [
    path("retention/", views.rules, name="rules"),
    path("retention/propose/", views.rule_propose_view, name="rule-propose"),
    path("retention/<int:pk>/decide/", views.rule_decide_view, name="rule-decide"),
    path("disposal/", views.runs, name="runs"),
    path("disposal/propose/", views.run_propose_view, name="run-propose"),
    path("disposal/<int:pk>/", views.run_detail, name="run-detail"),
    path("disposal/<int:pk>/approve/", views.run_approve_view, name="run-approve"),
    path("disposal/<int:pk>/cancel/", views.run_cancel_view, name="run-cancel"),
    path("disposal/<int:pk>/resume/", views.run_resume_view, name="run-resume"),
    path("holds/", views.holds, name="holds"),
    path("holds/place/", views.hold_place_view, name="hold-place"),
    path("holds/<int:pk>/release/", views.hold_release_view, name="hold-release"),
]
