"""The register's lossless backup and restore (SPEC §8 "No data loss", issue 15).

``export_register`` writes every table and stored file into one zip with a manifest of
checksums; ``restore_register`` checks it whole and puts it back into an empty, migrated
database, on SQLite or PostgreSQL, so that exporting again gives the same members.
docs/backup.md is the operator's side: how to take, store, restore and test a backup.
"""

from governance.backup.archive import BackupRefused
from governance.backup.export import ExportResult, export_register, exporter
from governance.backup.restore import RestoreResult, restore_register

__all__ = [
    "BackupRefused",
    "ExportResult",
    "RestoreResult",
    "export_register",
    "exporter",
    "restore_register",
]
