"""Database-level protection for append-only tables (history rows and access events).

On PostgreSQL a trigger refuses any UPDATE or DELETE of these rows, whoever asks: a bug, a
shell session or a future view cannot rewrite history. Other databases (the SQLite demo)
rely on the model-level guards. A test checks every history table carries the trigger, so a
new tracked model needs a migration calling :func:`protect` for its history table.
"""

from __future__ import annotations

from typing import Any

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION pbr_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def protect(*tables: str) -> Any:
    """A migration operation forwarding to PostgreSQL only: make ``tables`` append-only."""
    from django.db import migrations

    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(FUNCTION_SQL, params=None)
        for table in tables:
            name = schema_editor.quote_name(table)
            trigger = schema_editor.quote_name(f"{table}_append_only")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {name}")
            schema_editor.execute(
                f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {name} "
                "FOR EACH ROW EXECUTE FUNCTION pbr_refuse_change()"
            )

    def backwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            name = schema_editor.quote_name(table)
            trigger = schema_editor.quote_name(f"{table}_append_only")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {name}")

    return migrations.RunPython(forwards, backwards, elidable=False)
