"""Export the demo, restore it into a fresh database, export again — in other processes, as an
operator would, on SQLite and PostgreSQL and across them (issue 15, "Done when").

Each "site" is a database of its own plus its own files directory, driven only through
``manage.py`` with its ``DATABASE_URL`` and ``VAR_DIR``: ``migrate``, ``load_demo``,
``export_register``, ``restore_register``. Fresh PostgreSQL databases are made on the test
run's server (``make test``'s throwaway PostgreSQL) from one database migrated once, and dropped
afterwards; without a PostgreSQL server only the SQLite round trip runs.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.conftest import ROOT
from tests.governance.test_backup import files_under, manifest, member_checksums

# After a restore: the next incident's id and reference, and an UPDATE of history refused.
AFTER_RESTORE = """
from datetime import timedelta
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from accounts.models import User
from breaches.intake.services import incident_create
from breaches.models import Incident, ReferenceCounter
year = timezone.localdate().year
last_id = Incident.objects.order_by("-pk").values_list("pk", flat=True)[0]
last_number = ReferenceCounter.objects.get(year=year).last
reporter = User.objects.get(username="reporter")
made = incident_create(
    reporter=reporter, kind="breach", summary="Reported after the restore",
    aware_at=timezone.now() - timedelta(hours=1), channel="post",
    business_unit=reporter.business_unit,
)
print("NEXT", last_id, made.pk, f"PBR-{year}-{last_number + 1:05d}", made.reference)
try:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE breaches_historicalincident SET summary = 'rewritten' WHERE history_id = "
            "(SELECT MIN(history_id) FROM breaches_historicalincident)"
        )
    print("HISTORY UPDATED")
except DatabaseError as error:
    print("HISTORY REFUSED", error)
"""


@dataclass
class Site:
    """One installation: its database and its own directory of files."""

    url: str
    var: Path

    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("OBJECT_STORAGE_") and key != "PRIVATE_MEDIA_ROOT"
        }
        return {
            **env,
            "DJANGO_ENV": "test",
            "DJANGO_SETTINGS_MODULE": "config.test_settings",
            "DATABASE_URL": self.url,
            "VAR_DIR": str(self.var),
        }

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=900,
        )
        if check and done.returncode != 0:
            pytest.fail(f"manage.py {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
        return done

    @property
    def files(self) -> dict[str, bytes]:
        root = self.var / "private"
        return files_under(root) if root.exists() else {}

    def export(self, path: Path) -> Path:
        self.manage("export_register", str(path), "--by", "admin")
        return path

    def after_restore(self) -> tuple[int, int, str, str, bool]:
        out = self.manage("shell", "-c", AFTER_RESTORE).stdout
        line = next(line for line in out.splitlines() if line.startswith("NEXT "))
        _, last_id, new_id, expected, reference = line.split()
        return int(last_id), int(new_id), expected, reference, "HISTORY REFUSED" in out


_names = itertools.count(1)


@pytest.fixture(scope="module")
def fresh_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Site]:
    """Make empty, migrated SQLite databases: copies of one that ``migrate`` made."""
    tmp = tmp_path_factory.mktemp("sqlite")
    template = Site(f"sqlite:///{tmp / 'migrated.sqlite3'}", tmp / "template")
    template.manage("migrate", "--noinput")

    def fresh() -> Site:
        where = tmp / f"site-{next(_names)}"
        where.mkdir()
        shutil.copyfile(tmp / "migrated.sqlite3", where / "db.sqlite3")
        return Site(f"sqlite:///{where / 'db.sqlite3'}", where / "var")

    return fresh


@pytest.fixture(scope="module")
def fresh_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], Site]]:
    """Make empty, migrated PostgreSQL databases on the test server, dropped at the end."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("PostgreSQL databases need a PostgreSQL server: run `make test`")
    import psycopg

    server = {
        "host": db["HOST"] or "127.0.0.1",
        "port": str(db["PORT"] or 5432),
        "user": db["USER"],
        "password": db["PASSWORD"] or "",
    }
    auth = server["user"] + (f":{server['password']}" if server["password"] else "")
    prefix = f"pbr_backup_{os.getpid()}"
    made: list[str] = []
    admin = psycopg.connect(dbname="postgres", autocommit=True, **server)

    def url(name: str) -> str:
        return f"postgres://{auth}@{server['host']}:{server['port']}/{name}"

    def create(name: str, template: str = "template0") -> None:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        made.append(name)

    tmp = tmp_path_factory.mktemp("postgres")
    template = f"{prefix}_migrated"
    create(template)
    Site(url(template), tmp / "template").manage("migrate", "--noinput")

    def fresh() -> Site:
        name = f"{prefix}_{next(_names)}"
        create(name, template)
        return Site(url(name), tmp / name)

    try:
        yield fresh
    finally:
        for name in reversed(made):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="module")
