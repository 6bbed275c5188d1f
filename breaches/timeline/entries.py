"""What the timeline is made of: entries, field changes, and how a stored value is shown."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.db import models

if TYPE_CHECKING:
    from breaches.models import Incident


@dataclass(frozen=True)
class Change:
    """One field of the incident, before and after, as shown to people (labels, not codes)."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class TimelineEntry:
    """Who did what, and when; ``internal`` entries are only ever built for handlers.

    ``actor_id``: the user who acted, where the source knows it, so that the incident's reporter
    can be told apart and hidden from whoever may not know them (``by_reporter``).
    """

    at: datetime
    actor: str
    verb: str
    changes: list[Change] = field(default_factory=list)
    text: str = ""
    kind: str = "change"
    internal: bool = False
    actor_id: int | None = None
    by_reporter: bool = False


class Provider(Protocol):
    """One source of the timeline: its entries for this audience, in a fixed number of queries."""

    def __call__(
        self, incident: Incident, *, include_internal: bool
    ) -> Iterable[TimelineEntry]: ...


def actor_name(user: object | None) -> str:
    """Who wrote a history row; rows written without a user came from the system (a task)."""
    return str(user) if user else "System"


def _concrete_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """The timeline names fields of the model itself, never a reverse relation."""
    found = model._meta.get_field(name)
    if not isinstance(found, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a field of the model")
    return found


def label(model: type[models.Model], name: str) -> str:
    return str(_concrete_field(model, name).verbose_name)


def display(model: type[models.Model], name: str, value: Any) -> Any:
    """Show a choice's label rather than its stored code; yes/no for booleans."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if value is None or value == "":
        return "—"
    if hasattr(value, "name") and not isinstance(value, str):  # a related object
        return str(value)
    choices = dict(_concrete_field(model, name).flatchoices)
    return choices.get(value, value)
