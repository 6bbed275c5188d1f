"""The dashboard's figures, cached per quarter and scope, and invalidated by writes (SPEC §8).

The dashboard shows one quarter's figures; computing them reads tens of thousands of incidents.
They are kept in Django's cache (Redis in production, shared by every web process; local memory
in tests and ``make run``) and served again for as long as they are provably the figures that
would be computed afresh:

- **What is kept**: the :class:`~reporting.figures.QuarterFigures` of one quarter for one scope
  — aggregates only, never an incident's content (the dashboard asks for no notifiable list).
  The Summary and the charts are made from them on each request (pure functions, well under a
  millisecond). The quarter picker's quarters with data are kept the same way
  (:func:`quarters_with_data`).
- **Scope**: the key holds a digest of the SQL of the person's ``countable_by`` queryset, so
  two people share figures exactly when they count the same incidents: executives and the CPO
  (the whole agency) share; each privacy officer has their own, as their scope is their units
  *and* their own reports and the restricted incidents naming them.
- **Writes**: two generations (tokens, each replaced by a new one when bumped). Any write that
  can change a figure bumps one of them (signals below; :func:`figures_changed` for writes that
  send none): the *quarter's* when
  everything it touches happened in the quarter in progress — a new incident, an action added
  to it, its triage — and the *global* one otherwise. A quarter's figures count incidents
  reported up to its end and actions created before it, so a write confined to the quarter in
  progress cannot change an earlier quarter's: the last complete quarter, which the dashboard
  opens on, stays cached while incidents are being reported. An entry is used only while both
  generations are still the ones it was computed under.
- **Time**: figures depend on the clock (deadlines passing; for the quarter in progress, its
  end is now). :func:`reporting.figures.dashboard_figures` says until when the figures hold with
  nothing written, and an entry is never used past that moment. :data:`MAX_AGE` bounds every
  entry besides, for writes that bypass the ORM (raw SQL, a bulk load), which no signal sees.
- **Transactions**: a write bumps its generation once committed (until then no other process
  sees it). Inside a transaction the cache is neither read nor written: the figures there may
  count writes not committed yet, or rolled back later, and the transaction's own writes have
  not bumped anything yet. Between a commit and its bump (microseconds) a request may still be
  served the figures from before it, as one that started a moment earlier would have computed.
- **Failures**: the cache being unreachable never fails a page or a write: the dashboard then
  computes its figures, and a write logs that it could not bump.

The quarterly report (reporting/jobs.py) does not use this cache: it always computes its figures.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Generic, TypeVar

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from accounts import organisation
from accounts.models import BusinessUnit, User
from breaches import models as breaches_models
from breaches.models import Action, Incident, IndividualNotice
from reporting import figures
from reporting.figures import Quarter, QuarterFigures

log = logging.getLogger(__name__)

# The longest an entry is used, in seconds, whatever the generations say: the bound on how long
# a write made around the ORM (raw SQL, a bulk load without figures_changed()) can go unseen.
MAX_AGE = 10 * 60

_GLOBAL = "figures:generation"

# Models of the breaches app whose rows no figure reads. Every other model there (and any added
# later) invalidates figures when written: a new model is counted in until it is listed here.
_NOT_READ = {"comment", "attachment", "deadlinereminder", "referencecounter"}


def _quarter_generation(quarter: Quarter) -> str:
    return f"figures:generation:{quarter.code}"


@functools.cache
def _version() -> str:
    """What the cached figures were made from: the code that makes them (and the labels of the
    choices they count), the settings they read and the database they count. A deployment that
    changes any of these never reads entries made by the one before, nor one database's figures
    for another's sharing a cache."""
    digest = hashlib.sha256()
    # The figures' code, and the models whose choices give their labels.
    models_dir = Path(breaches_models.__file__).parent
    for source in [Path(figures.__file__), Path(__file__), *sorted(models_dir.glob("*.py"))]:
        digest.update(source.read_bytes())
    database = settings.DATABASES[DEFAULT_DB_ALIAS]
    digest.update(
        repr(
            (
                settings.TIME_ZONE,
                database.get("HOST"),
                database.get("PORT"),
                database.get("NAME"),
            )
        ).encode()
    )
    return digest.hexdigest()[:16]


