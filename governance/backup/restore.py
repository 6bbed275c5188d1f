"""Restore a backup into an empty, migrated database (``manage.py restore_register``).

Nothing is written until the archive has been checked whole: every member against its
checksum, every table against its row count and columns, the schema version against the
migrations applied here. Then, in one transaction:

- the target must hold no incident and no row of an append-only table (history, access log,
  assessments...): anything else is refused, and those rows could not be removed anyway;
- the rows ``migrate`` itself makes (content types, permissions) are replaced by the backup's,
  so every reference to them (permissions, the admin's log) keeps its meaning;
- every row is inserted as it was, ids included, with plain ``INSERT`` statements: no model
  ``save()``, so no ``auto_now``, no signals, no new history rows; generated columns are left
  to the database. The append-only triggers allow inserts and stay on throughout;
- the files are written back through each file field's storage (the default storage: disk, or
  the bucket when ``OBJECT_STORAGE_*`` is set) under their own names;
- PostgreSQL's sequences are moved past the restored ids (SQLite's ``AUTOINCREMENT`` follows by
  itself), so the next incident gets the next id, and ``ReferenceCounter`` the next reference.

Files are not transactional: if the transaction fails after some were written, they stay in
storage unreferenced; a second attempt finds them identical and keeps them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import Storage
from django.core.files.utils import validate_file_name
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from accounts.append_only import protected_tables
from breaches.models import Incident
from governance.backup.archive import (
    BLOCK,
    MANIFEST,
    BackupRefused,
    check_migrated,
    lines,
    read_manifest,
    schema_version,
    verify,
)
from governance.backup.codec import decoder
from governance.backup.tables import Table, register_tables

#: Rows per INSERT statement, at most (fewer where the database limits parameters).
ROWS_PER_INSERT = 500


@dataclass
class RestoreResult:
    """What a restore wrote."""

    rows: dict[str, int]
    replaced: dict[str, int]
    files: int
    missing_files: list[str]
    seconds: float
    manifest_sha256: str

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


@dataclass
class _FileEntry:
    member: str
    name: str
    storage: Storage
    sha256: str
    size: int
    present: bool = False  # already in storage, byte for byte


def restore_register(path: str, *, using: str = DEFAULT_DB_ALIAS) -> RestoreResult:
    """Restore the backup at ``path`` into the (empty, migrated) database ``using``."""
    started = time.monotonic()
    connection = connections[using]
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise BackupRefused(f"{path} is not a readable zip archive: {error}") from None
    with archive:
        manifest = read_manifest(archive)
        manifest_sha256 = hashlib.sha256(archive.read(MANIFEST)).hexdigest()
        verify(archive, manifest)
        _check_schema(manifest, connection)
        tables = _matching_tables(manifest)
        check_migrated(connection, [table for table, _ in tables])
        files = _file_entries(manifest)
        try:
            with transaction.atomic(using=using):
                _check_empty(tables, using)
                _check_storage(files)
                replaced = _clear(tables, connection)
                for table, _ in tables:
                    _insert(archive, table, connection)
                _write_files(archive, files)
                _reset_sequences([table for table, _ in tables], connection)
        finally:
            ContentType.objects.clear_cache()
    return RestoreResult(
        rows={entry["model"]: entry["rows"] for _, entry in tables},
        replaced=replaced,
        files=sum(1 for entry in files if not entry.present),
        missing_files=list(manifest.get("missing_files", [])),
        seconds=time.monotonic() - started,
        manifest_sha256=manifest_sha256,
    )


# --- checks (nothing written yet) ---------------------------------------------------------------


def _matching_tables(manifest: dict[str, Any]) -> list[tuple[Table, dict[str, Any]]]:
    """The archive's tables as this register's, in the archive's order; refused unless they are
    exactly the tables this register backs up, with the same columns."""
    matched = []
    for entry in manifest["tables"]:
        try:
            model = apps.get_model(entry["model"])
        except (LookupError, ValueError):
            raise BackupRefused(
                f"the backup holds table {entry['model']}, which this register does not have"
            ) from None
        table = Table(model)
        if table.member != entry["member"]:
            raise BackupRefused(
                f"table {entry['model']} is in {entry['member']}, not {table.member}"
            )
        if table.columns != entry["columns"]:
            raise BackupRefused(
                f"table {entry['model']} has columns {entry['columns']} in the backup and "
                f"{table.columns} here"
            )
        matched.append((table, entry))
    expected = {table.label for table in register_tables()}
    absent = sorted(expected - {table.label for table, _ in matched})
    if absent:
        raise BackupRefused(f"the backup lacks tables this register keeps: {', '.join(absent)}")
    return matched


def _check_schema(manifest: dict[str, Any], connection: BaseDatabaseWrapper) -> None:
    here = schema_version(connection)
    there: dict[str, list[str]] = manifest["schema"]
    if here == there:
        return
    differences = []
    for app_label in sorted(set(here) | set(there)):
        ours, theirs = here.get(app_label, []), there.get(app_label, [])
        if ours != theirs:
            differences.append(
                f"{app_label}: backup at {theirs[-1] if theirs else 'nothing'}, "
                f"this database at {ours[-1] if ours else 'nothing'}"
            )
    raise BackupRefused(
        "the backup was made at another schema version ("
        + "; ".join(differences)
        + "): restore with the release that made it, into a database migrated by that release"
    )


def _file_entries(manifest: dict[str, Any]) -> list[_FileEntry]:
    entries = []
    for entry in manifest["files"]:
        label, _, field_name = entry["field"].rpartition(".")
        try:
            field = apps.get_model(label)._meta.get_field(field_name)
        except (LookupError, ValueError, FieldDoesNotExist):
            raise BackupRefused(
                f"file {entry['name']} belongs to unknown field {entry['field']}"
            ) from None
        if not isinstance(field, models.FileField):
            raise BackupRefused(f"file {entry['name']}: {entry['field']} is not a file field")
        try:
            validate_file_name(entry["name"], allow_relative_path=True)
        except SuspiciousFileOperation:
            raise BackupRefused(f"file name {entry['name']!r} is not a storage name") from None
        if entry["member"] != f"files/{entry['name']}":
            raise BackupRefused(f"file {entry['name']} is stored as {entry['member']}")
        checksum = manifest["members"][entry["member"]]
        entries.append(
            _FileEntry(
                entry["member"], entry["name"], field.storage, checksum["sha256"], checksum["bytes"]
            )
        )
    return entries


def _check_empty(tables: list[tuple[Table, dict[str, Any]]], using: str) -> None:
    incidents = Incident._base_manager.using(using).count()
    if incidents:
        raise BackupRefused(
            f"this database already holds {incidents} incident(s): a backup is restored only "
            "into an empty database, just migrated (nothing was written)"
        )
    append_only = set(protected_tables())
    for table, _ in tables:
        if table.db_table in append_only and table.model._base_manager.using(using).exists():
            raise BackupRefused(
                f"this database is not empty: {table.db_table} (append-only) already holds rows;"
                " restore into a new database, just migrated (nothing was written)"
            )


def _check_storage(files: list[_FileEntry]) -> None:
    for entry in files:
        if not entry.storage.exists(entry.name):
            continue
        digest = hashlib.sha256()
        with entry.storage.open(entry.name, "rb") as handle:
            for block in iter(lambda: handle.read(BLOCK), b""):
                digest.update(block)
        if digest.hexdigest() != entry.sha256:
            raise BackupRefused(
                f"file {entry.name} already exists in storage with other content (nothing was "
                "written): restore into empty storage"
            )
        entry.present = True


# --- writing ------------------------------------------------------------------------------------


def _clear(
    tables: list[tuple[Table, dict[str, Any]]], connection: BaseDatabaseWrapper
) -> dict[str, int]:
    """Remove the rows ``migrate`` made (content types, permissions...), referring tables first.
    Only reached once the database is known to hold no incident and no history."""
    replaced = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, _ in reversed(tables):
            count = table.model._base_manager.using(connection.alias).count()
            if count:
                cursor.execute(f"DELETE FROM {quote(table.db_table)}")  # noqa: S608
                replaced[table.label] = count
    return replaced


def _insert(archive: zipfile.ZipFile, table: Table, connection: BaseDatabaseWrapper) -> None:
    """Insert the rows of ``table``'s member as they are: ``COPY`` on PostgreSQL (a tenth of
    the time of multi-row ``INSERT``s), multi-row ``INSERT``s elsewhere."""
    fields = table.fields
    width = len(fields)
    converters = [
        (index, convert)
        for index, field in enumerate(fields)
        if (convert := decoder(field, connection)) is not None
    ]

    def rows() -> Iterator[list[Any]]:
        for number, line in enumerate(lines(archive, table.member), start=1):
            values = json.loads(line)
            if not isinstance(values, list) or len(values) != width:
                raise BackupRefused(f"member {table.member}, line {number}: not a row of {width}")
            for index, convert in converters:
                values[index] = convert(values[index])
            yield values

    quote = connection.ops.quote_name
    into = f"{quote(table.db_table)} ({', '.join(quote(str(field.column)) for field in fields)})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The driver's own cursor: Django's wrapper has no COPY.
            with cursor.cursor.copy(f"COPY {into} FROM STDIN") as copy:
                for values in rows():
                    copy.write_row(values)
            return
        limit = connection.features.max_query_params or 65535
        per_statement = max(1, min(ROWS_PER_INSERT, limit // width))
        row_sql = "(" + ", ".join(["%s"] * width) + ")"
        batches = iter(rows())
        while batch := list(itertools.islice(batches, per_statement)):
            sql = f"INSERT INTO {into} VALUES " + ", ".join([row_sql] * len(batch))  # noqa: S608
            cursor.execute(sql, list(itertools.chain.from_iterable(batch)))


def _write_files(archive: zipfile.ZipFile, files: list[_FileEntry]) -> None:
    for entry in files:
        if entry.present:
            continue
        with archive.open(entry.member) as handle:
            content = File(handle, name=entry.name)
            content.size = entry.size
            saved = entry.storage.save(entry.name, content)
        if saved != entry.name:
            raise RuntimeError(f"storage saved {entry.name} as {saved}")


def _reset_sequences(tables: list[Table], connection: BaseDatabaseWrapper) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), [table.model for table in tables])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
