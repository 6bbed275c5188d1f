"""Database-level protection for append-only tables (history rows, access events, comments...).

A trigger refuses any UPDATE or DELETE of these rows, whoever asks: a bug, a shell session or a
future view cannot rewrite history. On PostgreSQL it is one PL/pgSQL trigger per table; on SQLite
(the demo and development database) two triggers per table, ``BEFORE UPDATE`` and ``BEFORE
DELETE``, each ``RAISE(ABORT, ...)``. The same migration operation, :func:`protect`, installs
both, so a new append-only table is protected on every database by one call.

In production the application also connects as a *runtime* role that is neither the tables'
owner nor a superuser, so it cannot ``TRUNCATE`` the tables (no trigger fires on a truncate),
drop or disable the trigger, or alter the tables: ``manage.py db_grant_runtime`` gives that role
only ``SELECT`` and ``INSERT`` on the tables :func:`protected_tables` lists (and ``UPDATE`` of
the key column, which row locks need and the trigger still refuses; ``docs/operations.md``).

**Disposal, the one exception** (SPEC §9, docs/governance.md). Records past their retention are
disposed of: their personal content must leave the history too, or it is not disposal. The
tables of :data:`REDACTABLE` may therefore have an UPDATE that only *blanks* the listed personal
columns (sets them to ``''``, or ``{}`` for JSON) of rows belonging to an incident that has a
disposal record (``governance_disposalrecord``, itself append-only). The trigger checks all of
it, row by row: every other column unchanged, each listed column unchanged or blank, the
incident's disposal record present. DELETE stays refused everywhere. On PostgreSQL the runtime
role still has no ``UPDATE`` on these tables: it calls :data:`REDACT_FUNCTION`, a ``SECURITY
DEFINER`` function that refuses an incident without a disposal record and blanks exactly those
columns, and ``db_grant_runtime`` grants it ``EXECUTE`` on that function and nothing more. The
triggers take this form only once the disposal-record table exists (an earlier migration installs
the plain ones; ``governance``'s first migration installs these).

Which tables are append-only is said once, here: every history table django-simple-history
makes (including its many-to-many history tables), plus the models of :data:`APPEND_ONLY_MODELS`.
Tests check that every table :func:`protected_tables` lists carries the trigger, so a new
tracked model (or a new entry in :data:`APPEND_ONLY_MODELS`) needs a migration calling
:func:`protect` for its table. On SQLite, a migration that rebuilds a protected table (most
``AlterField``/``AddField`` operations do: SQLite copies the table and drops the old one) drops
its triggers with it; the same test then fails until the migration calls :func:`protect` again
after the change. SQLite's redaction trigger names every column of its table (SQLite has no way
to compare whole rows): a migration that adds a column to a :data:`REDACTABLE` table calls
:func:`protect` for it again, rebuilt or not (tests/governance checks the triggers name every
column). A migration that rebuilds ``governance_disposalrecord`` on SQLite must first put the
plain triggers back (``install_sql(..., redaction=False)``): SQLite refuses to rename a table
while a trigger names a table that is missing for a moment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

#: Append-only models that are not simple-history tables (``app_label.ModelName``).
APPEND_ONLY_MODELS: tuple[str, ...] = (
    "accounts.AccessEvent",
    "breaches.Comment",
    "breaches.Assessment",
    "breaches.Decision",
    "breaches.Notification",
    "governance.DisposalRecord",
)


@dataclass(frozen=True)
class Redactable:
    """The personal columns of an append-only table that disposal blanks, and the column that
    says which incident a row belongs to. Text columns become ``''``; JSON columns (``json``)
    become ``{}``."""

    incident_column: str
    columns: tuple[str, ...]
    json: tuple[str, ...] = ()

    def blank(self, column: str) -> str:
        """The SQL literal a disposed-of ``column`` holds."""
        return REDACTED_JSON if column in self.json else f"'{REDACTED}'"


#: Disposal's exception (see the module's docstring): table → the incident's column and the
#: personal columns blanked when that incident is disposed of. docs/governance.md has the reasons
#: field by field; ``governance.disposal`` blanks the ordinary tables' columns itself.
REDACTABLE: dict[str, Redactable] = {
    "breaches_historicalincident": Redactable(
        "id",
        (
            "summary",
            "description",
            "cause_detail",
            "containment_steps",
            # Officers' free-text notes: why reopened, why restricted.
            "history_change_reason",
        ),
    ),
    "breaches_historicalaffectedindividual": Redactable("incident_id", ("reference",)),
    "breaches_historicalattachment": Redactable("incident_id", ("original_name", "file", "sha256")),
    "breaches_historicalcomment": Redactable("incident_id", ("body",)),
    "breaches_historicalaction": Redactable(
        "incident_id", ("title", "description", "carry_over_reason", "reminder_error")
    ),
    "breaches_historicalindividualnotice": Redactable(
        "incident_id", ("public_reason", "withheld_ground", "safety_check", "safe_channel")
    ),
    "breaches_historicalnotificationcontent": Redactable(
        "incident_id",
        (
            "contact_point",
            "likely_consequences",
            "measures_taken",
            "advice_to_individuals",
            "other_agencies",
        ),
    ),
    "breaches_comment": Redactable("incident_id", ("body",)),
    "breaches_notification": Redactable("incident_id", ("reason",)),
    "breaches_decision": Redactable("incident_id", ("ground", "rationale")),
    # What an officer downloaded is logged with the file's name (``detail``): who read the
    # incident, when and how stays (user, time, action, path).
    "accounts_accessevent": Redactable("incident_id", ("detail",), json=("detail",)),
}

#: The table whose row for an incident opens the exception (``governance.DisposalRecord``).
DISPOSAL_RECORDS = "governance_disposalrecord"
#: What a disposed-of personal column holds: text, and JSON (an empty object).
REDACTED = ""
REDACTED_JSON = "'{}'"

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION pbr_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

# The trigger of a REDACTABLE table: its arguments are the incident's column, then the personal
# columns. Rows are compared whole (as JSON, so a column added later is covered too), less the
# personal columns, each of which may only stay as it was or become blank ('', or {} for a JSON
# column). The disposal record is looked up in the table's own schema, whatever the session's
# search_path says (the table is DISPOSAL_RECORDS, named in full: this is not a format string).
GUARD_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION pbr_allow_redaction() RETURNS trigger AS $$
DECLARE
    old_row jsonb := to_jsonb(OLD);
    new_row jsonb := to_jsonb(NEW);
    personal text;
    blanked_only boolean := TG_OP = 'UPDATE';
    disposed boolean := false;
BEGIN
    IF blanked_only THEN
        FOR i IN 1 .. TG_NARGS - 1 LOOP
            personal := TG_ARGV[i];
            blanked_only := blanked_only AND old_row ? personal AND (
                new_row -> personal = old_row -> personal
                OR new_row -> personal = to_jsonb(''::text)
                OR new_row -> personal = '{}'::jsonb
            );
            old_row := old_row - personal;
            new_row := new_row - personal;
        END LOOP;
        blanked_only := blanked_only AND old_row = new_row;
    END IF;
    IF blanked_only THEN
        EXECUTE format(
            'SELECT EXISTS (SELECT 1 FROM %I.governance_disposalrecord WHERE incident_id = $1)',
            TG_TABLE_SCHEMA
        ) INTO disposed USING (old_row ->> TG_ARGV[0])::bigint;
    END IF;
    IF disposed THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

#: PostgreSQL: the one way the runtime role blanks a disposed incident's rows (see the module's
#: docstring). ``SELECT pbr_redact_disposed(<incident id>)`` returns how many rows it changed.
REDACT_FUNCTION = "pbr_redact_disposed"

#: PostgreSQL: one trigger named ``<table>_append_only``. SQLite: ``<table>_append_only_update``
#: and ``<table>_append_only_delete``.
TRIGGER_SUFFIX = "_append_only"
SQLITE_EVENTS = ("UPDATE", "DELETE")

_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def protected_tables() -> list[str]:
    """The append-only tables of the installed models, sorted.

    Every history table django-simple-history registered (and the history tables of tracked
    many-to-many fields), plus the tables of :data:`APPEND_ONLY_MODELS`. Needs the app registry
    (call it after ``django.setup()``), never from a migration: a migration names its tables.
    """
    from django.apps import apps
    from simple_history.utils import get_history_model_for_model

    tables: set[str] = set()
    for model in apps.get_models():
        if not hasattr(model._meta, "simple_history_manager_attribute"):
            continue
        history_model = get_history_model_for_model(model)
        tables.add(history_model._meta.db_table)
        for field in getattr(history_model, "_history_m2m_fields", []):
            tables.add(getattr(history_model, field.name).model._meta.db_table)
    for label in APPEND_ONLY_MODELS:
        tables.add(apps.get_model(label)._meta.db_table)
    return sorted(tables)


def triggered_tables(connection: BaseDatabaseWrapper, schema: str = "") -> set[str]:
    """The tables that carry an enabled append-only trigger in ``connection``'s database.

    PostgreSQL: in ``schema`` (default: the connection's current schema).
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = COALESCE(NULLIF(%s, ''), current_schema()) "
                "AND NOT t.tgisinternal AND t.tgenabled <> 'D' "
                "AND t.tgname = c.relname || %s",
                [schema, TRIGGER_SUFFIX],
            )
            return {row[0] for row in cursor.fetchall()}
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
            names = {(row[1], row[0]) for row in cursor.fetchall()}
            return {
                table
                for table, _ in names
                if all(
                    (table, f"{table}{TRIGGER_SUFFIX}_{event.lower()}") in names
                    for event in SQLITE_EVENTS
                )
            }
    return set()


