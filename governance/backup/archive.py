"""The backup archive: its layout, its manifest, and the check that it is whole.

A backup is one zip file:

- ``tables/<db_table>.jsonl``: a table's rows, one JSON array a line in the order of the
  manifest's ``columns``, by primary key;
- ``files/<name>``: a stored file (evidence, report PDFs) under its storage name;
- ``manifest.json``, written last: the format, when it was made, the schema version (the
  migrations applied, per app), every table with its columns and row count, every file with the
  field it belongs to, what was left out and why, and the SHA-256 and size of every member.

Nothing in the manifest depends on the database it was made from, except ``created_at``: two
exports of the same data, from SQLite or PostgreSQL, give the same members and the same manifest
but for that one line.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from governance.backup.tables import Table

FORMAT = "privacy-breach-register-backup"
VERSION = 1
MANIFEST = "manifest.json"
BLOCK = 1024 * 1024


class BackupRefused(Exception):
    """A backup or restore that must not go ahead; the message says why (exit status 2)."""


def schema_version(connection: BaseDatabaseWrapper) -> dict[str, list[str]]:
    """The migrations applied to ``connection``'s database, per app, that the code knows.

    A record of a migration the code no longer has (renamed, squashed, from another branch) is
    not part of the schema Django sees, so it is not part of the version either.
    """
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(loader.applied_migrations or {}):
        if (app_label, name) in loader.graph.nodes:
            applied.setdefault(app_label, []).append(name)
    return applied


def check_migrated(connection: BaseDatabaseWrapper, tables: Iterable[Table]) -> None:
    """Refuse a database that is behind the code: migrations not applied, or a table or column
    of the backup missing (a model changed without its migration)."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        first = plan[0][0]
        raise BackupRefused(
            f"{len(plan)} migration(s) not applied to this database (first: {first.app_label}."
            f"{first.name}): run migrate first"
        )
    existing = set(connection.introspection.table_names())
    missing = []
    with connection.cursor() as cursor:
        for table in tables:
            if table.db_table not in existing:
                missing.append(table.db_table)
                continue
            described = connection.introspection.get_table_description(cursor, table.db_table)
            columns = {column.name for column in described}
            missing += [
                f"{table.db_table}.{field.column}"
                for field in table.fields
                if field.column not in columns
            ]
    if missing:
        raise BackupRefused(
            f"{', '.join(missing)} missing from this database: a model was changed without "
            "its migration (makemigrations, then migrate)"
        )


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    """The archive's manifest, checked for shape (not yet against its members)."""
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise BackupRefused(f"not a register backup: it has no {MANIFEST}") from None
    except (ValueError, zipfile.BadZipFile, zlib.error) as error:
        raise BackupRefused(f"{MANIFEST} is damaged: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused(f"not a register backup: {MANIFEST} is not a {FORMAT} manifest")
    if manifest.get("version") != VERSION:
        raise BackupRefused(
            f"backup format version {manifest.get('version')!r}; this register reads {VERSION}"
        )
    shapes = {
        "schema": lambda value: (
            isinstance(value, dict) and all(isinstance(names, list) for names in value.values())
        ),
        "tables": lambda value: (
            isinstance(value, list)
            and all(_has(entry, model=str, member=str, columns=list, rows=int) for entry in value)
        ),
        "files": lambda value: (
            isinstance(value, list)
            and all(_has(entry, member=str, name=str, field=str) for entry in value)
        ),
        "members": lambda value: (
            isinstance(value, dict)
            and all(_has(entry, sha256=str, bytes=int) for entry in value.values())
        ),
    }
    for key, fits in shapes.items():
        if not fits(manifest.get(key)):
            raise BackupRefused(f"{MANIFEST} is damaged: {key!r} is missing or malformed")
    return manifest


def _has(entry: Any, **kinds: type) -> bool:
    return isinstance(entry, dict) and all(
        isinstance(entry.get(key), kind) for key, kind in kinds.items()
    )


def _first(names: list[str]) -> str:
    return names[0] + (f" (and {len(names) - 1} more)" if len(names) > 1 else "")


def verify(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    """Refuse unless every member is present, unaltered and listed, and every table has the
    rows the manifest counts. Reads each member once, in blocks."""
    members: dict[str, Any] = manifest["members"]
    present = {info.filename for info in archive.infolist()} - {MANIFEST}
    if missing := sorted(set(members) - present):
        raise BackupRefused(f"member {_first(missing)} is missing from the archive")
    if unlisted := sorted(present - set(members)):
        raise BackupRefused(f"member {_first(unlisted)} is not listed in {MANIFEST}")
    rows = {table["member"]: table["rows"] for table in manifest["tables"]}
    named = set(rows) | {entry["member"] for entry in manifest["files"]}
    if unchecked := sorted(named - set(members)):
        raise BackupRefused(f"member {_first(unchecked)} has no checksum in {MANIFEST}")
    for name in sorted(members):
        digest, size, lines = hashlib.sha256(), 0, 0
        try:
            with archive.open(name) as handle:
                for block in iter(partial(handle.read, BLOCK), b""):
                    digest.update(block)
                    size += len(block)
                    lines += block.count(b"\n")
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            raise BackupRefused(f"member {name} is damaged: {error}") from None
        expected = members[name]
        if digest.hexdigest() != expected["sha256"] or size != expected["bytes"]:
            raise BackupRefused(
                f"member {name} does not match its checksum in {MANIFEST}: "
                "the archive is corrupted or was altered"
            )
        if name in rows and lines != rows[name]:
            raise BackupRefused(f"member {name} holds {lines} rows, {MANIFEST} says {rows[name]}")


def lines(archive: zipfile.ZipFile, member: str) -> Iterator[bytes]:
    """The lines of a table member, read in blocks."""
    with archive.open(member) as handle:
        yield from handle
