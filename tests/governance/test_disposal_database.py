"""Disposal's one exception to append-only, in the database itself (accounts/append_only.py):
only blanking the listed personal columns, only of an incident with a disposal record; and
every text field of an incident's records decided on, removed or kept."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import DatabaseError, connection, models, transaction

from accounts.append_only import (
    REDACT_FUNCTION,
    REDACTABLE,
    protected_tables,
    redact_disposed,
    triggered_tables,
)
from breaches.models import Incident
from governance import disposal
from governance.disposal import FIELDS, HISTORY_KEPT, HISTORY_REMOVED
from governance.models import DisposalRecord, DisposalRun, RetentionRule
from tests.conftest import World
from tests.governance.conftest import (
    PASSWORD,
    SECRET,
    add_personal_content,
    closed_incident,
    tables_holding,
    years_ago,
)

pytestmark = pytest.mark.django_db

HISTORY = "breaches_historicalincident"


def execute(sql: str, params: list[Any] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def refused(sql: str, params: list[Any] | None = None, match: str = "append-only") -> None:
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        execute(sql, params)


def record_for(world: World, incident: Incident) -> DisposalRecord:
    """A disposal record, as the disposal service writes it first."""
    rule = RetentionRule.objects.create(
        kind="breach", notifiable=True, years=7, authority="DA", reason="r",
        proposed_by=world.admin, status="in_force",
    )  # fmt: skip
    run = DisposalRun.objects.create(as_of=incident.reported_at, status="running")
    return DisposalRecord.objects.create(
        incident=incident, reference=incident.reference, run=run, rule=rule, rule_text=str(rule),
        closed_at=incident.reported_at, approved_by=world.cpo, approved_at=incident.reported_at,
    )  # fmt: skip


def test_personal_columns_may_be_blanked_only_for_a_disposed_incident(
    world: World, private_storage: Path
) -> None:
    incident = closed_incident(world, closed=years_ago(8))
    add_personal_content(world, incident)
    blank = "UPDATE breaches_historicalincident SET summary = '', description = '' WHERE id = %s"
    # No disposal record: refused, like any other change of history.
    refused(blank, [incident.pk])
    refused("UPDATE breaches_comment SET body = '' WHERE incident_id = %s", [incident.pk])
    if connection.vendor == "postgresql":
        refused(f"SELECT {REDACT_FUNCTION}(%s)", [incident.pk], match="no disposal record")
    else:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            redact_disposed(connection, incident.pk)
    record_for(world, incident)
    # With it: anything but blanking a listed column is still refused.
    for sql in [
        "UPDATE breaches_historicalincident SET summary = 'rewritten' WHERE id = %s",
        "UPDATE breaches_historicalincident SET summary = '', status = 'reported' WHERE id = %s",
        "UPDATE breaches_historicalincident SET history_user_id = NULL WHERE id = %s",
        "DELETE FROM breaches_historicalincident WHERE id = %s",
        "UPDATE breaches_comment SET body = '', visibility = 'internal' WHERE incident_id = %s",
        "UPDATE accounts_accessevent SET detail = '{}', path = '/' WHERE incident_id = %s",
        "DELETE FROM breaches_comment WHERE incident_id = %s",
        "UPDATE breaches_assessment SET facts = '{}' WHERE incident_id = %s",
    ]:
        refused(sql, [incident.pk])
    # Another incident's rows stay protected.
    refused(blank, [world.incident_a.pk])
    assert execute(blank, [incident.pk]) >= 2
    assert redact_disposed(connection, incident.pk) > 0
    assert tables_holding(SECRET) == {
        "breaches_incident",
        "breaches_affectedindividual",
        "breaches_attachment",
        "breaches_action",
    }  # fmt: skip (the ordinary tables: the disposal service blanks those)
    assert redact_disposed(connection, incident.pk) == 0  # nothing left to blank


def test_the_triggers_still_cover_every_protected_table() -> None:
    assert triggered_tables(connection) == set(protected_tables())
    assert {"governance_disposalrecord", "governance_historicalretentionrule"} <= set(
        protected_tables()
    )


def test_sqlite_redaction_triggers_name_every_column() -> None:
    """SQLite compares rows column by column: a column added without protect() again would
    escape the check."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL compares whole rows")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        triggers = dict(cursor.fetchall())
        for table in REDACTABLE:
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, table)
            ]
            update = triggers[f"{table}_append_only_update"]
            assert update.count("WHEN NOT") == 1, table
            assert "WHEN" not in triggers[f"{table}_append_only_delete"], table
            missing = [c for c in columns if f'NEW."{c}"' not in update]
            assert not missing, f"{table}: protect() it again ({missing})"


