"""Export the whole register into one zip (``manage.py export_register``).

Streaming, in constant memory: each table is read by primary key through a database cursor
(``.iterator(chunk_size=...)`` over raw column values, no model instances) and written to its
zip member as it comes; each file is copied from storage to its member in blocks. What grows
with the register is only the zip's own directory of members (one entry per table and file).

Consistent: on PostgreSQL every table is read in one ``REPEATABLE READ`` read-only transaction,
so the archive is the register at one instant even while people work; on SQLite the export
holds the database's write lock while it runs.

Audited: the person named (an active administrator or the chief privacy officer) gets an
``export`` access event once the archive is complete, with its manifest's checksum, size and
counts. The event is written after the snapshot, so it is not in the archive it describes:
exporting a restored copy gives the same archive again.
"""

from __future__ import annotations

import hashlib
import json
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import IO, Any

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models.functions import Collate

from accounts.models import AccessEvent, User
from governance.backup.archive import (
    BLOCK,
    FORMAT,
    MANIFEST,
    VERSION,
    BackupRefused,
    check_migrated,
    schema_version,
)
from governance.backup.codec import encoder
from governance.backup.tables import Table, left_out_tables, register_tables

#: Who may take the whole register away in one file.
EXPORTERS = (User.Role.ADMINISTRATOR, User.Role.CHIEF_PRIVACY_OFFICER)

#: Rows fetched per round trip, and bytes gathered before writing to the member.
CHUNK_SIZE = 2000
_FLUSH_BYTES = 512 * 1024

# Text primary keys are ordered by their bytes, the same on every database.
_BINARY_COLLATION = {"postgresql": "C", "sqlite": "BINARY"}
_TEXT_KINDS = {"CharField", "TextField", "SlugField", "EmailField"}

_encode_line = json.JSONEncoder(sort_keys=True, separators=(",", ":"), check_circular=False).encode


@dataclass
class ExportResult:
    """What an export wrote."""

    rows: dict[str, int]
    files: int
    missing_files: list[str]
    bytes: int
    seconds: float
    manifest_sha256: str
    event: AccessEvent | None = field(default=None, repr=False)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def exporter(username: str, *, using: str = DEFAULT_DB_ALIAS) -> User:
    """The active administrator or chief privacy officer called ``username``."""
    user = User.objects.using(using).filter(username=username).first()
    if user is None or not user.is_active:
        raise BackupRefused(f"no active user {username!r}: name who takes the backup (--by)")
    if user.role not in EXPORTERS:
        raise BackupRefused(
            f"{username} is a {user.get_role_display()}: only an administrator or the chief "
            "privacy officer may export the whole register"
        )
    return user


def export_register(
    stream: IO[bytes],
    *,
    by: User,
    destination: str,
    using: str = DEFAULT_DB_ALIAS,
    chunk_size: int = CHUNK_SIZE,
    compresslevel: int = 6,
) -> ExportResult:
    """Write the whole register to ``stream`` as a zip, then record the export for ``by``.

    ``destination`` is what the access event says the archive became (a path, or ``-``).
    """
    started = time.monotonic()
    tables = register_tables()
    check_migrated(connections[using], tables)
    counter = _CountingStream(stream)
    with (
        _snapshot(using),
        zipfile.ZipFile(
            counter, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
        ) as archive,
    ):
        manifest = _write(archive, tables, using=using, chunk_size=chunk_size)
        manifest_bytes = json.dumps(manifest, indent=1, sort_keys=True).encode() + b"\n"
        archive.writestr(MANIFEST, manifest_bytes)
    stream.flush()
    result = ExportResult(
        rows={table["model"]: table["rows"] for table in manifest["tables"]},
        files=len(manifest["files"]),
        missing_files=manifest["missing_files"],
        bytes=counter.count,
        seconds=time.monotonic() - started,
        manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest(),
    )
    result.event = AccessEvent.objects.using(using).create(
        user=by,
        action=AccessEvent.Action.EXPORT,
        path="manage.py export_register",
        detail={
            "backup": destination,
            "manifest_sha256": result.manifest_sha256,
            "bytes": result.bytes,
            "rows": result.total_rows,
            "files": result.files,
        },
    )
    return result


