"""The quarter forms: asking for a quarterly report, and choosing the dashboard's quarter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from breaches.models import Incident
from reporting.cache import quarters_with_data
from reporting.figures import FIRST_YEAR, LAST_YEAR, Quarter


def _started_quarter(text: str) -> Quarter:
    """A quarter like 2026Q3 that has started: the one rule both forms share."""
    try:
        quarter = Quarter.parse(text)
    except ValueError:
        raise forms.ValidationError(
            f"Choose a quarter like 2026Q3, between {FIRST_YEAR} and {LAST_YEAR}."
        ) from None
    if quarter.bounds()[0] > timezone.now():
        raise forms.ValidationError("That quarter has not started yet.")
    return quarter


def _keep_asked(form: forms.Form, choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """What was sent stays on screen beside its error, even if no option offered it."""
    asked = str(form.data.get("quarter") or "") if form.is_bound else ""
    if asked and asked not in dict(choices):
        # The value whole, so it shows as chosen; its label cut short.
        choices.append((asked, asked if len(asked) <= 20 else f"{asked[:20]}…"))
    return choices


class ReportRequestForm(forms.Form):
    """A quarter to report on: offered as the last eight, any started quarter accepted."""

    quarter = forms.CharField(label="Quarter", widget=forms.Select)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = Quarter.containing(timezone.localdate())
        choices = [
            (q.code, f"{q.label} to date" if q == current else q.label)
            for q in reversed(current.last(8))
        ]
        self.fields["quarter"].widget.choices = _keep_asked(self, choices)
        self.fields["quarter"].initial = current.previous().code

    def clean_quarter(self) -> Quarter:
        return _started_quarter(self.cleaned_data["quarter"])


class DashboardQuarterForm(forms.Form):
    """The dashboard's quarter picker (a GET form): the quarter in progress, labelled "to date",
    then every earlier quarter with data in the person's scope and at least the last eight.
    Unbound, it shows the default: the last complete quarter. Any started quarter is accepted,
    as a bookmark may name one the list does not offer."""

    quarter = forms.CharField(label="Quarter", widget=forms.Select)

    def __init__(self, *args: Any, incidents: QuerySet[Incident], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = Quarter.containing(timezone.localdate())
        offered = set(current.last(9)) | {
            q
            for q in quarters_with_data(incidents)
            if (q.year, q.number) < (current.year, current.number)
        }
        ordered = sorted(offered, key=lambda q: (q.year, q.number), reverse=True)
        choices = [(q.code, f"{q.label} to date" if q == current else q.label) for q in ordered]
        self.fields["quarter"].widget.choices = _keep_asked(self, choices)
        self.fields["quarter"].initial = self.default().code

    @staticmethod
    def default() -> Quarter:
        """The last complete quarter: a quarter in progress is never shown unless asked for."""
        return Quarter.containing(timezone.localdate()).previous()

    def clean_quarter(self) -> Quarter:
        return _started_quarter(self.cleaned_data["quarter"])
