"""Forms more than one part of the register uses."""

from __future__ import annotations

from typing import Any

from django import forms


class DecideWithPasswordForm(forms.Form):
    """Approve or refuse another person's proposal (a role, a retention rule), after typing
    one's password again. ``why_asked`` says why the password is asked for."""

    why_asked = "Confirm it is you."

    decision = forms.ChoiceField(
        label="Decision", choices=[("approve", "Approve"), ("refuse", "Refuse")],
        widget=forms.RadioSelect,
    )  # fmt: skip
    note = forms.CharField(
        label="Note (optional)", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
        required=False,
    )  # fmt: skip
    password = forms.CharField(label="Your password, again", widget=forms.PasswordInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = self.why_asked
