"""The organisation settings page, under /settings/ (accounts/settings_views.py)."""

from django.urls import path

from accounts import settings_views

urlpatterns = [
    path("", settings_views.organisation_settings, name="organisation-settings"),
]
