"""``manage.py export_register OUT.zip --by USERNAME``: the whole register in one zip.

See governance/backup/export.py for what is written, and docs/backup.md for how to store it:
the archive holds password hashes, second-factor secrets and personal information.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import DEFAULT_DB_ALIAS

from governance.backup import BackupRefused, ExportResult, export_register, exporter
from governance.backup.export import CHUNK_SIZE


class Command(BaseCommand):
    help = (
        "Export the whole register (every table, every stored file, the history and the access "
        "log) into one zip with a manifest of checksums. Audited: name who takes it with --by."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "out", help="The zip to write (never overwritten), or - for standard output."
        )
        parser.add_argument(
            "--by",
            required=True,
            metavar="USERNAME",
            help="The active administrator or chief privacy officer taking the backup; the "
            "export is recorded in the access log under their name.",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        parser.add_argument(
            "--chunk-size", type=int, default=CHUNK_SIZE, help="Rows fetched per round trip."
        )
        parser.add_argument(
            "--compress-level",
            type=int,
            default=6,
            choices=range(10),
            help="zlib level, 0 (stored) to 9; default 6.",
        )

    def handle(
        self,
        *args: Any,
        out: str,
        by: str,
        database: str,
        chunk_size: int,
        compress_level: int,
        **options: Any,
    ) -> None:
        try:
            user = exporter(by, using=database)
            how = partial(
                export_register,
                by=user,
                using=database,
                chunk_size=chunk_size,
                compresslevel=compress_level,
            )
            if out == "-":
                result = how(sys.stdout.buffer, destination="-")
                report = self.stderr
            else:
                result = _export_to_file(Path(out), how)
                report = self.stdout
        except BackupRefused as error:
            raise CommandError(str(error), returncode=2) from None
        _report(report, out, result, by)


def _export_to_file(path: Path, how: Callable[..., ExportResult]) -> ExportResult:
    """Write beside ``path`` first, readable by its owner only, and move it into place once
    complete (and audited): a failed export leaves no file that looks like a backup."""
    path = path.absolute()
    if path.exists():
        raise BackupRefused(f"{path} already exists: a backup is never overwritten")
    partial = path.with_name(path.name + ".partial")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupRefused(
            f"{partial} exists: another export is running, or one failed (remove it)"
        ) from None
    except OSError as error:
        raise BackupRefused(f"cannot write {partial}: {error.strerror}") from None
    try:
        with os.fdopen(descriptor, "wb") as stream:
            result = how(stream, destination=str(path))
            os.fsync(stream.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return result


def _report(out: OutputWrapper, destination: str, result: ExportResult, by: str) -> None:
    where = "standard output" if destination == "-" else str(Path(destination).absolute())
    out.write(
        f"Exported the register to {where}: {_size(result.bytes)}, "
        f"{result.total_rows:,} rows in {len(result.rows)} tables and {result.files:,} files, "
        f"in {result.seconds:.1f} s."
    )
    width = max(len(label) for label in result.rows)
    for label, rows in result.rows.items():
        if rows:
            out.write(f"  {label:<{width}}  {rows:>10,}")
    for name in result.missing_files:
        out.write(f"  Warning: file {name} is named by a row but missing from storage.")
    out.write(f"Manifest SHA-256: {result.manifest_sha256}")
    out.write(f"Recorded in the access log as an export by {by}.")


def _size(count: int) -> str:
    size = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")
