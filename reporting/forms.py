"""The form asking for a quarterly report."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from reporting.figures import FIRST_YEAR, LAST_YEAR, Quarter


class ReportRequestForm(forms.Form):
    """A quarter to report on: offered as the last eight, any started quarter accepted."""

    quarter = forms.CharField(label="Quarter", widget=forms.Select)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = Quarter.containing(timezone.localdate())
        choices = [(q.code, q.label) for q in reversed(current.last(8))]
        asked = self.data.get("quarter") if self.is_bound else None
        if asked and asked not in dict(choices):
            # What was sent stays on screen beside its error, even if no option offered it.
            choices.append((str(asked)[:20], str(asked)[:20]))
        self.fields["quarter"].widget.choices = choices
        self.fields["quarter"].initial = current.previous().code

    def clean_quarter(self) -> Quarter:
        text = self.cleaned_data["quarter"]
        try:
            quarter = Quarter.parse(text)
        except ValueError:
            raise forms.ValidationError(
                f"Choose a quarter like 2026Q3, between {FIRST_YEAR} and {LAST_YEAR}."
            ) from None
        if quarter.bounds()[0] > timezone.now():
            raise forms.ValidationError("That quarter has not started yet.")
        return quarter
