"""The person's own pages: home, signing in and out, password, API tokens, and roles."""

from allauth.account import views as allauth_views
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import sign_in, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", sign_in.SignIn.as_view(), name="login"),
    # allauth's second-factor pages send people back to "account_login": the same page.
    path("login/", sign_in.SignIn.as_view(), name="account_login"),
    path("login/sso/", sign_in.sso_start, name="sso-login"),
    path("login/sso/callback/", sign_in.sso_callback, name="sso-callback"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("logout/", auth_views.LogoutView.as_view(), name="account_logout"),
    # The second factor (allauth): enrol, manage, and the step after the password.
    path("account/two-factor/", include("allauth.mfa.urls")),
    path("account/reauthenticate/", allauth_views.reauthenticate, name="account_reauthenticate"),
    path("account/password/", views.PasswordChange.as_view(), name="password_change"),
    path("account/tokens/", views.api_tokens, name="api-tokens"),
    path("account/tokens/<str:key>/revoke/", views.api_token_revoke, name="api-token-revoke"),
    path("account/roles/", views.roles, name="roles"),
    path("access-log/", views.agency_access_log, name="agency-access-log"),
    path("account/roles/request/", views.role_request_view, name="role-request"),
    path("account/roles/<int:pk>/decide/", views.role_decide_view, name="role-decide"),
]