def sqlite_demo(
    fresh_sqlite: Callable[[], Site], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Site, Path]:
    site = fresh_sqlite()
    site.manage("load_demo")
    return site, site.export(tmp_path_factory.mktemp("sqlite-demo") / "demo.zip")


@pytest.fixture(scope="module")
def postgres_demo(
    fresh_postgres: Callable[[], Site], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Site, Path]:
    site = fresh_postgres()
    site.manage("load_demo")
    return site, site.export(tmp_path_factory.mktemp("postgres-demo") / "demo.zip")


def assert_same_backup(first: Path, second: Path) -> None:
    """Every member's checksum matches; the manifests differ in their timestamp only."""
    assert member_checksums(second) == member_checksums(first)
    one: dict[str, Any] = manifest(first)
    two: dict[str, Any] = manifest(second)
    one.pop("created_at")
    two.pop("created_at")
    assert two == one
    rows = {table["model"]: table["rows"] for table in one["tables"]}
    assert rows["breaches.incident"] == 321 and rows["breaches.historicalincident"] > 321
    assert [entry["field"] for entry in one["files"]] == ["reporting.quarterlyreport.file"]


def round_trip(source: tuple[Site, Path], target: Site, tmp: Path) -> None:
    site, archive = source
    restored = target.manage("restore_register", str(archive))
    assert "Restored" in restored.stdout, restored.stdout
    assert_same_backup(archive, target.export(tmp / "again.zip"))
    assert target.files == site.files and target.files  # the report's PDF, byte for byte
    last_id, new_id, expected, reference, history_refused = target.after_restore()
    assert new_id == last_id + 1
    assert reference == expected
    assert history_refused


def test_a_sqlite_export_restores_into_a_fresh_sqlite_database(
    sqlite_demo: tuple[Site, Path], fresh_sqlite: Callable[[], Site], tmp_path: Path
) -> None:
    round_trip(sqlite_demo, fresh_sqlite(), tmp_path)


def test_the_demo_restores_into_a_fresh_postgresql_database(
    postgres_demo: tuple[Site, Path], fresh_postgres: Callable[[], Site], tmp_path: Path
) -> None:
    round_trip(postgres_demo, fresh_postgres(), tmp_path)


def test_a_sqlite_export_restores_into_postgresql(
    sqlite_demo: tuple[Site, Path], fresh_postgres: Callable[[], Site], tmp_path: Path
) -> None:
    round_trip(sqlite_demo, fresh_postgres(), tmp_path)


def test_a_postgresql_export_restores_into_sqlite(
    postgres_demo: tuple[Site, Path], fresh_sqlite: Callable[[], Site], tmp_path: Path
) -> None:
    round_trip(postgres_demo, fresh_sqlite(), tmp_path)


def sqlite_rows(site: Site, sql: str) -> list[tuple[Any, ...]]:
    path = site.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


def test_the_command_refuses_a_database_holding_incidents_with_status_2(
    sqlite_demo: tuple[Site, Path],
) -> None:
    site, archive = sqlite_demo
    before = sqlite_rows(site, "SELECT COUNT(*) FROM breaches_historicalincident")
    refused = site.manage("restore_register", str(archive), check=False)
    assert refused.returncode == 2
    assert "already holds 321 incident(s)" in refused.stderr
    assert sqlite_rows(site, "SELECT COUNT(*) FROM breaches_historicalincident") == before


def test_the_command_refuses_a_corrupted_archive_with_status_2(
    sqlite_demo: tuple[Site, Path], fresh_sqlite: Callable[[], Site], tmp_path: Path
) -> None:
    _, archive = sqlite_demo
    damaged = tmp_path / "damaged.zip"
    raw = bytearray(archive.read_bytes())
    raw[len(raw) // 3] ^= 0xFF  # somewhere in the members' compressed data
    damaged.write_bytes(bytes(raw))
    target = fresh_sqlite()
    kinds = sqlite_rows(target, "SELECT * FROM django_content_type ORDER BY id")
    refused = target.manage("restore_register", str(damaged), check=False)
    assert refused.returncode == 2
    assert "restore refused: member " in refused.stderr
    assert sqlite_rows(target, "SELECT * FROM django_content_type ORDER BY id") == kinds
    assert sqlite_rows(target, "SELECT COUNT(*) FROM accounts_user") == [(0,)]
    assert target.files == {}
