"""The forms of the retention, disposal and legal-hold pages. Explicit fields; the services
check the rules again (and say which field is wrong)."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from accounts.forms import DecideWithPasswordForm
from breaches.models import Incident
from breaches.models.incident import REFERENCE_MAX_LENGTH, REFERENCE_PATTERN
from governance.models import MAX_RETENTION_YEARS

_REFERENCE = re.compile(rf"^{REFERENCE_PATTERN}$")


class RuleProposalForm(forms.Form):
    kind = forms.ChoiceField(label="Incidents", choices=Incident.Kind.choices)
    notifiable = forms.BooleanField(
        label="Breaches that were notifiable", required=False,
        help_text="Tick for the rule on notifiable breaches; leave unticked for breaches that "
        "were not notifiable, and for near misses (never notifiable).",
    )  # fmt: skip
    years = forms.IntegerField(
        label="Years kept after closure", min_value=1, max_value=MAX_RETENTION_YEARS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )  # fmt: skip
    authority = forms.CharField(
        label="Disposal authority", max_length=200,
        help_text="The authority and class this rule follows (Public Records Act 2005), "
        "e.g. “DA 1234, class 2.1”.",
    )  # fmt: skip
    reason = forms.CharField(
        label="Why", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
        help_text="Why this rule, or why it changes. The chief privacy officer reads it.",
    )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("kind") == Incident.Kind.NEAR_MISS and cleaned.get("notifiable"):
            self.add_error("notifiable", "A near miss is never notifiable: leave this unticked.")
        return cleaned


class DecisionForm(DecideWithPasswordForm):
    """Approve or refuse a proposed rule, after typing one's password again."""

    why_asked = "The rule decides when records are destroyed: confirm it is you."


class RunProposalForm(forms.Form):
    """Proposing a run now: no fields, only the button (and the CSRF token)."""


class RunApprovalForm(forms.Form):
    confirm = forms.BooleanField(
        label="I have previewed the incidents listed and approve the disposal of their "
        "personal content. It cannot be undone.",
    )
    password = forms.CharField(
        label="Your password, again",
        widget=forms.PasswordInput,
        help_text="Disposal cannot be undone: confirm it is you.",
    )


class RunCancelForm(forms.Form):
    reason = forms.CharField(
        label="Why cancel", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class HoldForm(forms.Form):
    reference = forms.CharField(
        label="Incident reference", max_length=REFERENCE_MAX_LENGTH,
        help_text="Like PBR-2026-00042: an incident you handle.",
    )  # fmt: skip
    reason = forms.CharField(
        label="Why it must be kept", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
        help_text="The proceeding, complaint or request that needs it, with its reference.",
    )  # fmt: skip

    def clean_reference(self) -> str:
        reference = str(self.cleaned_data["reference"]).strip().upper().replace("\x00", "")
        if not _REFERENCE.match(reference):
            raise forms.ValidationError("Give a reference like PBR-2026-00042.")
        return reference


class HoldReleaseForm(forms.Form):
    release_reason = forms.CharField(
        label="Why release it", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
