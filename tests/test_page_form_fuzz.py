"""Every page form, posted generated values by every persona: never a 500 (issue 11, finding 7).

The table names each form's page and the fields it posts; a completeness test holds it to the
URLconf, so a new page with input is fuzzed the day it is added (or listed as taking none).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import pytest
from django import forms
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.settings_forms import OrganisationSettingsForm
from accounts.views import RoleDecisionForm, RoleRequestForm
from breaches.intake.anonymous import AnonymousReportForm, FollowUpAnswerForm, FollowUpCodeForm
from breaches.intake.forms import AffectedForm, AttachmentForm, CommentForm, DetailsForm, ReportForm
from breaches.models import Action
from breaches.register.filters import IncidentFilter
from breaches.response.forms import (
    ActionForm,
    NotificationContentForm,
    NotificationForm,
    RestrictForm,
)
from breaches.response.notice_views import (
    OutcomeForm,
    PlanForm,
    PublicNoticeForm,
    SafetyCheckForm,
    SentForm,
)
from breaches.triage.forms import DecisionForm, FactsForm
from breaches.workflow.forms import TransitionForm
from governance.forms import DecisionForm as GovernanceDecisionForm
from governance.forms import (
    HoldForm,
    HoldReleaseForm,
    RuleProposalForm,
    RunApprovalForm,
    RunCancelForm,
)
from reporting.forms import ReportRequestForm
from tests.conftest import World
from tests.test_matrix import needs_no_row, url_patterns

pytestmark = pytest.mark.django_db

AFFECTED = [f"affected-{i}-{name}" for i in (0, 1) for name in AffectedForm.base_fields] + [
    "affected-TOTAL_FORMS", "affected-INITIAL_FORMS",
]  # fmt: skip


def _names(*form_classes: type[forms.Form], extra: Iterable[str] = ()) -> list[str]:
    return [n for f in form_classes for n in f.base_fields] + list(extra)


# URL name → (method, path with {ref}/{pk}, the names it reads).
PAGES: dict[str, tuple[str, str, list[str]]] = {
    "breaches:report": ("POST", "/incidents/new/", _names(ReportForm, extra=AFFECTED)),
    "report-anonymously": ("POST", "/report-anonymously/", _names(AnonymousReportForm)),
    "follow-up": ("POST", "/follow-up/", _names(FollowUpCodeForm, FollowUpAnswerForm, extra=["pass"])),
    "breaches:add-details": ("POST", "/incidents/{ref}/details/", _names(DetailsForm, extra=AFFECTED)),
    "breaches:triage": ("POST", "/incidents/{ref}/triage/", _names(FactsForm, extra=["action"])),
    "breaches:decide": ("POST", "/incidents/{ref}/triage/decision/", _names(DecisionForm)),
    "breaches:transition": ("POST", "/incidents/{ref}/transition/", _names(TransitionForm)),
    "breaches:notify": ("POST", "/incidents/{ref}/notifications/", _names(NotificationForm)),
    "breaches:notification-content": ("POST", "/incidents/{ref}/notification-content/", _names(NotificationContentForm)),
    "breaches:add-action": ("POST", "/incidents/{ref}/actions/", _names(ActionForm)),
    "breaches:notices": ("GET", "/incidents/{ref}/notices/", ["restore"]),
    "breaches:notices-plan": ("POST", "/incidents/{ref}/notices/plan/", _names(PlanForm)),
    "breaches:notices-public": ("POST", "/incidents/{ref}/notices/public/", _names(PublicNoticeForm)),
    "breaches:notice-safety-check": ("POST", "/incidents/{ref}/notices/{pk}/safety-check/", _names(SafetyCheckForm)),
    "breaches:notice-sent": ("POST", "/incidents/{ref}/notices/{pk}/sent/", _names(SentForm)),
    "breaches:notice-outcome": ("POST", "/incidents/{ref}/notices/{pk}/outcome/", _names(OutcomeForm)),
    "breaches:restrict": ("POST", "/incidents/{ref}/restriction/", _names(RestrictForm, extra=["lift"])),
    "breaches:add-comment": ("POST", "/incidents/{ref}/comments/", _names(CommentForm)),
    "breaches:add-attachment": ("POST", "/incidents/{ref}/attachments/", _names(AttachmentForm)),
    "breaches:action-status": ("POST", "/incidents/actions/{pk}/status/", ["status", "next"]),
    "reporting:reports": ("POST", "/reports/", _names(ReportRequestForm)),
    "login": ("POST", "/login/", ["username", "password", "next"]),
    "password_change": ("POST", "/account/password/", ["old_password", "new_password1", "new_password2"]),
    "role-request": ("POST", "/account/roles/request/", _names(RoleRequestForm)),
    "role-decide": ("POST", "/account/roles/{pk}/decide/", _names(RoleDecisionForm)),
    "roles": ("GET", "/account/roles/", ["restore"]),
    "api-tokens": ("POST", "/account/tokens/", ["name", "days"]),
    "account_login": ("POST", "/login/", ["username", "password", "next"]),
    "sso-login": ("GET", "/login/sso/", ["next"]),
    "sso-callback": ("GET", "/login/sso/callback/", ["code", "state", "iss", "error", "error_description"]),
    "account_reauthenticate": ("POST", "/account/reauthenticate/", ["password", "next"]),
    "mfa_authenticate": ("POST", "/account/two-factor/authenticate/", ["code", "credential"]),
    "mfa_reauthenticate": ("POST", "/account/two-factor/reauthenticate/", ["code", "next"]),
    "mfa_activate_totp": ("POST", "/account/two-factor/totp/activate/", ["code"]),
    "mfa_deactivate_totp": ("POST", "/account/two-factor/totp/deactivate/", ["next"]),
    "mfa_generate_recovery_codes": ("POST", "/account/two-factor/recovery-codes/generate/", ["next"]),
    "mfa_add_webauthn": ("POST", "/account/two-factor/webauthn/add/", ["name", "credential", "passwordless"]),
    "mfa_reauthenticate_webauthn": ("POST", "/account/two-factor/webauthn/reauthenticate/", ["credential", "next"]),
    "mfa_remove_webauthn": ("POST", "/account/two-factor/webauthn/keys/{pk}/remove/", ["next"]),
    "mfa_edit_webauthn": ("POST", "/account/two-factor/webauthn/keys/{pk}/edit/", ["name"]),
    "breaches:register": ("GET", "/incidents/", [*IncidentFilter.base_filters, "page", "sort"]),
    "breaches:export": ("GET", "/incidents/export.csv", [*IncidentFilter.base_filters, "sort"]),
    "breaches:my-reports": ("GET", "/incidents/mine/", ["page"]),
    "breaches:officer-home": ("GET", "/incidents/home/", ["page"]),
    "breaches:my-actions": ("GET", "/incidents/actions/mine/", ["page"]),
    "breaches:access-log": ("GET", "/incidents/{ref}/access-log/", ["page"]),
    "breaches:incident-detail": ("GET", "/incidents/{ref}/", ["restore"]),
    "reporting:dashboard": ("GET", "/reports/dashboard/", ["quarter"]),
    "organisation-settings": ("POST", "/settings/", _names(OrganisationSettingsForm)),
    "governance:rule-propose": ("POST", "/governance/retention/propose/", _names(RuleProposalForm)),
    "governance:rule-decide": ("POST", "/governance/retention/{pk}/decide/", _names(GovernanceDecisionForm)),
    "governance:run-detail": ("GET", "/governance/disposal/{pk}/", ["page"]),
    "governance:run-approve": ("POST", "/governance/disposal/{pk}/approve/", _names(RunApprovalForm)),
    "governance:run-cancel": ("POST", "/governance/disposal/{pk}/cancel/", _names(RunCancelForm)),
    "governance:hold-place": ("POST", "/governance/holds/place/", _names(HoldForm)),
    "governance:hold-release": ("POST", "/governance/holds/{pk}/release/", _names(HoldReleaseForm)),
}  # fmt: skip

# Pages that read no input beyond their path (their path values are fuzzed elsewhere).
NO_INPUT = {
    "home", "logout", "account_logout", "mfa_index", "mfa_view_recovery_codes",
    "mfa_download_recovery_codes", "mfa_list_webauthn", "api-token-revoke", "breaches:draft-regulator", "breaches:draft-letter",
    "breaches:attachment-download", "reporting:report-status", "reporting:report-download",
    "governance:rules", "governance:runs", "governance:holds", "governance:run-resume",
    "governance:run-propose", "agency-access-log",
}  # fmt: skip

# Whose form each page mostly is (officer_a's otherwise).
RIGHTFUL = {
    "reporting:reports": "executive", "reporting:dashboard": "executive",
    "breaches:restrict": "cpo", "breaches:report": "reporter",
    "role-request": "admin", "role-decide": "cpo", "roles": "admin",
    "organisation-settings": "admin", "governance:rule-propose": "admin",
    "governance:rule-decide": "cpo",
    "governance:run-detail": "cpo", "governance:run-approve": "cpo",
    "governance:run-cancel": "cpo",
}  # fmt: skip
# Pages for people without an account (anonymous reports): fuzzed signed out.
NO_ACCOUNT = {"report-anonymously", "follow-up"}
ROLES = ["reporter", "reporter2", "officer_a", "officer_b", "cpo", "executive", "admin", "named"]
text = st.one_of(
    st.text(max_size=200),
    st.sampled_from([
        "", "0", "-1", "99999999999999999999999", "2026-13-45", "2026-03-02T09:30", "0001-01-01",
        "9999-12-31T23:59", "0001Q1", "9999Q4", "breach", "near_miss", "regulator", "done",
        "x\r\nBcc: a@b.c", "\x00", "on", "assess", "closed", "reopened", "NZ", "AU",
        "named", "confidential", "anonymous", "deliberate_misuse", "self_reported",
    ]),
)  # fmt: skip


def _site_url_names() -> set[str]:
    """The named pages of the site: everything but the API, its docs, the admin, static files."""
    return {
        name
        for route, name in url_patterns(get_resolver().url_patterns)
        if not needs_no_row(route) and not route.startswith("api/") and "." not in name
    }


def test_every_page_with_input_is_fuzzed() -> None:
    assert _site_url_names() == set(PAGES) | NO_INPUT


@pytest.mark.parametrize("name", sorted(PAGES))
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_page_form_for_every_role_never_500s(
    world: World, name: str, data: st.DataObject
) -> None:
    method, path, fields = PAGES[name]
    # Mostly the person the form is for, on an incident they work on, so validation is reached;
    # otherwise anyone, on any incident.
    rightful = RIGHTFUL.get(name, "officer_a")
    role = data.draw(st.one_of(st.just(rightful), st.sampled_from(ROLES)), label="role")
    client = Client()
    if name not in {"login", "account_login", *NO_ACCOUNT}:
        user = getattr(world, role)
        client.force_login(user)
        # Signed in a moment ago with a password: the second-factor pages that first ask the
        # person to confirm it is them go straight to their forms.
        session = client.session
        session["account_authentication_methods"] = [{"method": "password", "at": time.time()}]
        session["account_authentication_methods_user"] = str(user.pk)
        session.save()
    incident = data.draw(
        st.one_of(
            st.just(world.incident_a),
            st.sampled_from([world.incident_a, world.incident_b, world.restricted]),
        ),
        label="incident",
    )
    action = Action.objects.filter(incident=incident).first() or Action.objects.create(
        incident=incident, title="Recall the letter", owner=world.reporter,
        due_date=timezone.localdate(), created_by=world.cpo,
    )  # fmt: skip
    pk = data.draw(st.one_of(st.just(action.pk), st.integers(min_value=0, max_value=2**70)))
    url = path.replace("{ref}", incident.reference).replace("{pk}", str(pk))
    values = data.draw(
        st.dictionaries(
            st.sampled_from(fields), st.one_of(text, st.lists(text, max_size=3)), max_size=8
        ),
        label="values",
    )
    response = client.post(url, values) if method == "POST" else client.get(url, values)
    assert response.status_code < 500, (name, role, values, response.status_code)
