"""Home (each person to the page their role starts from) and the person's own password."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import PasswordChangeView
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy

from accounts.http import AuthenticatedHttpRequest


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if user.is_officer:
        return redirect("breaches:officer-home")
    if user.is_executive:
        return redirect("reporting:dashboard")
    if user.is_administrator:
        return redirect("admin:index")
    return redirect("breaches:my-reports")


class PasswordChange(PasswordChangeView):
    """Self-service password change (ASVS 2.1.5): the current password, then the new one twice,
    checked by every validator in ``AUTH_PASSWORD_VALIDATORS``; the session stays signed in."""

    success_url = reverse_lazy("home")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["min_length"] = settings.PASSWORD_MIN_LENGTH
        return context

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        messages.success(self.request, "Your password has been changed.")
        return super().form_valid(form)
