"""Forms for reporting an incident and adding to it. Fields are listed explicitly."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings

from accounts.models import BusinessUnit
from breaches.intake.uploads import allowed_types_text, check_upload
from breaches.intake.validation import REFERENCE_MESSAGE, REFERENCE_RE, date_problems
from breaches.models import (
    AffectedIndividual,
    Comment,
    Incident,
    IncidentBreachType,
    IncidentInformationCategory,
)

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


KIND_HELP = {
    Incident.Kind.BREACH: "Personal information was seen, sent, lost, changed or destroyed "
    "when it should not have been — even if only one person was affected.",
    Incident.Kind.NEAR_MISS: "It nearly happened, but was caught in time: nobody who should "
    "not have seen the information did.",
}


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_LOCAL, **kwargs)


def local_datetime_field(**kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"],
        **kwargs,
    )


def unit_choices() -> list[tuple[int, str]]:
    return [
        (unit.pk, "\u2003" * unit.depth + unit.name)
        for unit in BusinessUnit.objects.order_by("path").only("pk", "name", "depth", "path")
    ]


class DetailsMixin(forms.Form):
    """The optional details, shared by the report form and the "add information" form."""

    occurred_precision = forms.ChoiceField(
        label="When did it happen?",
        choices=[
            (Incident.OccurredPrecision.EXACT, "I know when"),
            (Incident.OccurredPrecision.APPROXIMATE, "Roughly"),
            (Incident.OccurredPrecision.UNKNOWN, "I don't know"),
        ],
        initial=Incident.OccurredPrecision.UNKNOWN,
        widget=forms.RadioSelect,
        required=False,
    )
    occurred_at = local_datetime_field(
        label="Date and time it happened",
        required=False,
        help_text="Leave empty if you don't know.",
    )
    description = forms.CharField(
        label="What happened, in your own words",
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=10000,
        help_text="Describe what happened and how you found out. Do not copy case notes or "
        "the content of the file here.",
    )
    breach_types = forms.MultipleChoiceField(
        label="What happened to the information?",
        choices=IncidentBreachType.Type.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Tick all that apply.",
    )
    cause_category = forms.ChoiceField(
        label="Main cause",
        choices=[("", "Not sure yet"), *Incident.Cause.choices],
        required=False,
    )
    cause_detail = forms.CharField(
        label="More about the cause",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )
    information_categories = forms.MultipleChoiceField(
        label="What kind of information was involved?",
        choices=IncidentInformationCategory.Category.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    individuals_affected = forms.IntegerField(
        label="How many people's information was involved?",
        min_value=0,
        max_value=10_000_000,
        required=False,
    )
    individuals_affected_is_estimate = forms.BooleanField(
        label="This number is an estimate", required=False
    )
    containment_steps = forms.CharField(
        label="What has already been done to contain it?",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
        help_text="For example: asked the recipient to delete the e-mail, recalled the "
        "letter, locked the file away.",
    )
    contained_at = local_datetime_field(
        label="When was it contained?", required=False, help_text="Leave empty if it isn't yet."
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        occurred = cleaned.get("occurred_at")
        precision = cleaned.get("occurred_precision") or Incident.OccurredPrecision.UNKNOWN
        if occurred and precision == Incident.OccurredPrecision.UNKNOWN:
            # A date without a choice means they know it.
            precision = cleaned["occurred_precision"] = Incident.OccurredPrecision.EXACT
        problems = date_problems(
            aware_at=cleaned.get("aware_at") or getattr(self, "aware_at_bound", None),
            occurred_at=occurred,
            occurred_precision=precision,
            contained_at=cleaned.get("contained_at"),
        )
        for name, message in problems.items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, message)
        return cleaned

    def details(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "occurred_at": data.get("occurred_at"),
            "occurred_precision": data.get("occurred_precision")
            or Incident.OccurredPrecision.UNKNOWN,
            "description": data.get("description", ""),
            "cause_category": data.get("cause_category", ""),
            "cause_detail": data.get("cause_detail", ""),
            "individuals_affected": data.get("individuals_affected"),
            "individuals_affected_is_estimate": bool(data.get("individuals_affected_is_estimate")),
            "containment_steps": data.get("containment_steps", ""),
            "contained_at": data.get("contained_at"),
        }


class ReportForm(DetailsMixin):
    """Step one (at most six required inputs) and the optional, skippable details."""

    kind = forms.ChoiceField(
        label="Is this a breach or a near miss?",
        choices=[(k, f"{Incident.Kind(k).label}: {text}") for k, text in KIND_HELP.items()],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose breach or near miss. If unsure, choose breach."},
    )
    summary = forms.CharField(
        label="What happened, in one line",
        max_length=200,
        help_text="For example: \u201cCare plan e-mailed to the wrong caregiver\u201d. "
        "No names or case details.",
        error_messages={"required": "Say in a few words what happened."},
    )
    aware_at = local_datetime_field(
        label="When did you (or the agency) find out?",
        help_text="This starts the clock for telling the Privacy Commissioner. Now, if you just "
        "found out.",
        error_messages={"required": "Say when you found out; it can be roughly."},
    )
    channel = forms.ChoiceField(
        label="How did it happen?",
        choices=[("", "Choose one"), *Incident.Channel.choices],
        error_messages={"required": "Choose how it happened; \u201cOther\u201d is fine."},
    )
    business_unit = forms.TypedChoiceField(
        label="Which office or team?", coerce=int, help_text="Yours, unless it happened elsewhere."
    )
    discovered_by = forms.ChoiceField(
        label="How did this come to light?",
        choices=[("", "Not sure, or rather not say"), *Incident.Discovery.choices],
        required=False,
        help_text="It helps us see how mistakes are found. Nobody is blamed for reporting.",
    )
    reporting = forms.ChoiceField(
        label="Who may see that you reported this?",
        choices=[
            (Incident.Reporting.NAMED, "Everyone handling it (named)"),
            (
                Incident.Reporting.CONFIDENTIAL,
                "Only the chief privacy officer (confidential)",
            ),
        ],
        initial=Incident.Reporting.NAMED,
        widget=forms.RadioSelect,
        required=False,
        help_text="Reporting is never held against you. If you choose confidential, the privacy "
        "officers handle your report as usual but see \u201cConfidential reporter\u201d instead "
        "of your name; you still follow it under My reports.",
    )
    about_colleague = forms.BooleanField(
        label="This is about a colleague's conduct",
        required=False,
        help_text="Only the chief privacy officer will see the report at first; they decide who "
        "else may.",
    )
    evidence = forms.FileField(
        label="Evidence (optional)",
        required=False,
        help_text=f"A screenshot, photo or document, up to "
        f"{settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB: {allowed_types_text()}. You can "
        "add more later.",
    )
    # Both are set by the view: a token that makes a resubmission harmless, and the signed id
    # of the person the form was shown to (so a draft kept after the session expired is given
    # back only to them).
    submission_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    draft_owner = forms.CharField(widget=forms.HiddenInput, required=False)

    field_order = [
        "kind",
        "summary",
        "aware_at",
        "channel",
        "business_unit",
        "occurred_precision",
        "occurred_at",
        "description",
        "breach_types",
        "cause_category",
        "cause_detail",
        "information_categories",
        "individuals_affected",
        "individuals_affected_is_estimate",
        "containment_steps",
        "contained_at",
        "discovered_by",
        "evidence",
        "reporting",
        "about_colleague",
    ]
    REQUIRED_STEP = ["kind", "summary", "aware_at", "channel", "business_unit"]
    # Shown in sections of their own, not among the optional details.
    OWN_STEPS = ("evidence", "reporting", "about_colleague")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read per form, not at import: units are added while the site runs.
        units = cast(forms.TypedChoiceField, self.fields["business_unit"])
        units.choices = unit_choices()

    def clean_evidence(self) -> Any:
        upload = self.cleaned_data.get("evidence")
        if upload:
            check_upload(upload)
        return upload

    def details_open(self) -> bool:
        """Open the optional part only when something in it was typed or is wrong."""
        if not self.is_bound:
            return False
        for bound in self.detail_step():
            if bound.errors:
                return True
            value = self.data.getlist(bound.html_name) if hasattr(self.data, "getlist") else []
            if any(v for v in value) and bound.name != "occurred_precision":
                return True
        return False

    def first_step(self) -> list[forms.BoundField]:
        return [self[name] for name in self.REQUIRED_STEP]

    def detail_step(self) -> list[forms.BoundField]:
        return [
            self[name]
            for name in self.field_order
            if name not in self.REQUIRED_STEP and name not in self.OWN_STEPS
        ]

    def who_step(self) -> list[forms.BoundField]:
        """Who may know who reported it: answered by default (named), changed in one click."""
        return [self["reporting"], self["about_colleague"]]

    def clean_reporting(self) -> str:
        # Left unanswered (an old form, a kept draft): named, as the form shows by default.
        return self.cleaned_data.get("reporting") or Incident.Reporting.NAMED

    def confidentiality(self) -> dict[str, Any]:
        """What ``incident_create`` takes about who may know who reported it, and why."""
        data = self.cleaned_data
        return {
            "reporting": data.get("reporting") or Incident.Reporting.NAMED,
            "about_colleague": bool(data.get("about_colleague")),
            "discovered_by": data.get("discovered_by") or "",
        }


class DetailsForm(DetailsMixin):
    """Add information to an open report (the same optional details)."""

    draft_owner = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        self.aware_at_bound = incident.aware_at
        super().__init__(*args, **kwargs)


class AffectedForm(forms.Form):
    reference = forms.CharField(
        label="Case or client reference",
        max_length=40,
        required=False,
        help_text="Only the reference number. Never names, addresses or file content.",
    )
    role = forms.ChoiceField(
        label="Their role",
        choices=[("", "Choose"), *AffectedIndividual.Role.choices],
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        reference, role = cleaned.get("reference", "").strip(), cleaned.get("role")
        if reference and not REFERENCE_RE.match(reference):
            self.add_error("reference", REFERENCE_MESSAGE)
        if reference and not role:
            self.add_error("role", "Choose their role.")
        if role and not reference:
            self.add_error("reference", "Give the case or client reference, or clear the role.")
        cleaned["reference"] = reference
        return cleaned


AffectedFormSet = forms.formset_factory(AffectedForm, extra=2, max_num=20, validate_max=True)


def affected_rows(formset: forms.BaseFormSet) -> list[tuple[str, str]]:
    return [
        (f.cleaned_data["reference"], f.cleaned_data["role"])
        for f in formset.forms
        if f.cleaned_data.get("reference")
    ]


class CommentForm(forms.Form):
    draft_owner = forms.CharField(widget=forms.HiddenInput, required=False)
    body = forms.CharField(
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Write something before sending."},
    )
    visibility = forms.ChoiceField(
        label="Who can read it",
        choices=Comment.Visibility.choices,
        initial=Comment.Visibility.SHARED,
        widget=forms.RadioSelect,
        required=False,
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="Add evidence",
        help_text=f"Up to {settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB: "
        f"{allowed_types_text()}.",
        error_messages={"required": "Choose a file to attach."},
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        check_upload(upload)
        return upload