def _scope(incidents: models.QuerySet[Incident], scope: str) -> str:
    """Who counts what: a digest of the scoped queryset's SQL and its parameters."""
    sql, params = incidents.query.sql_with_params()
    return hashlib.sha256(repr((sql, params, scope)).encode()).hexdigest()[:32]


# --- invalidation -------------------------------------------------------------------------------


def figures_changed(*, since: datetime | None = None, using: str = DEFAULT_DB_ALIAS) -> None:
    """Say that a write may have changed figures; call it after any write that sends no signal
    (``QuerySet.update()``, ``bulk_create()``, raw SQL) to incidents or what hangs on them.
    The generation is bumped once the transaction commits (at once outside one).

    ``since``: the earliest moment the write concerns (the reported time of every incident it
    touches, the creation time of every action), when known; a write entirely within the
    quarter in progress leaves the figures of earlier quarters cached. ``None``: every quarter.
    """
    now = timezone.now()
    current = Quarter.containing(timezone.localdate(now))
    confined = since is not None and since >= current.bounds()[0]
    key = _quarter_generation(current) if confined else _GLOBAL
    # Once committed: until then no other process can see the write, and figures computed
    # inside this transaction are never cached (dashboard_figures).
    transaction.on_commit(partial(_bump, key), using=using)


def _bump(key: str) -> None:
    """Give ``key`` a generation never used before (one write to the cache, no read)."""
    try:
        cache.set(key, uuid.uuid4().hex, timeout=None)
    except Exception:  # an unreachable cache must never fail a write
        log.exception("Could not mark the dashboard's figures as changed (%s)", key)


def _since(instance: models.Model) -> datetime | None:
    """The earliest moment a written row concerns (see figures_changed), or None if unknown.

    An incident's reported time is set once, at intake, and nothing edits it (no form, API
    field or service writes it): the one an incident is saved with is the one it had."""
    if isinstance(instance, Incident):
        return instance.reported_at
    if isinstance(instance, Action):
        # Actions are counted by when they were created, whichever incident they belong to.
        return instance.created_at
    if isinstance(instance, IndividualNotice):
        # Notices are counted by when they were sent and fell due (any quarter, and a date can
        # be recorded after the fact), whenever their incident was reported; the values a
        # save replaced are not known here. Rare writes: every quarter.
        return None
    try:
        field = instance._meta.get_field("incident")
    except FieldDoesNotExist:
        return None  # not a row of one incident: every quarter
    if isinstance(field, models.ForeignKey) and field.is_cached(instance):
        incident = field.get_cached_value(instance)
        if isinstance(incident, Incident):
            return incident.reported_at
    return None  # not loaded: rather than a query in the middle of a write, every quarter


