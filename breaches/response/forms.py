"""Forms of the response: notifications, actions, restriction. Fields are listed explicitly."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import User
from breaches.intake.forms import local_datetime_field
from breaches.intake.validation import single_line
from breaches.models import (
    Action,
    Notification,
)

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class NotificationForm(forms.Form):
    recipient = forms.ChoiceField(
        label="Who", choices=Notification.Recipient.choices, widget=forms.RadioSelect
    )
    method = forms.ChoiceField(label="How", choices=Notification.Method.choices)
    notified_at = local_datetime_field(
        label="When", required=False, help_text="Leave empty if not notified."
    )
    reference_number = forms.CharField(
        label="Their reference number", max_length=80, required=False
    )
    reason = forms.CharField(
        label="Reason for not notifying or delaying", widget=forms.Textarea(attrs={"rows": 2}),
        required=False, max_length=2000,
    )  # fmt: skip


class ActionForm(forms.Form):
    title = forms.CharField(label="What needs doing", max_length=200, validators=[single_line])
    kind = forms.ChoiceField(
        label="Kind", choices=Action.Kind.choices, initial=Action.Kind.REMEDIATION
    )
    owner = forms.ModelChoiceField(
        label="Owner", queryset=User.objects.filter(is_active=True).order_by("username"),
        to_field_name="username",
    )  # fmt: skip
    due_date = forms.DateField(label="Due", widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(
        label="Details", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )


# The largest primary key the database can hold: a larger "id" is a field error, not an overflow.
MAX_PK = 2**63 - 1


class PeopleField(forms.ModelMultipleChoiceField):
    """People by id; an id no database could hold is refused like any unknown one."""

    def clean(self, value: Any) -> Any:
        for pk in value or ():
            if str(pk).isdigit() and int(pk) > MAX_PK:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                    params={"pk": str(pk)[:20]},
                )  # fmt: skip
        return super().clean(value)


class RestrictForm(forms.Form):
    people = PeopleField(
        label="Who may still see it",
        queryset=User.objects.filter(
            is_active=True,
            role__in=[
                User.Role.REPORTER,
                User.Role.PRIVACY_OFFICER,
                User.Role.CHIEF_PRIVACY_OFFICER,
            ],
        ).order_by("username"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The chief privacy officer always can. Name the reporter too if they should "
        "keep following it.",
    )
    reason = forms.CharField(
        label="Reason", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