@contextmanager
def _snapshot(using: str) -> Iterator[None]:
    """One transaction for every read: on PostgreSQL a repeatable-read, read-only snapshot."""
    connection = connections[using]
    if connection.in_atomic_block:
        # Already inside a transaction (a test, a caller's own): its view is the snapshot.
        yield
        return
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _write(
    archive: zipfile.ZipFile, tables: list[Table], *, using: str, chunk_size: int
) -> dict[str, Any]:
    """Every table, then every file, into ``archive``; the manifest that describes them."""
    members: dict[str, dict[str, Any]] = {}
    manifest_tables = []
    for table in tables:
        with _Member(archive, table.member) as member:
            for line in _table_lines(table, using=using, chunk_size=chunk_size):
                member.write_line(line)
        members[table.member] = member.summary()
        manifest_tables.append(
            {
                "model": table.label,
                "table": table.db_table,
                "member": table.member,
                "columns": table.columns,
                "rows": member.lines,
            }
        )
    files, missing = _write_files(archive, tables, members, using=using, chunk_size=chunk_size)
    return {
        "format": FORMAT,
        "version": VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "schema": schema_version(connections[using]),
        "tables": manifest_tables,
        "files": files,
        "missing_files": missing,
        "left_out": left_out_tables(),
        "members": members,
    }


def _write_files(
    archive: zipfile.ZipFile,
    tables: list[Table],
    members: dict[str, dict[str, Any]],
    *,
    using: str,
    chunk_size: int,
) -> tuple[list[dict[str, str]], list[str]]:
    """Each file a row names, once, copied from its field's storage in blocks; and the names
    storage no longer had."""
    files, missing = [], []
    for table in tables:
        for file_field in table.file_fields:
            for name in _file_names(table, file_field, using=using, chunk_size=chunk_size):
                member_name = f"files/{name}"
                if member_name in members:
                    continue
                try:
                    handle = file_field.storage.open(name, "rb")
                except FileNotFoundError:
                    missing.append(name)
                    continue
                with handle, _Member(archive, member_name) as member:
                    for block in iter(partial(handle.read, BLOCK), b""):
                        member.write(block)
                members[member_name] = member.summary()
                field_label = f"{table.label}.{file_field.name}"
                files.append({"member": member_name, "name": name, "field": field_label})
    return files, missing


def _ordered(table: Table, using: str) -> models.QuerySet[Any]:
    pk = table.model._meta.pk
    assert pk is not None
    queryset = table.model._base_manager.using(using)
    vendor = connections[using].vendor
    if pk.get_internal_type() in _TEXT_KINDS and vendor in _BINARY_COLLATION:
        return queryset.order_by(Collate(pk.attname, _BINARY_COLLATION[vendor]))
    return queryset.order_by(pk.attname)


def _table_lines(table: Table, *, using: str, chunk_size: int) -> Iterator[str]:
    """Each row of ``table`` as one line of JSON (without its newline), by primary key."""
    converters = [
        (index, convert)
        for index, column in enumerate(table.fields)
        if (convert := encoder(column)) is not None
    ]
    rows = _ordered(table, using).values_list(*table.columns).iterator(chunk_size=chunk_size)
    if not converters:
        for row in rows:
            yield _encode_line(row)
        return
    for row in rows:
        values = list(row)
        for index, convert in converters:
            values[index] = convert(values[index])
        yield _encode_line(values)


def _file_names(
    table: Table, file_field: models.FileField, *, using: str, chunk_size: int
) -> Iterator[str]:
    names = (
        _ordered(table, using)
        .exclude(**{f"{file_field.attname}__isnull": True})
        .exclude(**{file_field.attname: ""})
        .values_list(file_field.attname, flat=True)
    )
    yield from names.iterator(chunk_size=chunk_size)


class _Member:
    """One zip member being written: hashed, measured and buffered on the way in."""

    def __init__(self, archive: zipfile.ZipFile, name: str) -> None:
        self.name = name
        self.handle = archive.open(name, "w", force_zip64=True)
        self.digest = hashlib.sha256()
        self.bytes = 0
        self.lines = 0
        self.buffer: list[str] = []
        self.buffered = 0

    def __enter__(self) -> _Member:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.flush()
        self.handle.close()

    def write_line(self, line: str) -> None:
        self.buffer.append(line)
        self.buffered += len(line) + 1
        self.lines += 1
        if self.buffered >= _FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.buffer.append("")
            self.write("\n".join(self.buffer).encode())
            self.buffer, self.buffered = [], 0

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.bytes += len(data)
        self.handle.write(data)

    def summary(self) -> dict[str, Any]:
        return {"sha256": self.digest.hexdigest(), "bytes": self.bytes}


class _CountingStream:
    """A write-only stream that counts the bytes passing through (works on a pipe too)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.count = 0

    def write(self, data: bytes) -> int:
        self.count += len(data)
        return self.stream.write(data)

    def flush(self) -> None:
        self.stream.flush()

    def tell(self) -> int:
        return self.count

    def close(self) -> None:
        """The caller's stream: the caller closes it."""

    def seekable(self) -> bool:
        return False
