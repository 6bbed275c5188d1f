"""The form behind each workflow button on the incident page.

Closing an incident that has open actions asks, for each of them, what happens to it: one row
per action, posted as three lists in the same order (the action's id, the outcome, the reason
for carrying it over). Fixed names, not one per action, so that the input is kept across an
expired session like any other field (``config.kept_input`` keeps the fields the form names).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.datastructures import MultiValueDict

from breaches.models import Action, Incident
from breaches.response.actions import ClosingAnswer, closing_problems

# As in the response's forms: the largest id the database can hold.
MAX_PK = 2**63 - 1


class ListInput(forms.MultipleHiddenInput):
    """A field posted once per row: read as the list of its values, in order. The rows are
    drawn by the template (``TransitionForm.closing_rows``), never by the widget."""

    def value_from_datadict(
        self, data: Mapping[str, Any], files: MultiValueDict[str, Any], name: str
    ) -> Any:
        getlist = getattr(data, "getlist", None)
        if getlist is not None:
            return getlist(name)
        value = data.get(name)
        return value if isinstance(value, list) else [] if value is None else [value]


class RowsField(forms.Field):
    """The values of one column of the closing rows, as strings (checked by the form)."""

    widget = ListInput

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        return [str(v).replace("\x00", "") for v in value]


@dataclass(frozen=True)
class ClosingRow:
    """One open action as the closing form shows it: what was chosen, why, and what is wrong."""

    action: Action
    outcome: str
    reason: str
    outcome_error: str
    reason_error: str


class TransitionForm(forms.Form):
    to = forms.CharField(widget=forms.HiddenInput, max_length=40)
    reason = forms.CharField(
        label="Why reopen", max_length=1000, required=False,
        widget=forms.TextInput(attrs={"placeholder": "Why reopen? (required)"}),
    )  # fmt: skip
    # Closing with open actions: one row per open action (see the module's docstring).
    open_action = RowsField(label="Open action", required=False)
    outcome = RowsField(label="Open actions", required=False)
    carry_reason = RowsField(label="Reason for carrying it over", required=False)

    def __init__(self, *args: Any, open_actions: Sequence[Action] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_actions = list(open_actions)
        self.row_errors: dict[int, dict[str, str]] = {}

    CLOSING_FIELDS = ("open_action", "outcome", "carry_reason")

    def answers(self) -> list[ClosingAnswer]:
        """The rows as posted (or kept), one answer per action id; rows whose id is not a
        number are left out (the action they name is then unanswered)."""
        ids, outcomes, reasons = (self._column(name) for name in self.CLOSING_FIELDS)
        answers = []
        for i, pk in enumerate(ids):
            if not pk.isdigit() or not 0 < int(pk) <= MAX_PK:
                continue
            outcome = outcomes[i] if i < len(outcomes) else ""
            reason = reasons[i] if i < len(reasons) else ""
            answers.append(ClosingAnswer(int(pk), outcome, reason))
        return answers

    def _column(self, name: str) -> list[str]:
        if self.is_bound and hasattr(self, "cleaned_data") and name in self.cleaned_data:
            return list(self.cleaned_data[name])
        if self.is_bound:
            return RowsField().to_python(self[name].value())
        return RowsField().to_python(self.initial.get(name))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("to") == Incident.Status.CLOSED and self.open_actions:
            answers = {a.action_id: a for a in self.answers()}
            self.row_errors = closing_problems(self.open_actions, answers)
            for problem in self.row_errors.values():
                for message in problem.values():
                    self.add_error("outcome", message)
        return cleaned

    def closing_rows(self) -> list[ClosingRow]:
        """A row per open action, with what was posted (or kept) for it and its errors."""
        given = {a.action_id: a for a in self.answers()}
        rows = []
        for action in self.open_actions:
            answer = given.get(action.pk)
            errors = self.row_errors.get(action.pk, {})
            rows.append(
                ClosingRow(
                    action=action,
                    outcome=answer.outcome if answer else "",
                    reason=answer.reason if answer else "",
                    outcome_error=errors.get("outcome", ""),
                    reason_error=errors.get("reason", ""),
                )
            )
        return rows