def _saved(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    figures_changed(since=_since(instance), using=kwargs.get("using") or DEFAULT_DB_ALIAS)


def _unit_saved(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    # A unit's name is in the figures, and the tree decides privacy officers' scopes.
    figures_changed(using=kwargs.get("using") or DEFAULT_DB_ALIAS)


def _restriction_changed(
    sender: type[models.Model], instance: models.Model, action: str, reverse: bool, **kwargs: Any
) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        since = instance.reported_at if isinstance(instance, Incident) and not reverse else None
        figures_changed(since=since, using=kwargs.get("using") or DEFAULT_DB_ALIAS)


def _assignment_changed(
    sender: type[models.Model], instance: models.Model, action: str, **kwargs: Any
) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        figures_changed(using=kwargs.get("using") or DEFAULT_DB_ALIAS)


def watched_models() -> list[type[models.Model]]:
    """The models whose writes invalidate figures through post_save and post_delete."""
    breaches = [
        model
        for model in apps.get_app_config("breaches").get_models()
        if model._meta.model_name not in _NOT_READ
        # django-simple-history's copies: written beside the row itself, which is watched.
        and not hasattr(model, "instance_type")
    ]
    return [*breaches, BusinessUnit]


def connect_signals() -> None:
    """Connect the invalidation to every write the ORM announces (ReportingConfig.ready)."""
    for model in watched_models():
        handler = _unit_saved if model is BusinessUnit else _saved
        uid = f"reporting-figures-{model._meta.label_lower}"
        post_save.connect(handler, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(handler, sender=model, dispatch_uid=f"{uid}-delete")
    m2m_changed.connect(
        _restriction_changed,
        sender=Incident.restricted_to.through,
        dispatch_uid="reporting-figures-restricted-to",
    )
    m2m_changed.connect(
        _assignment_changed,
        sender=User.assigned_units.through,
        dispatch_uid="reporting-figures-assigned-units",
    )


# --- reading ------------------------------------------------------------------------------------

_T = TypeVar("_T")


@dataclass(frozen=True)
class _Entry(Generic[_T]):
    """What the cache holds under one key: a value, the generations it was computed under, and
    the moment until which it holds with nothing written."""

    generations: tuple[str, ...]
    valid_until: datetime
    value: _T


def _generations(found: dict[str, Any], keys: list[str]) -> tuple[str, ...] | None:
    """The current generations, started where missing; None if the cache keeps none."""
    missing = [k for k in keys if found.get(k) is None]
    if missing:
        for k in missing:
            cache.add(k, uuid.uuid4().hex, timeout=None)
        found = found | cache.get_many(missing)
    values = [v for v in (found.get(k) for k in keys) if isinstance(v, str)]
    if len(values) < len(keys):
        return None  # a cache that keeps nothing (a dummy backend)
    return tuple(values)


def _remembered(
    key: str,
    generation_keys: list[str],
    compute: Callable[[], tuple[_T, datetime | None]],
    *,
    now: datetime,
) -> _T:
    """The value under ``key`` while its generations are current and it holds; else
    ``compute()`` (the value, and until when it holds with nothing written), kept."""
    try:
        found = cache.get_many([*generation_keys, key])
        generations = _generations(found, generation_keys)
    except Exception:  # an unreachable cache must never fail the page
        log.exception("The dashboard's cache could not be read")
        found, generations = {}, None
    entry = found.get(key)
    if (
        isinstance(entry, _Entry)
        and generations is not None
        and entry.generations == generations
        and now < entry.valid_until
    ):
        return entry.value
    # The generations are read before the value is computed: a write committed meanwhile bumps
    # them after its commit, so what is kept below is never taken for a value after it.
    value, holds_until = compute()
    valid_until = now + timedelta(seconds=MAX_AGE)
    if holds_until is not None:
        valid_until = min(valid_until, holds_until)
    seconds = int((valid_until - now).total_seconds())
    if generations is not None and seconds > 0:
        try:
            cache.set(key, _Entry(generations, valid_until, value), timeout=seconds)
        except Exception:  # an unreachable cache must never fail the page
            log.exception("The dashboard's cache could not be written")
    return value


def dashboard_figures(
    incidents: models.QuerySet[Incident],
    quarter: Quarter,
    *,
    scope: str,
    now: datetime | None = None,
) -> QuarterFigures:
    """The dashboard's figures of ``quarter`` for the scope ``incidents`` (the viewer's
    ``countable_by``): from the cache while they hold, else computed (and kept)."""
    now = now or timezone.now()
    if connections[incidents.db].in_atomic_block:
        # Inside a transaction the figures may count writes not committed yet (or later rolled
        # back), and this transaction's own writes have not bumped a generation yet: neither
        # read nor kept. (No view runs in one: ATOMIC_REQUESTS is off.)
        return figures.dashboard_figures(incidents, quarter, scope=scope, now=now)[0]
    return _remembered(
        # The notification target in force is in the key: a change is never served old figures.
        f"figures:dashboard:{_version()}:{_scope(incidents, scope)}:{quarter.code}"
        f":{organisation.as_of(now).nz_target_hours}",
        [_GLOBAL, _quarter_generation(quarter)],
        lambda: figures.dashboard_figures(incidents, quarter, scope=scope, now=now),
        now=now,
    )


def quarters_with_data(incidents: models.QuerySet[Incident]) -> list[Quarter]:
    """:func:`reporting.figures.quarters_with_data` (the dashboard's quarter picker), cached
    like the figures: it reads no clock, and a write confined to the quarter in progress can
    only add that quarter."""
    now = timezone.now()
    if connections[incidents.db].in_atomic_block:
        return figures.quarters_with_data(incidents)
    current = Quarter.containing(timezone.localdate(now))
    return _remembered(
        f"figures:quarters:{_version()}:{_scope(incidents, '')}",
        [_GLOBAL, _quarter_generation(current)],
        lambda: (figures.quarters_with_data(incidents), None),
        now=now,
    )
