"""Top-level URLs. Private files are never served from a URL prefix: only views stream them."""

from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

SWAGGER_INLINE_STYLE = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"

admin.site.site_header = "Privacy Breach Register administration"
admin.site.site_title = "Register admin"

urlpatterns = [
    # Home, the person's password and tokens, roles: accounts/urls.py (no namespace: the names
    # "home", "login", "password_change"... are the ones Django's auth views expect).
    path("", include("accounts.urls")),
    path("incidents/", include("breaches.urls")),
    # Anonymous reports and their follow-up: the two pages that need no account (SPEC §2).
    path("", include("breaches.intake.anonymous_urls")),
    path("reports/", include("reporting.urls")),
    path("governance/", include("governance.urls")),
    path("settings/", include("accounts.settings_urls")),
    path("api/v1/", include(("breaches.api.urls", "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        # The docs page's one inline <style> (drf-spectacular's template), allowed by its hash
        # only: everything else on it is served from 'self' like the rest of the site.
        csp_update({"style-src": [SWAGGER_INLINE_STYLE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
]
