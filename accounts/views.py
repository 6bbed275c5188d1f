"""Home (each person to the page their role starts from), the person's own password, roles."""

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import PasswordChangeView
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.forms import DecideWithPasswordForm
from accounts.http import AuthenticatedHttpRequest
from accounts.models import AccessEvent, ApiToken, RoleGrant, User
from accounts.roles import approver_role, may_request, role_decide, role_request
from config import kept_input
from config.errors import page_call


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


# --- Roles: requested by an administrator, approved by a second person ---------------------


class RoleRequestForm(forms.Form):
    user = forms.ModelChoiceField(
        label="Person", queryset=User.objects.filter(is_active=True).order_by("username"),
        to_field_name="username",
    )  # fmt: skip
    role = forms.ChoiceField(label="Role to give", choices=User.Role.choices)
    reason = forms.CharField(
        label="Why they need it", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class RoleDecisionForm(DecideWithPasswordForm):
    why_asked = "Approving gives someone power: confirm it is you."


def _may_see_roles(user: User) -> bool:
    return user.is_active and (user.is_administrator or user.is_chief_privacy_officer)


def _request_kept(kwargs: dict[str, Any]) -> kept_input.KeptForm:
    return kept_input.KeptForm(
        "role-request", frozenset(RoleRequestForm.base_fields), reverse("roles") + "?restore=1"
    )


def _decision_kept(kwargs: dict[str, Any]) -> kept_input.KeptForm:
    # The password is never kept: only the decision and the note.
    return kept_input.KeptForm(
        f"role-decision:{kwargs['pk']}", frozenset({"decision", "note"}),
        reverse("roles") + f"?restore=1#grant-{kwargs['pk']}",
    )  # fmt: skip


def _roles_page(
    request: AuthenticatedHttpRequest,
    *,
    request_form: RoleRequestForm | None = None,
    decision_forms: dict[int, RoleDecisionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    grants = list(RoleGrant.objects.select_related("user", "requested_by", "decided_by")[:200])
    forms_by_grant = dict(decision_forms or {})
    for grant in grants:
        if grant.status == RoleGrant.Status.PENDING and grant.pk not in forms_by_grant:
            kept = kept_input.taken_back(request, _decision_kept({"pk": grant.pk}))
            forms_by_grant[grant.pk] = RoleDecisionForm(
                initial=kept_input.initial_from(RoleDecisionForm, kept) if kept else None,
                auto_id=f"grant{grant.pk}_%s",
            )
    if request_form is None and may_request(user):
        kept = kept_input.taken_back(request, _request_kept({}))
        request_form = RoleRequestForm(
            initial=kept_input.initial_from(RoleRequestForm, kept) if kept else None
        )
    rows = [
        (
            grant,
            forms_by_grant.get(grant.pk)
            if grant.status == RoleGrant.Status.PENDING
            and user.role == approver_role(grant.role)
            and user.pk not in {grant.requested_by_id, grant.user_id}
            else None,
        )
        for grant in grants
    ]
    return render(
        request,
        "accounts/roles.html",
        {"rows": rows, "request_form": request_form if may_request(user) else None},
        status=status,
    )


@login_required
def roles(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Who asked for which role, who decided, and the forms to ask and to decide."""
    if not _may_see_roles(request.user):
        raise Http404
    return _roles_page(request)


@kept_input.keeps_input(_request_kept)
@require_POST
def role_request_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not _may_see_roles(request.user):
        raise Http404
    form = RoleRequestForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        grant = page_call(
            request,
            lambda: role_request(
                user=data["user"], role=data["role"], actor=request.user, reason=data["reason"]
            ),
            form=form,
        )
        if grant is not None:
            kept_input.forget(request, _request_kept({}).key)
            messages.success(
                request,
                f"{grant.user} is now {grant.get_role_display().lower()}."
                if grant.status == RoleGrant.Status.APPROVED
                else f"Asked: {grant.user} as {grant.get_role_display().lower()} waits for "
                "a second person's approval.",
            )
            return redirect("roles")
    return _roles_page(request, request_form=form, status=400)


@kept_input.keeps_input(_decision_kept)
@require_POST
def role_decide_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    if not _may_see_roles(request.user):
        raise Http404
    grant = get_object_or_404(RoleGrant, pk=pk)
    form = RoleDecisionForm(request.POST, auto_id=f"grant{pk}_%s")
    if form.is_valid():
        data = form.cleaned_data
        decided = page_call(
            request,
            lambda: role_decide(
                grant=grant, actor=request.user, approve=data["decision"] == "approve",
                password=data["password"], note=data["note"],
            ),
            form=form,
        )  # fmt: skip
        if decided is not None:
            kept_input.forget(request, _decision_kept({"pk": pk}).key)
            messages.success(request, f"Request {decided.get_status_display().lower()}.")
            return redirect("roles")
    return _roles_page(request, decision_forms={pk: form}, status=400)


# --- The person's own API tokens ------------------------------------------------------------


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="What it is for", max_length=100,
        help_text="For example “weekly export to the risk system”.",
    )  # fmt: skip
    days = forms.IntegerField(
        label="Expires after (days)", min_value=1, max_value=365, initial=30,
        help_text="At most a year. Make a new token when it expires.",
    )  # fmt: skip


def _tokens_page(
    request: AuthenticatedHttpRequest,
    *,
    form: ApiTokenForm | None = None,
    new_token: str = "",
    status: int = 200,
) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user, expiry__gt=timezone.now())
    return render(
        request,
        "accounts/tokens.html",
        {"tokens": tokens, "form": form or ApiTokenForm(), "new_token": new_token},
        status=status,
    )


def _tokens_kept(kwargs: dict[str, Any]) -> kept_input.KeptForm:
    return kept_input.KeptForm(
        "api-token", frozenset(ApiTokenForm.base_fields), reverse("api-tokens") + "?restore=1"
    )


@kept_input.keeps_input(_tokens_kept)
def api_tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The person's tokens: made here, shown once, listed by their first characters, revoked."""
    if request.method != "POST":
        kept = kept_input.taken_back(request, _tokens_kept({}))
        initial = kept_input.initial_from(ApiTokenForm, kept) if kept else None
        return _tokens_page(request, form=ApiTokenForm(initial=initial))
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _tokens_page(request, form=form, status=400)
    _, token = ApiToken.objects.create(
        user=request.user,
        expiry=timedelta(days=form.cleaned_data["days"]),
        name=form.cleaned_data["name"],
    )
    kept_input.forget(request, _tokens_kept({}).key)
    # Shown on this response only (never stored, never sent again; the page is no-store).
    return _tokens_page(request, new_token=token)


@kept_input.keeps_input(
    lambda kwargs: kept_input.KeptForm("api-token-revoke", frozenset(), reverse("api-tokens"))
)
@require_POST
def api_token_revoke(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    # Someone else's token, or none: 404, as for anything out of scope.
    get_object_or_404(ApiToken, user=request.user, token_key=key).delete()
    messages.success(request, "Token revoked: it no longer works.")
    return redirect("api-tokens")


# Agency-wide reads a page: the access log's rows that belong to no one incident.
AGENCY_LOG_PAGE = 50


def _what_was_read(event: AccessEvent) -> str:
    """The detail of an agency-wide read in words: which backup, quarter or register filter."""
    detail = event.detail if isinstance(event.detail, dict) else {}
    if "backup" in detail:
        return (
            f"Backup of the whole register to {detail['backup']} "
            f"({detail.get('rows', '?')} rows, {detail.get('files', '?')} files)"
        )
    if "quarter" in detail:
        return f"Quarterly report {detail['quarter']}"
    if "filters" in detail:
        filters = detail["filters"] if isinstance(detail["filters"], dict) else {}
        shown = ", ".join(f"{k}={v}" for k, v in sorted(filters.items()) if v not in ("", None))
        return f"Register export ({shown or 'no filters: every incident in scope'})"
    return ""


@login_required
def agency_access_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The chief privacy officer's view of reads that belong to no one incident: backups of
    the whole register, register exports, quarterly report downloads. (Each incident's own
    reads are on its access-log page.)"""
    if not (request.user.is_active and request.user.is_chief_privacy_officer):
        raise Http404
    events = AccessEvent.objects.filter(incident__isnull=True).select_related("user")
    page = Paginator(events.order_by("-at", "-id"), AGENCY_LOG_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [(event, _what_was_read(event)) for event in page.object_list]
    return render(request, "accounts/access_log.html", {"page_obj": page, "rows": rows})
