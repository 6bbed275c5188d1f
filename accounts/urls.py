"""The person's own pages: home, signing in and out, password, API tokens, and roles."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", views.PasswordChange.as_view(), name="password_change"),
    path("account/tokens/", views.api_tokens, name="api-tokens"),
    path("account/tokens/<str:key>/revoke/", views.api_token_revoke, name="api-token-revoke"),
    path("account/roles/", views.roles, name="roles"),
    path("account/roles/request/", views.role_request_view, name="role-request"),
    path("account/roles/<int:pk>/decide/", views.role_decide_view, name="role-decide"),
]
