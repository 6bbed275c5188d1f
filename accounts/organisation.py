"""The organisation's settings (SPEC §9, docs/settings.md): read by every app, changed by
administrators on /settings/, every change kept on the history.

- :func:`current` — the settings in force now. Read once per request (or :func:`held` block)
  with one query, then from memory: a page that asks for them on every row of a list still
  makes one query, and a change saved by another process is seen by the next request,
  whichever worker or host serves it. Outside both, each call asks the database.
- :func:`as_of` — the settings that were in force at a moment, from the history (one query per
  request for any number of moments). What is judged against a setting for a past period (a
  quarter's median hours to notification against the target) uses the setting of that period,
  so a change never alters a past report's figures.
- :func:`settings_update` — the one write: an administrator, a reason, the version of the
  settings the change was made from (a change made from a stale page is refused).

Until an administrator first saves the page there is no row, and the environment's values
(``AGENCY_NAME``, ``REGISTER_DEFAULT_JURISDICTION``, ``TRIAGE_NZ_TARGET_HOURS``,
``TRIAGE_REMINDER_HOURS`` in ``config/settings.py``) are the settings, at every moment: a read
never writes. From the first save on, the environment is ignored.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.history import CHANGE_REASON_LENGTH, stamp_history
from accounts.models import (
    JURISDICTION_CHOICES,
    MAX_SETTING_HOURS,
    OrganisationSettings,
    User,
)
from accounts.request_context import get_request_id

#: Reminder points an organisation may set at most.
MAX_REMINDERS = 5
#: When no reminder point is set, a clock this close to its deadline is still "soon".
DEFAULT_REMINDER_HOURS = 24
JURISDICTIONS = dict(JURISDICTION_CHOICES)


@dataclass(frozen=True)
class Organisation:
    """The organisation's settings at one moment (immutable: read, never edited in place)."""

    agency_name: str
    default_jurisdiction: str
    nz_target_hours: int
    # Hours before a deadline at which officers are reminded, largest first.
    reminder_hours: tuple[int, ...]

    @property
    def reminder_horizon_hours(self) -> int:
        """The earliest reminder point: a running clock this close to its deadline is "soon"."""
        return max(self.reminder_hours, default=DEFAULT_REMINDER_HOURS)

    @property
    def default_jurisdiction_label(self) -> str:
        return JURISDICTIONS.get(self.default_jurisdiction, self.default_jurisdiction)


#: The settings by name, in the order the page shows them.
SETTINGS = tuple(f.name for f in fields(Organisation))
LABELS = {
    "agency_name": "Agency name",
    "default_jurisdiction": "Default jurisdiction",
    "nz_target_hours": "Notification target (New Zealand)",
    "reminder_hours": "Reminders before a deadline",
}


def normal_hours(hours: Iterable[int]) -> tuple[int, ...]:
    """Reminder points as stored and compared: each once, largest first."""
    return tuple(sorted(set(hours), reverse=True))


def hours_text(hours: Iterable[int]) -> str:
    """Reminder points as the row stores them ("48,24")."""
    return ",".join(str(h) for h in normal_hours(hours))


def first_values() -> Organisation:
    """The environment's values (``config/settings.py``): the settings until the first save."""
    return Organisation(
        agency_name=settings.AGENCY_NAME,
        default_jurisdiction=settings.REGISTER_DEFAULT_JURISDICTION,
        nz_target_hours=int(settings.TRIAGE_NZ_TARGET_HOURS),
        reminder_hours=normal_hours(int(h) for h in settings.TRIAGE_REMINDER_HOURS),
    )


def _of(row: OrganisationSettings) -> Organisation:
    return Organisation(
        agency_name=row.agency_name,
        default_jurisdiction=row.default_jurisdiction,
        nz_target_hours=row.nz_target_hours,
        reminder_hours=normal_hours(int(h) for h in row.reminder_hours.split(",") if h),
    )


# --- reading, once per request --------------------------------------------------------------


@dataclass
class _Memo:
    """What one request (task, block) has read: the settings now, and the history."""

    scope: str
    current: Organisation | None = None
    history: list[tuple[datetime, Organisation]] | None = None


_memo: contextvars.ContextVar[_Memo | None] = contextvars.ContextVar("organisation", default=None)
_held: contextvars.ContextVar[str] = contextvars.ContextVar("organisation_held", default="")


def _remembered() -> _Memo | None:
    """This request's memo, started if needed; None outside any request or block (each read
    then asks the database: a script or test changing the settings sees its change)."""
    scope = _held.get() or get_request_id()
    if not scope:
        return None
    memo = _memo.get()
    if memo is None or memo.scope != scope:
        memo = _Memo(scope)
        _memo.set(memo)
    return memo


def current() -> Organisation:
    """The settings in force now (at most one query per request or :func:`held` block)."""
    memo = _remembered()
    if memo is not None and memo.current is not None:
        return memo.current
    row = OrganisationSettings.objects.filter(pk=OrganisationSettings.SINGLETON_ID).first()
    value = _of(row) if row is not None else first_values()
    if memo is not None:
        memo.current = value
    return value


def as_of(moment: datetime) -> Organisation:
    """The settings that were in force at ``moment``: the last change saved at or before it,
    else (nothing saved yet then) the environment's first values."""
    memo = _remembered()
    history = memo.history if memo is not None else None
    if history is None:
        history = [
            (row.history_date, _of(row))
            for row in OrganisationSettings.history.order_by("history_date", "history_id")
        ]
        if memo is not None:
            memo.history = history
    found = first_values()
    for at, value in history:
        if at > moment:
            break
        found = value
    return found


