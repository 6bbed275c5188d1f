"""The form behind each workflow button on the incident page."""

from __future__ import annotations

from django import forms


class TransitionForm(forms.Form):
    to = forms.CharField(widget=forms.HiddenInput, max_length=40)
    reason = forms.CharField(
        label="Why reopen", max_length=1000, required=False,
        widget=forms.TextInput(attrs={"placeholder": "Why reopen? (required)"}),
    )  # fmt: skip
