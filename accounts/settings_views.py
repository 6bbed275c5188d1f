"""The organisation settings page (/settings/, docs/settings.md): the settings in force, the
form to change them and every change before. Administrators only (SPEC §1, §3); anyone else
is answered 404. Thin: ``accounts.organisation.settings_update`` decides."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts import organisation
from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from accounts.settings_forms import OrganisationSettingsForm, initial_of
from config import kept_input
from config.errors import page_call


def may_manage_settings(user: User) -> bool:
    return user.is_active and user.is_administrator


def _kept(kwargs: dict[str, Any]) -> kept_input.KeptForm:
    return kept_input.KeptForm(
        "organisation-settings", frozenset(OrganisationSettingsForm.base_fields),
        reverse("organisation-settings") + "?restore=1",
    )  # fmt: skip


def _page(
    request: AuthenticatedHttpRequest,
    *,
    form: OrganisationSettingsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    values = organisation.current()
    version = organisation.version()
    if form is None:
        initial = initial_of(values, version)
        kept = kept_input.taken_back(request, _kept({}))
        if kept:
            initial |= kept_input.initial_from(OrganisationSettingsForm, kept)
        form = OrganisationSettingsForm(initial=initial)
    return render(
        request,
        "accounts/settings/settings.html",
        {
            "form": form,
            "in_force": [
                (organisation.LABELS[name], organisation.display(name, values))
                for name in organisation.SETTINGS
            ],
            "from_environment": version == 0,
            "changes": organisation.changes(),
        },
        status=status,
    )


@kept_input.keeps_input(_kept)
def organisation_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The settings in force, the form to change them, and their history."""
    if not may_manage_settings(request.user):
        raise Http404
    if request.method != "POST":
        return _page(request)
    form = OrganisationSettingsForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        saved = page_call(
            request,
            lambda: organisation.settings_update(
                actor=request.user, values=form.values(), reason=data["reason"],
                from_version=data["version"],
            ),
            form=form,
        )  # fmt: skip
        if saved is not None:
            kept_input.forget(request, _kept({}).key)
            messages.success(request, "Settings saved. They apply from now on.")
            return redirect("organisation-settings")
        latest = organisation.version()
        if latest != data["version"]:
            # Someone else saved meanwhile: what was typed stays, now made from their version,
            # so sending it again (having read theirs, shown above it) changes the settings in
            # force rather than being refused again.
            posted = request.POST.copy()
            posted["version"] = str(latest)
            refused = form.errors.copy()
            form = OrganisationSettingsForm(posted)
            form.is_valid()
            for name, problems in refused.items():
                form.add_error(None if name == "version" else name, problems)
    return _page(request, form=form, status=400)