def _check_name(table: str) -> str:
    # Table names end up inside a string literal on SQLite: only plain identifiers.
    if not _TABLE_NAME.match(table):
        raise ValueError(f"not a plain table name: {table!r}")
    return table


def redaction_enabled(connection: BaseDatabaseWrapper) -> bool:
    """Whether the disposal exception applies here: the disposal-record table exists."""
    with connection.cursor() as cursor:
        return DISPOSAL_RECORDS in connection.introspection.table_names(cursor)


def _columns(connection: BaseDatabaseWrapper, table: str) -> list[str]:
    with connection.cursor() as cursor:
        return [
            column.name for column in connection.introspection.get_table_description(cursor, table)
        ]


def _sqlite_blanked_only(connection: BaseDatabaseWrapper, table: str) -> str:
    """SQLite: the condition under which an UPDATE of ``table`` is a disposal's redaction."""
    quote = connection.ops.quote_name
    redactable = REDACTABLE[table]
    personal = set(redactable.columns)
    columns = _columns(connection, table)
    missing = personal - set(columns)
    if missing:
        raise ValueError(f"{table} has no column {', '.join(sorted(missing))}")
    kept = [f"NEW.{quote(c)} IS OLD.{quote(c)}" for c in columns if c not in personal]
    blanked = [
        f"(NEW.{quote(c)} IS OLD.{quote(c)} OR NEW.{quote(c)} = {redactable.blank(c)})"
        for c in redactable.columns
    ]
    incident = quote(_check_name(redactable.incident_column))
    records = quote(DISPOSAL_RECORDS)
    disposed = f"EXISTS (SELECT 1 FROM {records} WHERE incident_id = OLD.{incident})"  # noqa: S608
    return " AND ".join([*kept, *blanked, disposed])


