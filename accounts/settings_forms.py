"""The organisation settings form (/settings/). Explicit fields; ``settings_update`` checks the
values again and says which field is wrong."""

from __future__ import annotations

import re

from django import forms

from accounts.history import CHANGE_REASON_LENGTH
from accounts.models import JURISDICTION_CHOICES, MAX_SETTING_HOURS
from accounts.organisation import MAX_REMINDERS, Organisation, normal_hours

_HOURS_SEPARATOR = re.compile(r"[\s,;]+")


class OrganisationSettingsForm(forms.Form):
    agency_name = forms.CharField(
        label="Agency name", max_length=200,
        help_text="As printed on draft notifications and quarterly reports.",
    )  # fmt: skip
    default_jurisdiction = forms.ChoiceField(
        label="Default jurisdiction", choices=JURISDICTION_CHOICES, widget=forms.RadioSelect,
        help_text="The rule set triage uses for an incident that names no jurisdiction. "
        "Incidents already assessed keep theirs.",
    )  # fmt: skip
    nz_target_hours = forms.IntegerField(
        label="Notification target, New Zealand (hours)", min_value=1,
        max_value=MAX_SETTING_HOURS, widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text="Hours from awareness by which the Privacy Commissioner should be notified "
        "(the Office expects 72). New deadlines use it; deadlines already set stay as they are.",
    )  # fmt: skip
    reminder_hours = forms.CharField(
        label="Reminders (hours before a deadline)", max_length=100,
        help_text="Officers are e-mailed when this many hours are left; one or more, separated "
        "by commas, e.g. “48, 24”. The largest also marks a deadline as close on the pages.",
    )  # fmt: skip
    reason = forms.CharField(
        label="Why the change", max_length=CHANGE_REASON_LENGTH,
        help_text="Kept on the history with your name and the time.",
    )  # fmt: skip
    # The version of the settings the page was made from: a change from a stale page is refused.
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def clean_reminder_hours(self) -> tuple[int, ...]:
        text = self.cleaned_data["reminder_hours"].strip()
        parts = [p for p in _HOURS_SEPARATOR.split(text) if p]
        if not parts:
            raise forms.ValidationError("Give at least one reminder point, e.g. 24.")
        if not all(p.isdigit() for p in parts):
            raise forms.ValidationError("Whole numbers of hours only, separated by commas.")
        hours = normal_hours(int(p) for p in parts)
        if len(hours) > MAX_REMINDERS:
            raise forms.ValidationError(f"At most {MAX_REMINDERS} reminder points.")
        if not all(1 <= h <= MAX_SETTING_HOURS for h in hours):
            raise forms.ValidationError(
                f"Each reminder point is between 1 and {MAX_SETTING_HOURS} hours."
            )
        return hours

    def values(self) -> Organisation:
        """The settings the valid form asks for."""
        data = self.cleaned_data
        return Organisation(
            agency_name=data["agency_name"],
            default_jurisdiction=data["default_jurisdiction"],
            nz_target_hours=data["nz_target_hours"],
            reminder_hours=data["reminder_hours"],
        )


def initial_of(values: Organisation, version: int) -> dict[str, object]:
    """The form's initial values: the settings in force, and their version."""
    return {
        "agency_name": values.agency_name,
        "default_jurisdiction": values.default_jurisdiction,
        "nz_target_hours": values.nz_target_hours,
        "reminder_hours": ", ".join(str(h) for h in values.reminder_hours),
        "version": version,
    }
