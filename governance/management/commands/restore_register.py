"""``manage.py restore_register IN.zip``: a backup back into an empty, migrated database.

Exit status 2, with nothing written, when the archive is damaged or altered, was made at another
schema version, or the database is not empty. See governance/backup/restore.py and
docs/backup.md.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from governance.backup import BackupRefused, restore_register


class Command(BaseCommand):
    help = (
        "Restore a backup made by export_register into an empty, migrated database (SQLite or "
        "PostgreSQL). Checks every checksum first; refuses a database holding incidents."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="The zip export_register wrote.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, archive: str, database: str, **options: Any) -> None:
        try:
            result = restore_register(archive, using=database)
        except BackupRefused as error:
            raise CommandError(f"restore refused: {error}", returncode=2) from None
        self.stdout.write(
            f"Restored {archive}: {result.total_rows:,} rows in {len(result.rows)} tables and "
            f"{result.files:,} files, in {result.seconds:.1f} s."
        )
        width = max(len(label) for label in result.rows)
        for label, rows in result.rows.items():
            if rows:
                self.stdout.write(f"  {label:<{width}}  {rows:>10,}")
        if result.replaced:
            made = ", ".join(f"{label} ({rows:,})" for label, rows in result.replaced.items())
            self.stdout.write(f"Replaced the rows migrate had made: {made}.")
        for name in result.missing_files:
            self.stdout.write(f"  Warning: file {name} was already missing when backed up.")
        self.stdout.write(f"Manifest SHA-256: {result.manifest_sha256}")
