"""Forms of the response: notifications, actions, restriction. Fields are listed explicitly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from itertools import groupby
from typing import Any, cast

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils import timezone

from accounts.models import User
from breaches.intake.forms import local_datetime_field
from breaches.intake.validation import single_line
from breaches.models import (
    Action,
    Incident,
    Notification,
)
from breaches.response.actions import NOT_SEEING, due_date_problem, owner_candidates

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class NotificationForm(forms.Form):
    """A notification made (or why not). To the regulator, in stages (the service checks the
    stage with the other fields, so every error shows at once); "Affected individuals" records
    the overall answer (told, or not and why): each person's own notice is recorded on the
    notices page."""

    recipient = forms.ChoiceField(
        label="Who", choices=Notification.Recipient.choices, widget=forms.RadioSelect
    )
    method = forms.ChoiceField(label="How", choices=Notification.Method.choices)
    stage = forms.ChoiceField(
        label="Stage (the regulator only)",
        choices=[
            ("", "Initial if it is the first (or not to the regulator)"),
            *Notification.Stage.choices,
        ],
        required=False,
        help_text="The regulator can be told in stages (GDPR Art. 33(4); the NZ Act allows "
        "information in phases): the first is the initial one, then updates, then the final one.",
    )
    notified_at = local_datetime_field(
        label="When", required=False, help_text="Leave empty if not notified."
    )
    reference_number = forms.CharField(
        label="Their reference number", max_length=80, required=False
    )
    reason = forms.CharField(
        label="Reason for not notifying or delaying", widget=forms.Textarea(attrs={"rows": 2}),
        required=False, max_length=2000,
        help_text="Notified the regulator late? Give the reasons for the delay here "
        "(GDPR Art. 33(1)).",
    )  # fmt: skip


class _ByUnit(ModelChoiceIterator):
    """The people of the owner list grouped by their business unit: an ``<optgroup>`` each,
    from the one query of the (unit-ordered) candidates."""

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        people = self.queryset if self.queryset is not None else []
        for unit, members in groupby(people, key=lambda person: person.business_unit):
            yield (unit.name, [self.choice(person) for person in members])


class OwnerField(forms.ModelChoiceField):
    """An action's owner, by username, among the people who can see the incident.

    Someone who exists but cannot see it is refused by name (the list never offers them; a
    hand-made or stale form might).
    """

    iterator = _ByUnit

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=User.objects.none(), to_field_name="username", **kwargs)
        self.reporter_id: int | None = None

    def label_from_instance(self, obj: Any) -> str:
        if obj.pk == self.reporter_id:
            return f"{obj} (reported it)"
        if obj.role != User.Role.REPORTER:
            return f"{obj} ({obj.get_role_display().lower()})"
        return str(obj)

    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)
        except forms.ValidationError:
            if isinstance(value, str) and value and "\x00" not in value and len(value) <= 150:
                other = User.objects.filter(is_active=True, username=value).first()
                if other is not None:
                    raise forms.ValidationError(
                        NOT_SEEING.format(owner=other), code="not_seeing"
                    ) from None
            raise


class ActionForm(forms.Form):
    title = forms.CharField(label="What needs doing", max_length=200, validators=[single_line])
    kind = forms.ChoiceField(
        label="Kind", choices=Action.Kind.choices, initial=Action.Kind.REMEDIATION
    )
    owner = OwnerField(
        label="Owner",
        help_text="Only people who can see this incident are listed, by business unit.",
        error_messages={"invalid_choice": "Choose someone from the list."},
        # The script that adds a search box to it (static/js/owner-picker.js) finds it by this.
        widget=forms.Select(attrs={"data-owner-picker": ""}),
    )
    due_date = forms.DateField(label="Due", widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(
        label="Details", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )

    def __init__(self, *args: Any, incident: Incident | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = cast(OwnerField, self.fields["owner"])
        if incident is not None:
            owner.queryset = owner_candidates(incident)
            named = incident.reporting == Incident.Reporting.NAMED
            owner.reporter_id = incident.reporter_id if named else None
            # Today is the earliest due date (the browser's date picker says so too).
            self.fields["due_date"].widget.attrs["min"] = timezone.localdate().isoformat()

    def clean_due_date(self) -> date:
        due: date = self.cleaned_data["due_date"]
        problem = due_date_problem(due)
        if problem:
            raise forms.ValidationError(problem)
        return due


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


def _content_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label, help_text=help_text, required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip


class NotificationContentForm(forms.Form):
    """What the drafts need that the report does not hold (``NotificationContent``). Each
    field says which provisions ask for it; every one may stay empty until it is known (the
    completeness check lists what is still missing)."""

    contact_point = _content_field(
        "Contact point",
        "Who the regulator and the people affected can contact, and how (NZ s117; GDPR "
        "Art. 33(3)(b); AU s26WK(3)(a)).",
    )
    likely_consequences = _content_field(
        "Likely consequences",
        "The harm the breach is likely to cause the people affected (GDPR Art. 33(3)(c), "
        "Art. 34(2)).",
    )
    measures_taken = _content_field(
        "Measures taken or proposed",
        "What you have done or will do about the breach and to reduce harm, including whether "
        "the people affected have been or will be told (NZ s117; GDPR Art. 33(3)(d)).",
    )
    advice_to_individuals = _content_field(
        "Advice to the people affected",
        "Steps they can take to protect themselves (NZ s117; AU s26WK(3)(d) recommendations).",
    )
    other_agencies = _content_field(
        "Other agencies told, and why",
        "For example the Police or CERT NZ, and the reason (NZ s117). GDPR incidents: start a "
        "line with “Supervisory authority:” to name the authority the draft is addressed to.",
    )