def test_every_text_field_of_an_incident_record_is_decided() -> None:
    """A text field added to an incident's records later must be put in governance.disposal
    FIELDS (removed or kept) — and the append-only tables blank exactly the removed ones."""
    text = (models.CharField, models.TextField, models.JSONField, models.FileField)

    def text_fields(model: type[models.Model]) -> set[str]:
        return {f.name for f in model._meta.concrete_fields if isinstance(f, text)}

    pointing = {
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label != "governance"
        and not model.__name__.startswith("Historical")
        and (
            model is Incident
            or any(
                f.is_relation and f.related_model is Incident for f in model._meta.concrete_fields
            )
        )
    }
    assert pointing == set(FIELDS), "decide what disposal does with these records"
    for label, treatment in FIELDS.items():
        model = apps.get_model(label)
        assert set(treatment.removed) | set(treatment.kept) == text_fields(model), label
        assert not set(treatment.removed) & set(treatment.kept), label
        table = model._meta.db_table
        if table in REDACTABLE:  # an append-only table: the trigger's list is the same
            assert set(REDACTABLE[table].columns) == set(treatment.removed), label
        history = getattr(model, "history", None)
        if history is not None:
            history_table = history.model._meta.db_table
            removed = {*treatment.removed, *HISTORY_REMOVED.get(label, ())}
            blanked = REDACTABLE[history_table].columns if history_table in REDACTABLE else ()
            assert set(blanked) == removed, history_table
            extra = text_fields(history.model) - text_fields(model)
            assert extra <= set(HISTORY_KEPT) | removed, history_table
    # And the removed fields of append-only tables without history are all in REDACTABLE.
    for label in ["breaches.Comment", "breaches.Notification", "breaches.Decision"]:
        assert apps.get_model(label)._meta.db_table in REDACTABLE


# --- PostgreSQL: the runtime role -------------------------------------------------------------


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@pytest.fixture
def runtime_role() -> str:
    if connection.vendor != "postgresql":
        pytest.skip("postgresql only")
    name = f"pbr_runtime_{uuid.uuid4().hex[:12]}"
    execute(f"CREATE ROLE {ident(name)} NOLOGIN")
    execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    call_command("db_grant_runtime", name, stdout=io.StringIO(), stderr=io.StringIO())
    return name


def test_the_runtime_role_disposes_through_the_function_only(
    world: World, runtime_role: str, private_storage: Path, rules: dict[str, RetentionRule]
) -> None:
    incident = closed_incident(world, closed=years_ago(8))
    add_personal_content(world, incident)
    run = disposal.run_propose(actor=world.cpo)
    assert run is not None
    execute(f"SET ROLE {ident(runtime_role)}")
    try:
        # Without a record: refused by the function; directly: no privilege at all.
        refused(f"SELECT {REDACT_FUNCTION}(%s)", [incident.pk], match="no disposal record")
        refused(
            "UPDATE breaches_historicalincident SET summary = '' WHERE id = %s",
            [incident.pk],
            match="permission",
        )
        disposal.run_approve(run=run, actor=world.cpo, password=PASSWORD)
        assert disposal.carry_out(run.pk)
        # Even for a disposed-of incident, only the function blanks.
        refused(
            "UPDATE breaches_historicalincident SET summary = '' WHERE id = %s",
            [incident.pk],
            match="permission",
        )
    finally:
        execute("RESET ROLE")
    run.refresh_from_db()
    assert (run.status, run.disposed) == ("done", 1)
    assert tables_holding(SECRET) == set()


def test_nobody_but_the_runtime_role_may_run_the_function(runtime_role: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT grantee FROM information_schema.routine_privileges "
            "WHERE routine_name = %s AND privilege_type = 'EXECUTE'",
            [REDACT_FUNCTION],
        )
        grantees = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    assert grantees == {runtime_role, owner}