def redaction_statements(connection: BaseDatabaseWrapper, *, schema: str = "") -> list[str]:
    """The UPDATEs that blank a disposed incident's personal columns, one per :data:`REDACTABLE`
    table, each taking the incident's id as its one parameter (``%s``; ``p_incident`` inside
    the PostgreSQL function). Only rows with something left to blank are touched."""
    quote = connection.ops.quote_name
    prefix = f"{quote(schema)}." if schema else ""
    parameter = "p_incident" if schema else "%s"
    statements = []
    for table, redactable in REDACTABLE.items():
        assignments = ", ".join(
            f"{quote(_check_name(c))} = {_literal(connection, redactable, c)}"
            for c in redactable.columns
        )
        left = redaction_left(connection, redactable)
        statements.append(
            f"UPDATE {prefix}{quote(_check_name(table))} SET {assignments} "  # noqa: S608
            f"WHERE {quote(_check_name(redactable.incident_column))} = {parameter} AND ({left})"
        )
    return statements


def _literal(connection: BaseDatabaseWrapper, redactable: Redactable, column: str) -> str:
    blank = redactable.blank(column)
    if column in redactable.json and connection.vendor == "postgresql":
        return f"{blank}::jsonb"
    return blank


def redaction_left(connection: BaseDatabaseWrapper, redactable: Redactable) -> str:
    """SQL: the row still has a personal column to blank."""
    quote = connection.ops.quote_name
    return " OR ".join(
        f"{quote(_check_name(c))} <> {_literal(connection, redactable, c)}"
        for c in redactable.columns
    )


