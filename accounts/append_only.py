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

Which tables are append-only is said once, here: every history table django-simple-history
makes (including its many-to-many history tables), plus the models of :data:`APPEND_ONLY_MODELS`.
Tests check that every table :func:`protected_tables` lists carries the trigger, so a new
tracked model (or a new entry in :data:`APPEND_ONLY_MODELS`) needs a migration calling
:func:`protect` for its table. On SQLite, a migration that rebuilds a protected table (most
``AlterField``/``AddField`` operations do: SQLite copies the table and drops the old one) drops
its triggers with it; the same test then fails until the migration calls :func:`protect` again
after the change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

#: Append-only models that are not simple-history tables (``app_label.ModelName``).
APPEND_ONLY_MODELS: tuple[str, ...] = (
    "accounts.AccessEvent",
    "breaches.Comment",
    "breaches.Assessment",
    "breaches.Decision",
    "breaches.Notification",
)

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION pbr_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

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


def install_sql(connection: BaseDatabaseWrapper, tables: Iterable[str]) -> list[str]:
    """The statements that create (or re-create) the append-only triggers on ``tables``."""
    quote = connection.ops.quote_name
    statements: list[str] = []
    if connection.vendor == "postgresql":
        statements.append(FUNCTION_SQL)
        for table in map(_check_name, tables):
            trigger = quote(f"{table}{TRIGGER_SUFFIX}")
            statements += [
                f"DROP TRIGGER IF EXISTS {trigger} ON {quote(table)}",
                f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {quote(table)} "
                "FOR EACH ROW EXECUTE FUNCTION pbr_refuse_change()",
            ]
    elif connection.vendor == "sqlite":
        for table in map(_check_name, tables):
            for event in SQLITE_EVENTS:
                trigger = quote(f"{table}{TRIGGER_SUFFIX}_{event.lower()}")
                statements += [
                    f"DROP TRIGGER IF EXISTS {trigger}",
                    f"CREATE TRIGGER {trigger} BEFORE {event} ON {quote(table)} "
                    "FOR EACH ROW BEGIN SELECT RAISE(ABORT, "
                    f"'table {table} is append-only: {event} refused'); END",
                ]
    return statements


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


def protect(*tables: str, vendors: tuple[str, ...] = ("postgresql", "sqlite")) -> Any:
    """A migration operation making ``tables`` append-only (PostgreSQL and SQLite).

    ``vendors`` limits it to some databases: a migration that only catches up SQLite passes
    ``vendors=("sqlite",)``. Other databases are left alone (the model-level guards remain).
    """
    from django.db import migrations

    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor in vendors:
            for statement in install_sql(schema_editor.connection, tables):
                schema_editor.execute(statement, params=None)

    def backwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor in vendors:
            for statement in uninstall_sql(schema_editor.connection, tables):
                schema_editor.execute(statement, params=None)

    return migrations.RunPython(forwards, backwards, elidable=False)
