"""Crediting a change in django-simple-history: who made it, and why."""

from __future__ import annotations

from django.db import models

from accounts.models import User

# simple-history's history_change_reason column holds this many characters.
CHANGE_REASON_LENGTH = 100


def stamp_history(instance: models.Model, *, user: User | None, reason: str = "") -> None:
    """Credit the history row the next ``save()`` or ``delete()`` of ``instance`` writes.

    simple-history reads the private ``_history_user`` and ``_change_reason`` attributes of the
    instance; they are set here, in one typed place. Without a reason the row keeps none.
    """
    # setattr: the attributes are simple-history's, not declared on our models.
    setattr(instance, "_history_user", user)  # noqa: B010
    if reason:
        setattr(instance, "_change_reason", reason[:CHANGE_REASON_LENGTH])  # noqa: B010