def _redact_function_sql(connection: BaseDatabaseWrapper) -> list[str]:
    """PostgreSQL: :data:`REDACT_FUNCTION`, owned by whoever migrates, run with their rights,
    executable by no one until ``db_grant_runtime`` grants it to the runtime role."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = str(cursor.fetchone()[0])
    quote = connection.ops.quote_name
    body = "\n".join(
        f"    {statement};\n    GET DIAGNOSTICS n = ROW_COUNT;\n    total := total + n;"
        for statement in redaction_statements(connection, schema=schema)
    )
    signature = f"{REDACT_FUNCTION}(bigint)"
    return [
        f"""
CREATE OR REPLACE FUNCTION {REDACT_FUNCTION}(p_incident bigint) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    total integer := 0;
    n integer;
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM {quote(schema)}.{DISPOSAL_RECORDS} WHERE incident_id = p_incident
    ) THEN
        RAISE EXCEPTION 'incident % has no disposal record: nothing is redacted', p_incident
            USING ERRCODE = 'insufficient_privilege';
    END IF;
{body}
    RETURN total;
END;
$$
""",  # noqa: S608 (names are checked plain identifiers; the incident is the function's argument)
        f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC",
    ]


def redact_disposed(connection: BaseDatabaseWrapper, incident_id: int) -> int:
    """Blank the personal columns of the :data:`REDACTABLE` rows of a disposed-of incident (its
    disposal record must be written first, in the same transaction). Returns the rows changed."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT {REDACT_FUNCTION}(%s)", [incident_id])
            return int(cursor.fetchone()[0])
        changed = 0
        for statement in redaction_statements(connection):
            cursor.execute(statement, [incident_id])
            changed += max(cursor.rowcount, 0)
        return changed


