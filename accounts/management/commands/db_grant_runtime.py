"""Give the application's runtime PostgreSQL role exactly what it needs, and no more.

Run by the owner role (the one that runs ``migrate``) after every ``migrate``::

    python manage.py migrate --noinput
    python manage.py db_grant_runtime pbr_app

The runtime role (the ``DATABASE_URL`` of web, worker and beat) gets:

- ``SELECT, INSERT, UPDATE, DELETE`` on the ordinary tables of the schema;
- ``SELECT, INSERT`` only on the append-only tables (``accounts.append_only.protected_tables()``
  plus any table carrying the append-only trigger), and ``UPDATE`` of their primary-key column
  alone: PostgreSQL asks for an ``UPDATE`` privilege before ``SELECT ... FOR UPDATE`` locks a
  row (the decision service locks the current decision); the trigger still refuses any actual
  ``UPDATE``;
- ``EXECUTE`` on ``pbr_redact_disposed(bigint)`` (``accounts.append_only.REDACT_FUNCTION``),
  when it exists: disposal's one way to blank the personal columns of a disposed-of incident's
  append-only rows. It runs with the owner's rights, refuses an incident without a disposal
  record, and the triggers check every row it changes (docs/governance.md); the role itself
  still has no ``UPDATE`` on those tables;
- ``SELECT`` only on ``django_migrations``;
- ``USAGE, SELECT`` on the sequences;
- never ``TRUNCATE``, ``TRIGGER`` or ``REFERENCES``, and nothing that owning a table gives
  (``ALTER``, ``DROP``, ``DISABLE TRIGGER``).

Default privileges give tables and sequences created later by the owner the ordinary grants, so
the application keeps working between a ``migrate`` and this command; append-only tables are
narrowed by this command (their trigger protects them meanwhile).

Idempotent: it revokes everything the role has on the schema's tables and sequences and grants
it again, in one transaction, then checks the role's effective privileges (PUBLIC and inherited
roles included) and fails, changing nothing, if the role could still rewrite history.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.utils import CursorWrapper

from accounts.append_only import REDACT_FUNCTION, protected_tables, triggered_tables

MIGRATIONS_TABLE = "django_migrations"
ORDINARY = "SELECT, INSERT, UPDATE, DELETE"
NEVER = ("TRUNCATE", "TRIGGER", "REFERENCES")


def ident(name: str) -> str:
    """``name`` as a PostgreSQL identifier (double-quoted, quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


class Command(BaseCommand):
    help = (
        "PostgreSQL: grant the runtime role DML on ordinary tables, only SELECT and INSERT on "
        "append-only tables, sequence usage, and no TRUNCATE/TRIGGER/REFERENCES. Run as the "
        "owner after migrate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="The runtime role (the app's DATABASE_URL user).")
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="The database connection to use (the owner's). Default: default.",
        )
        parser.add_argument(
            "--schema",
            default="",
            help="The schema holding the tables. Default: the connection's current schema.",
        )

    def handle(self, *args: Any, role: str, database: str, schema: str, **options: Any) -> None:
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError(
                f"db_grant_runtime is for PostgreSQL; this database is {connection.vendor}."
            )
        with transaction.atomic(using=database), connection.cursor() as cursor:
            if not schema:
                cursor.execute("SELECT current_schema()")
                schema = str(cursor.fetchone()[0])
            self._refuse_privileged(cursor, role, schema)
            tables = self._tables(cursor, schema)
            if not tables:
                raise CommandError(f"No tables in schema {schema!r}: run migrate first.")
            append_only = self._append_only(connection, schema, tables)
            owners = self._owners(cursor, schema)
            self._grant(cursor, connection, role, schema, tables, append_only, owners)
            problems = self._verify(cursor, role, schema, tables, append_only)
            if problems:
                raise CommandError(
                    f"Role {role!r} would still have privileges it must not have "
                    "(nothing was changed):\n  " + "\n  ".join(problems)
                )
        ordinary = len(set(tables) - set(append_only) - {MIGRATIONS_TABLE})
        self.stdout.write(
            f"Granted {role} in schema {schema}: SELECT, INSERT, UPDATE, DELETE on {ordinary} "
            f"tables; SELECT and INSERT only on {len(append_only)} append-only tables; SELECT "
            "only on django_migrations; USAGE, SELECT on sequences; EXECUTE on "
            f"{REDACT_FUNCTION}; no TRUNCATE, TRIGGER or REFERENCES anywhere."
        )

    # --- checks ---------------------------------------------------------------------------------

    def _refuse_privileged(self, cursor: CursorWrapper, role: str, schema: str) -> None:
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = %s", [role]
        )
        row = cursor.fetchone()
        if row is None:
            raise CommandError(f"Role {role!r} does not exist: create it first (CREATE ROLE).")
        superuser, createrole, createdb = row
        if superuser:
            raise CommandError(f"Role {role!r} is a superuser: the runtime role must not be one.")
        if createrole:
            # CREATEROLE can grant itself membership in the owner role.
            raise CommandError(f"Role {role!r} has CREATEROLE: the runtime role must not.")
        if createdb:
            self.stderr.write(f"Warning: role {role!r} has CREATEDB; the runtime role needs not.")
        # Owning a table (or the schema) allows ALTER, DROP, DISABLE TRIGGER and TRUNCATE
        # whatever the grants say; so does being a member of the role that owns it.
        cursor.execute(
            "SELECT DISTINCT owner FROM ("
            "  SELECT pg_get_userbyid(c.relowner) AS owner FROM pg_class c"
            "  WHERE c.relnamespace = %s::regnamespace AND c.relkind IN ('r', 'p', 'v', 'S')"
            "  UNION SELECT pg_get_userbyid(n.nspowner) FROM pg_namespace n WHERE n.nspname = %s"
            ") owners WHERE pg_has_role(%s, owner, 'MEMBER') ORDER BY owner",
            [ident(schema), schema, role],
        )
        owned = [row[0] for row in cursor.fetchall()]
        if owned:
            raise CommandError(
                f"Role {role!r} is, or is a member of, {', '.join(owned)}, which owns the schema "
                f"{schema!r} or tables in it: the runtime role must own nothing. Use a separate "
                "owner role for migrations (docs/operations.md)."
            )

    # --- what to grant on ---------------------------------------------------------------------

    def _tables(self, cursor: CursorWrapper, schema: str) -> list[str]:
        cursor.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relnamespace = %s::regnamespace "
            "AND c.relkind IN ('r', 'p', 'v') ORDER BY c.relname",
            [ident(schema)],
        )
        return [row[0] for row in cursor.fetchall()]

    def _append_only(self, connection: Any, schema: str, tables: list[str]) -> list[str]:
        declared = set(protected_tables())
        triggered = triggered_tables(connection, schema)
        existing = set(tables)
        missing_trigger = sorted((declared & existing) - triggered)
        if missing_trigger:
            self.stderr.write(
                "Warning: append-only tables without their trigger (a migration calling "
                f"accounts.append_only.protect is missing): {', '.join(missing_trigger)}"
            )
        return sorted((declared | triggered) & existing)

    def _owners(self, cursor: CursorWrapper, schema: str) -> list[str]:
        """Owners of the schema's tables that this session may set default privileges for."""
        cursor.execute(
            "SELECT DISTINCT pg_get_userbyid(c.relowner) AS owner, "
            "pg_has_role(current_user, c.relowner, 'MEMBER') FROM pg_class c "
            "WHERE c.relnamespace = %s::regnamespace AND c.relkind IN ('r', 'p', 'v', 'S') "
            "ORDER BY owner",
            [ident(schema)],
        )
        owners = []
        for owner, can_act in cursor.fetchall():
            if can_act:
                owners.append(owner)
            else:
                self.stderr.write(
                    f"Warning: some tables belong to {owner!r}, which this session cannot act "
                    f"for: run db_grant_runtime as {owner!r} too."
                )
        return owners

    # --- the grants -----------------------------------------------------------------------------

    def _grant(
        self,
        cursor: CursorWrapper,
        connection: Any,
        role: str,
        schema: str,
        tables: list[str],
        append_only: list[str],
        owners: list[str],
    ) -> None:
        r, s = ident(role), ident(schema)
        cursor.execute("SELECT current_database()")
        database = str(cursor.fetchone()[0])
        statements = [
            f"GRANT CONNECT ON DATABASE {ident(database)} TO {r}",
            f"GRANT USAGE ON SCHEMA {s} TO {r}",
            f"REVOKE CREATE ON SCHEMA {s} FROM {r}",
            # Start from nothing, so a second run (or an earlier GRANT ALL) converges.
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r}",
            f"GRANT {ORDINARY} ON ALL TABLES IN SCHEMA {s} TO {r}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        ]
        for table in append_only:
            t = f"{s}.{ident(table)}"
            statements.append(f"REVOKE UPDATE, DELETE ON {t} FROM {r}")
            key = connection.introspection.get_primary_key_columns(cursor, table) or []
            if key:
                columns = ", ".join(ident(column) for column in key)
                # Only for SELECT ... FOR UPDATE: the trigger refuses any UPDATE itself.
                statements.append(f"GRANT UPDATE ({columns}) ON {t} TO {r}")
        cursor.execute("SELECT to_regprocedure(%s)", [f"{s}.{REDACT_FUNCTION}(bigint)"])
        if cursor.fetchone()[0] is not None:
            function = f"FUNCTION {s}.{REDACT_FUNCTION}(bigint)"
            # Nobody else may run it (the migration revoked it from PUBLIC); the role only this.
            statements += [
                f"REVOKE ALL ON {function} FROM PUBLIC",
                f"REVOKE ALL ON {function} FROM {r}",
                f"GRANT EXECUTE ON {function} TO {r}",
            ]
        if MIGRATIONS_TABLE in tables:
            statements.append(
                f"REVOKE INSERT, UPDATE, DELETE ON {s}.{ident(MIGRATIONS_TABLE)} FROM {r}"
            )
        for owner in owners:
            defaults = f"ALTER DEFAULT PRIVILEGES FOR ROLE {ident(owner)} IN SCHEMA {s}"
            statements += [
                f"{defaults} GRANT {ORDINARY} ON TABLES TO {r}",
                f"{defaults} REVOKE {', '.join(NEVER)} ON TABLES FROM {r}",
                f"{defaults} GRANT USAGE, SELECT ON SEQUENCES TO {r}",
            ]
        for statement in statements:
            cursor.execute(statement)

    # --- the result -----------------------------------------------------------------------------

    def _verify(
        self,
        cursor: CursorWrapper,
        role: str,
        schema: str,
        tables: list[str],
        append_only: list[str],
    ) -> list[str]:
        """What the role can still do that it must not, counting PUBLIC and inherited roles."""
        problems = []
        cursor.execute(
            "SELECT has_schema_privilege(%s, %s, 'CREATE')",
            [role, schema],
        )
        if cursor.fetchone()[0]:
            problems.append(
                f"CREATE on schema {schema} (through PUBLIC or another role): "
                f"REVOKE CREATE ON SCHEMA {ident(schema)} FROM PUBLIC"
            )
        checks = [(tables, list(NEVER)), (append_only, ["UPDATE", "DELETE"])]
        for names, privileges in checks:
            # Table-level privileges only: the column-level UPDATE on the key is intended.
            cursor.execute(
                "SELECT t.name, p.privilege "
                "FROM unnest(%s::text[]) AS t(name) CROSS JOIN unnest(%s::text[]) AS p(privilege) "
                "WHERE has_table_privilege(%s, format('%%I.%%I', %s::text, t.name), p.privilege) "
                "ORDER BY 1, 2",
                [names, privileges, role, schema],
            )
            problems += [f"{privilege} on {table}" for table, privilege in cursor.fetchall()]
        return problems
