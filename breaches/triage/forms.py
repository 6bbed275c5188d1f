"""The officer's triage forms: the §4.1 facts, and the decision."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from breaches.intake.forms import DateTimeLocalInput, local_datetime_field
from breaches.models import Decision, Incident, IncidentBreachType, IncidentInformationCategory
from breaches.triage.engine import Facts, FactsError, parse_facts
from breaches.triage.engine import facts as F

RECIPIENT_LABELS = {
    "none": "Nobody obtained it",
    "trusted_internal": "Staff bound by our own duties",
    "trusted_external": "Someone bound by confidentiality (e.g. another agency)",
    "known_individual": (
        "A known person with no duty of confidence, not hostile (e.g. another customer)"
    ),
    "unknown": "Unknown",
    "public": "Published or openly reachable",
    "malicious": "A criminal or hostile actor",
    "person_posing_risk": "Someone who may harm an affected person",
}
CONTAINED_LABELS = {
    "fully": "Fully: recovered or confirmed deleted, no copies",
    "partially": "Partially",
    "not": "Not contained",
}
SECURITY_LABELS = {
    "none": "None",
    "password_protected": "Password protected",
    "pseudonymised": "Pseudonymised",
    "encrypted": "Encrypted",
}


def _choices(
    values: tuple[str, ...], labels: dict[str, str] | None = None
) -> list[tuple[str, str]]:
    return [(v, (labels or {}).get(v, v.replace("_", " ").capitalize())) for v in values]


class FactsForm(forms.Form):
    """SPEC §4.1 as a form; validation is the engine's own (``parse_facts``)."""

    jurisdiction = forms.ChoiceField(label="Law to apply", choices=Incident.Jurisdiction.choices)
    breach_types = forms.MultipleChoiceField(
        label="What happened to the information", choices=IncidentBreachType.Type.choices,
        widget=forms.CheckboxSelectMultiple, required=False,
    )  # fmt: skip
    info_categories = forms.MultipleChoiceField(
        label="Information involved", choices=IncidentInformationCategory.Category.choices,
        widget=forms.CheckboxSelectMultiple, required=False,
    )  # fmt: skip
    individuals_affected = forms.IntegerField(
        label="People affected", min_value=0, max_value=10_000_000
    )
    vulnerable_individuals = forms.BooleanField(
        label="Children or people at risk are among them", required=False
    )
    recipient = forms.ChoiceField(
        label="Who obtained it (or may)", choices=_choices(F.RECIPIENTS, RECIPIENT_LABELS),
        widget=forms.RadioSelect,
    )  # fmt: skip
    security_measures = forms.ChoiceField(
        label="Protection", choices=_choices(F.SECURITY_MEASURES, SECURITY_LABELS)
    )
    key_compromised = forms.BooleanField(
        label="The key or password was exposed too", required=False
    )
    contained = forms.ChoiceField(
        label="Contained", choices=_choices(F.CONTAINED, CONTAINED_LABELS), widget=forms.RadioSelect
    )
    harm_occurred = forms.BooleanField(label="Harm has already occurred", required=False)
    harm_types = forms.MultipleChoiceField(
        label="Harm caused or that may be caused", choices=_choices(F.HARM_TYPES),
        widget=forms.CheckboxSelectMultiple, required=False,
    )  # fmt: skip
    backup_available = forms.ChoiceField(
        label="A backup exists (for loss, destruction, unavailability)",
        choices=[("", "Unknown / not relevant"), ("true", "Yes"), ("false", "No")],
        required=False,
    )
    aware_at = local_datetime_field(label="Agency became aware")

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        self.incident = incident
        super().__init__(*args, **kwargs)
        self.fields["aware_at"].widget = DateTimeLocalInput()
        # The clock starts when the agency became aware: that is the incident's own fact, changed
        # (with history) on the incident, never quietly here.
        self.fields["aware_at"].disabled = True
        self.fields["aware_at"].initial = timezone.localtime(incident.aware_at)
        self.fields["aware_at"].help_text = "From the incident; it starts the clock."
        if incident.individuals_affected is None:
            self.fields[
                "individuals_affected"
            ].help_text = "The report did not say how many: 1 is only a placeholder, check it."
        self.facts: Facts | None = None

    @classmethod
    def initial_from(cls, facts: dict[str, Any]) -> dict[str, Any]:
        initial = dict(facts)
        backup = facts.get("backup_available")
        initial["backup_available"] = "" if backup is None else ("true" if backup else "false")
        aware = facts.get("aware_at")
        if isinstance(aware, str):
            from datetime import datetime

            initial["aware_at"] = timezone.localtime(datetime.fromisoformat(aware))
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        backup = {"": None, "true": True, "false": False}[cleaned.get("backup_available") or ""]
        data = {
            "jurisdiction": cleaned["jurisdiction"],
            "kind": self.incident.kind,
            "breach_types": cleaned.get("breach_types") or [],
            "info_categories": cleaned.get("info_categories") or [],
            "individuals_affected": cleaned["individuals_affected"],
            "vulnerable_individuals": bool(cleaned.get("vulnerable_individuals")),
            "recipient": cleaned["recipient"],
            "security_measures": cleaned["security_measures"],
            "key_compromised": bool(cleaned.get("key_compromised")),
            "contained": cleaned["contained"],
            "harm_occurred": bool(cleaned.get("harm_occurred")),
            "harm_types": cleaned.get("harm_types") or [],
            "backup_available": backup,
            "aware_at": cleaned["aware_at"].isoformat(),
        }
        try:
            self.facts = parse_facts(data)
        except FactsError as exc:
            for name, message in exc.errors.items():
                self.add_error(name if name in self.fields else None, message)
        return cleaned


class DecisionForm(forms.Form):
    notify_regulator = forms.ChoiceField(
        label="The regulator", choices=Decision.Regulator.choices, widget=forms.RadioSelect
    )
    notify_individuals = forms.ChoiceField(
        label="Affected individuals", choices=Decision.Individuals.choices, widget=forms.RadioSelect
    )
    ground = forms.CharField(
        label="Ground for an exception or delay",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
        help_text="For NZ, the s116 ground (e.g. notifying would endanger someone's safety).",
    )
    rationale = forms.CharField(
        label="Rationale",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
        help_text="Required when your decision differs from the recommendation.",
    )
    assessment = forms.IntegerField(widget=forms.HiddenInput)