@contextmanager
def held() -> Iterator[None]:
    """Read the settings once for the whole block (a batch job outside a request): a change
    saved meanwhile by someone else applies from the next block."""
    token = _held.set(uuid.uuid4().hex)
    try:
        yield
    finally:
        _held.reset(token)


def forget() -> None:
    """Drop what this request has read: the next read asks the database again."""
    _memo.set(None)


# --- changing them ---------------------------------------------------------------------------


def check(values: Organisation) -> None:
    """Raise ValidationError, field by field, for settings the register cannot work with."""
    errors: dict[str, str] = {}
    if not values.agency_name.strip():
        errors["agency_name"] = "Give the agency's name, as drafts and reports print it."
    elif len(values.agency_name) > 200:
        errors["agency_name"] = "At most 200 characters."
    if values.default_jurisdiction not in JURISDICTIONS:
        allowed = ", ".join(JURISDICTIONS)
        errors["default_jurisdiction"] = f"Choose one of the jurisdictions: {allowed}."
    if not 1 <= values.nz_target_hours <= MAX_SETTING_HOURS:
        errors["nz_target_hours"] = f"Between 1 and {MAX_SETTING_HOURS} hours."
    if not values.reminder_hours:
        errors["reminder_hours"] = "Give at least one reminder point, e.g. 24."
    elif len(values.reminder_hours) > MAX_REMINDERS:
        errors["reminder_hours"] = f"At most {MAX_REMINDERS} reminder points."
    elif not all(1 <= h <= MAX_SETTING_HOURS for h in values.reminder_hours):
        errors["reminder_hours"] = f"Each reminder point is 1 to {MAX_SETTING_HOURS} hours."
    if errors:
        raise ValidationError(errors)


def version() -> int:
    """The version of the settings in force (0: never saved), which a change is made from."""
    row = OrganisationSettings.objects.filter(pk=OrganisationSettings.SINGLETON_ID).first()
    return row.version if row is not None else 0


def settings_update(
    *, actor: User, values: Organisation, reason: str, from_version: int
) -> OrganisationSettings:
    """Save new settings, with who and why on the history. Only administrators change them
    (SPEC §1, §3); a change made from a version that is no longer current, or that changes
    nothing, is refused. The first save writes the row; the environment is ignored after it."""
    from config.errors import Conflict  # config.errors brings in DRF: not at model loading

    if not (actor.is_active and actor.is_administrator):
        raise PermissionDenied("Only administrators change the organisation's settings.")
    values = Organisation(
        agency_name=values.agency_name.strip(),
        default_jurisdiction=values.default_jurisdiction,
        nz_target_hours=values.nz_target_hours,
        reminder_hours=normal_hours(values.reminder_hours),
    )
    check(values)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the settings change: the history keeps it."})
    if len(reason) > CHANGE_REASON_LENGTH:
        raise ValidationError({"reason": f"At most {CHANGE_REASON_LENGTH} characters."})
    stale = Conflict(
        "Someone else changed the settings since this page was opened: the values below are "
        "theirs now. Make your change again if it is still needed.",
    )
    try:
        with transaction.atomic():
            row = (
                OrganisationSettings.objects.select_for_update()
                .filter(pk=OrganisationSettings.SINGLETON_ID)
                .first()
            )
            if (row.version if row is not None else 0) != from_version:
                raise stale
            if (_of(row) if row is not None else first_values()) == values:
                raise ValidationError("Nothing was changed: the settings are already these.")
            new = row is None
            if row is None:
                row = OrganisationSettings(pk=OrganisationSettings.SINGLETON_ID, version=0)
            row.agency_name = values.agency_name
            row.default_jurisdiction = values.default_jurisdiction
            row.nz_target_hours = values.nz_target_hours
            row.reminder_hours = hours_text(values.reminder_hours)
            row.version += 1
            stamp_history(row, user=actor, reason=reason)
            row.save(force_insert=new)
    except IntegrityError as exc:
        # Two first saves at once: the other one made the row.
        raise stale from exc
    finally:
        forget()
    return row


# --- the history, for the page ---------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One saved change: when, by whom, why, and each setting it changed (before, after)."""

    at: datetime
    by: User | None
    reason: str
    changed: list[tuple[str, str, str]]


def display(name: str, values: Organisation) -> str:
    """One setting's value in words."""
    if name == "default_jurisdiction":
        return values.default_jurisdiction_label
    if name == "nz_target_hours":
        return f"{values.nz_target_hours} hours from awareness"
    if name == "reminder_hours":
        return ", ".join(str(h) for h in values.reminder_hours) + " hours before the deadline"
    return str(getattr(values, name))


def changes() -> list[Change]:
    """Every change saved, newest first (one query). The first is compared with the
    environment's values, which were the settings until then."""
    rows = OrganisationSettings.history.select_related("history_user").order_by(
        "history_date", "history_id"
    )
    listed: list[Change] = []
    before = first_values()
    for row in rows:
        after = _of(row)
        listed.append(
            Change(
                at=row.history_date,
                by=row.history_user,
                reason=row.history_change_reason or "",
                changed=[
                    (LABELS[name], display(name, before), display(name, after))
                    for name in SETTINGS
                    if getattr(before, name) != getattr(after, name)
                ],
            )
        )
        before = after
    listed.reverse()
    return listed
