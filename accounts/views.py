"""Home: send each person to the page their role starts from."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect

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