def install_sql(
    connection: BaseDatabaseWrapper, tables: Iterable[str], *, redaction: bool | None = None
) -> list[str]:
    """The statements that create (or re-create) the append-only triggers on ``tables``.

    ``redaction``: whether the tables of :data:`REDACTABLE` get the disposal exception; by
    default, when the disposal-record table exists (:func:`redaction_enabled`).
    """
    quote = connection.ops.quote_name
    tables = [_check_name(table) for table in tables]
    if redaction is None:
        redaction = redaction_enabled(connection)
    statements: list[str] = []
    if connection.vendor == "postgresql":
        statements.append(FUNCTION_SQL)
        if redaction:
            statements += [GUARD_FUNCTION_SQL, *_redact_function_sql(connection)]
        for table in tables:
            trigger = quote(f"{table}{TRIGGER_SUFFIX}")
            function = "pbr_refuse_change()"
            if redaction and table in REDACTABLE:
                redactable = REDACTABLE[table]
                arguments = [redactable.incident_column, *redactable.columns]
                function = f"pbr_allow_redaction({', '.join(map(_quote_literal, arguments))})"
            statements += [
                f"DROP TRIGGER IF EXISTS {trigger} ON {quote(table)}",
                f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {quote(table)} "
                f"FOR EACH ROW EXECUTE FUNCTION {function}",
            ]
    elif connection.vendor == "sqlite":
        for table in tables:
            for event in SQLITE_EVENTS:
                trigger = quote(f"{table}{TRIGGER_SUFFIX}_{event.lower()}")
                when = ""
                if redaction and event == "UPDATE" and table in REDACTABLE:
                    when = f"WHEN NOT ({_sqlite_blanked_only(connection, table)}) "
                statements += [
                    f"DROP TRIGGER IF EXISTS {trigger}",
                    f"CREATE TRIGGER {trigger} BEFORE {event} ON {quote(table)} "
                    f"FOR EACH ROW {when}BEGIN SELECT RAISE(ABORT, "
                    f"'table {table} is append-only: {event} refused'); END",
                ]
    return statements


def _quote_literal(value: str) -> str:
    # Trigger arguments are string literals: plain identifiers only (checked), so no escaping.
    return f"'{_check_name(value)}'"


def uninstall_sql(connection: BaseDatabaseWrapper, tables: Iterable[str]) -> list[str]:
    """The statements that drop the append-only triggers from ``tables``."""
    quote = connection.ops.quote_name
    statements: list[str] = []
    for table in map(_check_name, tables):
        if connection.vendor == "postgresql":
            trigger = quote(f"{table}{TRIGGER_SUFFIX}")
            statements.append(f"DROP TRIGGER IF EXISTS {trigger} ON {quote(table)}")
        elif connection.vendor == "sqlite":
            for event in SQLITE_EVENTS:
                trigger = quote(f"{table}{TRIGGER_SUFFIX}_{event.lower()}")
                statements.append(f"DROP TRIGGER IF EXISTS {trigger}")
    return statements


@contextmanager
def suspended(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Tests only: the append-only triggers dropped for the block, then put back.

    Django's ``flush`` (the teardown of a test that commits) empties SQLite tables with
    ``DELETE``, which the triggers refuse; PostgreSQL ``TRUNCATE``s, which no row trigger sees.
    A test suite on SQLite wraps the flush in this. Never used by the application.
    """
    tables = sorted(triggered_tables(connection))
    with connection.cursor() as cursor:
        for statement in uninstall_sql(connection, tables):
            cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in install_sql(connection, tables):
                cursor.execute(statement)


def protect(
    *tables: str,
    vendors: tuple[str, ...] = ("postgresql", "sqlite"),
    reverse_to_plain: bool = False,
) -> Any:
    """A migration operation making ``tables`` append-only (PostgreSQL and SQLite).

    ``vendors`` limits it to some databases: a migration that only catches up SQLite passes
    ``vendors=("sqlite",)``. Other databases are left alone (the model-level guards remain).
    Undone, it drops the triggers; with ``reverse_to_plain`` it puts the plain ones back instead
    (for a migration that re-protects tables already protected, to add the disposal exception).
    """
    from django.db import migrations

    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor in vendors:
            for statement in install_sql(schema_editor.connection, tables):
                schema_editor.execute(statement, params=None)

    def backwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor in vendors:
            connection = schema_editor.connection
            if reverse_to_plain:
                statements = install_sql(connection, tables, redaction=False)
            else:
                statements = uninstall_sql(connection, tables)
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return migrations.RunPython(forwards, backwards, elidable=False)
