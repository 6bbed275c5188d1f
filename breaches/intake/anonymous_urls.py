"""The two pages that need no account (SPEC §2): an anonymous report and its follow-up.

Mounted at the site's root by config/urls.py (no namespace: their names are the pages' own)."""

from django.urls import path

from breaches.intake import anonymous_views

urlpatterns = [
    path("report-anonymously/", anonymous_views.report_anonymously, name="report-anonymously"),
    path("follow-up/", anonymous_views.follow_up, name="follow-up"),
]
