"""Strict input for the API: unknown fields, values outside their choices and far-out dates are
a 400 naming the field (and the allowed values), never a 500. The date rules are the form's
(``breaches/intake/validation.py``).
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from breaches.intake.validation import (
    EARLIEST,
    TOO_EARLY,
)


class SafeDateTimeField(serializers.DateTimeField):
    """A date-time whose far-out values are a 400, never an overflow (a 500)."""

    def to_internal_value(self, value: Any) -> Any:
        try:
            parsed = super().to_internal_value(value)
        except (OverflowError, ValueError) as exc:
            raise serializers.ValidationError("This date is out of range.") from exc
        if parsed is not None and parsed < EARLIEST:
            raise serializers.ValidationError(TOO_EARLY)
        return parsed


class NoNulSlugRelatedField(serializers.SlugRelatedField):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            raise serializers.ValidationError("Null characters are not allowed.")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    """A choice field whose error lists the allowed values."""

    def to_internal_value(self, data: Any) -> Any:
        if data == "" and self.allow_blank:
            return ""
        if not isinstance(data, str) or data not in self.choices:
            allowed = ", ".join(str(c) for c in self.choices if c != "")
            raise serializers.ValidationError(
                f'"{data}" is not allowed. Allowed values: {allowed}.'
            )
        return data


class StrictMultipleChoiceField(serializers.ListField):
    """A list of distinct choices; each wrong one is named with the allowed values."""

    def __init__(self, *, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(child=StrictChoiceField(choices=choices), **kwargs)

    def to_internal_value(self, data: Any) -> list[str]:
        return list(dict.fromkeys(super().to_internal_value(data)))

    def to_representation(self, data: Any) -> list[str]:
        # Rendering an incident's own rows (the browsable API's form does): their codes.
        if hasattr(data, "all"):
            return [str(getattr(row, "breach_type", None) or row.category) for row in data.all()]
        return list(super().to_representation(data))


class RejectUnknownFieldsMixin:
    """A 400 naming every field the serializer does not know."""

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys"):
            writable = {name for name, f in self.fields.items() if not f.read_only}  # type: ignore[attr-defined]  # a mixin: the serializer has .fields
            # A session-authenticated HTML form also sends its CSRF token.
            unknown = sorted(set(data.keys()) - writable - {"csrfmiddlewaretoken"})
            if unknown:
                allowed = ", ".join(sorted(writable))
                raise serializers.ValidationError(
                    {name: [f"Unknown field. Allowed fields: {allowed}."] for name in unknown}
                )
        return super().to_internal_value(data)  # type: ignore[misc]  # resolved in the serializer
