"""Which tables a backup holds, in which order, and what is left out on purpose.

The tables are read from the app registry, never listed by hand: every concrete model Django
has installed is in the backup — the project's own apps, the many-to-many tables, the change
history django-simple-history keeps for them, and the third-party tables that hold register
data (users' groups and permissions, content types, the admin's log of changes, allauth's
e-mail addresses and second-factor devices) — unless :data:`LEFT_OUT` names its app or model
and says why. A model added tomorrow (a disposal record, a setting) is backed up without any
change here.

Left out as well, without a mention: proxy models (their rows are their concrete model's),
unmanaged models (not the register's tables) and swapped models (``auth.User`` and knox's own
token table, replaced by ``accounts.User`` and ``accounts.ApiToken``, which are kept).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.apps import apps
from django.db import models

#: Apps (``app_label``) and models (``app_label.model_name``) deliberately not backed up.
LEFT_OUT: dict[str, str] = {
    "sessions": (
        "signed-in sessions: a restore must not sign anyone back in, and they expire anyway"
    ),
    "axes": (
        "login lockout state and login attempts (django-axes): operational, short-lived, and "
        "a restore must neither lock people out nor lift a lockout"
    ),
    "account.emailconfirmation": (
        "one-time e-mail confirmation keys (allauth): short-lived, unused by the register"
    ),
}


@dataclass(frozen=True)
class Table:
    """One table of the backup: its model and the columns written for each row."""

    model: type[models.Model]

    @property
    def label(self) -> str:
        """``app_label.model_name``, as the manifest names the table."""
        return str(self.model._meta.label_lower)

    @property
    def db_table(self) -> str:
        return str(self.model._meta.db_table)

    @property
    def member(self) -> str:
        """The archive member holding the rows: JSON Lines, one array per row."""
        return f"tables/{self.db_table}.jsonl"

    @cached_property
    def fields(self) -> tuple[models.Field[Any, Any], ...]:
        """The table's own columns, as stored: generated columns are left to the database,
        which computes them again on restore."""
        return tuple(
            field
            for field in self.model._meta.local_concrete_fields
            if not isinstance(field, models.GeneratedField)
        )

    @property
    def columns(self) -> list[str]:
        """The attribute names of :attr:`fields` (``business_unit_id``, not ``business_unit``)."""
        return [field.attname for field in self.fields]

    @property
    def file_fields(self) -> tuple[models.FileField, ...]:
        """File fields whose files travel with the rows. History tables keep only the names
        (as text), so each file is taken once, from its live row."""
        return tuple(field for field in self.fields if isinstance(field, models.FileField))


def left_out_reason(model: type[models.Model]) -> str | None:
    """Why ``model`` is not in the backup, or None when it is."""
    meta = model._meta
    if meta.proxy or not meta.managed or meta.swapped:
        return "not a table of its own"
    return LEFT_OUT.get(meta.label_lower) or LEFT_OUT.get(meta.app_label)


def register_tables() -> list[Table]:
    """Every table the backup holds, referenced tables before the tables referring to them.

    Ties are broken by label, so the order is the same on every run and every database. A
    cycle of references (none today) would keep its tables in label order: both databases
    check foreign keys at commit, so the order only matters for reading the archive.
    """
    chosen = [
        model
        for model in apps.get_models(include_auto_created=True)
        if left_out_reason(model) is None
    ]
    return [Table(model) for model in _referenced_first(chosen)]


def left_out_tables() -> dict[str, str]:
    """The installed tables not in the backup, with the reason (for the manifest and docs)."""
    return {
        model._meta.label_lower: reason
        for model in apps.get_models(include_auto_created=True)
        if (reason := left_out_reason(model)) is not None and not model._meta.swapped
    }


def _referenced_first(chosen: Iterable[type[models.Model]]) -> list[type[models.Model]]:
    by_label = {model._meta.label_lower: model for model in chosen}
    needs: dict[str, set[str]] = {}
    for label, model in by_label.items():
        targets = {
            field.related_model._meta.label_lower
            for field in model._meta.local_concrete_fields
            if field.is_relation and field.related_model is not None
        }
        needs[label] = (targets & by_label.keys()) - {label}
    ordered: list[str] = []
    done: set[str] = set()
    while len(ordered) < len(by_label):
        ready = sorted(label for label in by_label if label not in done and needs[label] <= done)
        if not ready:  # a cycle: take the rest by label
            ready = sorted(label for label in by_label if label not in done)
        for label in ready:
            ordered.append(label)
            done.add(label)
    return [by_label[label] for label in ordered]
