"""Top-level URLs. Private files are never served from a URL prefix: only views stream them."""

from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.views import (
    PasswordChange,
    api_token_revoke,
    api_tokens,
    home,
    role_decide_view,
    role_request_view,
    roles,
)

SWAGGER_INLINE_STYLE = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"

admin.site.site_header = "Privacy Breach Register administration"
admin.site.site_title = "Register admin"

urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", PasswordChange.as_view(), name="password_change"),
    path("account/tokens/", api_tokens, name="api-tokens"),
    path("account/tokens/<str:key>/revoke/", api_token_revoke, name="api-token-revoke"),
    path("account/roles/", roles, name="roles"),
    path("account/roles/request/", role_request_view, name="role-request"),
    path("account/roles/<int:pk>/decide/", role_decide_view, name="role-decide"),
    path("incidents/", include("breaches.urls")),
    path("reports/", include("reporting.urls")),
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
