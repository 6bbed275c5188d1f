"""The register's backup and restore, in this process (issue 15, items 1 and 2).

The demo (``load_demo``) plus one row of every kind it lacks (evidence with its file, a comment,
second-factor devices, API tokens, a role grant, an access event, groups and permissions, the
admin's log) is exported once for the module, inside a transaction rolled back afterwards, so
every test starts from an empty, migrated test database and restores that archive into it —
then exports again, tampers with the archive, or fills the database first. The same tests run
on SQLite and on PostgreSQL; tests/governance/test_backup_databases.py restores into fresh
databases in other processes, across engines.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
import tracemalloc
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt, encrypt
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, models, transaction
from django.db.models.query import QuerySet
from django.test import override_settings
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from accounts.append_only import protected_tables, triggered_tables
from accounts.models import AccessEvent, ApiToken, BusinessUnit, RoleGrant, User
from breaches.intake.services import incident_create
from breaches.models import Attachment, Comment, Incident, ReferenceCounter
from governance.backup.codec import decoder, encoder
from governance.backup.tables import LEFT_OUT, left_out_reason, register_tables
from tests.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db

TOTP_SECRET = "JBSWY3DPEHPK3PXP"
EVIDENCE = b"%PDF-1.4\n% evidence \xe2\x80\x94 bytes kept exactly\n%%EOF\n"
TOKEN = uuid.UUID("12345678-1234-5678-1234-567812345678")
ODD_TEXT = 'Kia ora — whānau 👪 "quoted"\nline two\ttab \\ backslash \u2028 end'


def storages_at(location: Path) -> dict[str, Any]:
    return {
        **settings.STORAGES,
        "default": {
            "BACKEND": "config.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }


def files_under(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def manifest(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json"))


def member_checksums(path: Path) -> dict[str, str]:
    """Every member's SHA-256, computed from the archive itself (not read from the manifest)."""
    with zipfile.ZipFile(path) as archive:
        return {
            name: hashlib.sha256(archive.read(name)).hexdigest()
            for name in archive.namelist()
            if name != "manifest.json"
        }


def table_values() -> dict[str, list[tuple[Any, ...]]]:
    """Every kept table's rows as the application reads them (generated columns included)."""
    values = {}
    for table in register_tables():
        model = table.model
        names = [field.attname for field in model._meta.local_concrete_fields]
        values[table.label] = list(model._base_manager.order_by("pk").values_list(*names))
    return values


def add_every_kind_of_row(storage: Path) -> None:
    """What the demo does not make: a row in each table it leaves empty, with awkward values."""
    admin = User.objects.get(username="admin")
    cpo = User.objects.get(username="cpo")
    reporter = User.objects.get(username="reporter")
    incident = Incident.objects.filter(reporter=reporter).order_by("pk").first()
    assert incident is not None
    Incident.objects.filter(pk=incident.pk).update(
        submission_token=TOKEN,
        # A far-off offset and microseconds: stored and restored as the same instant.
        occurred_at=datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC) + timedelta(hours=14),
    )
    attachment = Attachment(
        incident=incident,
        original_name="lettér.pdf",
        content_type="application/pdf",
        size=len(EVIDENCE),
        sha256=hashlib.sha256(EVIDENCE).hexdigest(),
        uploaded_by=reporter,
    )
    attachment.file.save("letter.pdf", ContentFile(EVIDENCE), save=True)
    assert (storage / attachment.file.name).read_bytes() == EVIDENCE
    Comment.objects.create(
        incident=incident, author=cpo, body=ODD_TEXT, visibility=Comment.Visibility.INTERNAL
    )
    Authenticator.objects.create(
        user=cpo, type=Authenticator.Type.TOTP, data={"secret": encrypt(TOTP_SECRET)}
    )
    Authenticator.objects.create(
        user=cpo,
        type=Authenticator.Type.RECOVERY_CODES,
        data={"seed": encrypt("f" * 40), "used_mask": 5},
    )
    # API tokens: a text primary key (their digest).
    for name in ("nightly import", "dashboard"):
        ApiToken.objects.create(user=admin, expiry=timedelta(days=30), name=name)
    RoleGrant.objects.create(
        user=reporter,
        role=User.Role.PRIVACY_OFFICER,
        previous_role=User.Role.REPORTER,
        reason="Covering the northern region",
        requested_by=admin,
    )
    AccessEvent.objects.create(
        user=cpo,
        action=AccessEvent.Action.VIEW,
        incident=incident,
        detail={"z": 1, "a": [1.5, None, "ā"], "nested": {"b": True}},
        path=f"/incidents/{incident.reference}/",
        ip_address="2001:db8::1",
    )
    EmailAddress.objects.create(user=cpo, email="cpo@agency.example", verified=True, primary=True)
    LogEntry.objects.create(
        user=admin,
        content_type=ContentType.objects.get_for_model(BusinessUnit),
        object_id="1",
        object_repr="National Office",
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Name"]}}]',
    )
    group = Group.objects.create(name="Auditors")
    view = Permission.objects.get(codename="view_incident")
    group.permissions.add(view)
    reporter.groups.add(group)
    reporter.user_permissions.add(view)


@dataclass
class Source:
    """The module's archive and what was true when it was made."""

    archive: Path
    storage: Path
    output: str
    values: dict[str, list[tuple[Any, ...]]]
    event: dict[str, Any]
    max_incident_id: int
    counter: tuple[int, int]  # (year, last)


@pytest.fixture(scope="module")
def source(
    django_db_setup: None,
    django_db_blocker: DjangoDbBlocker,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Source]:
    """The demo and the extra rows, exported, then rolled back."""
    storage = tmp_path_factory.mktemp("source-files")
    archive = tmp_path_factory.mktemp("backup") / "register.zip"
    with override_settings(STORAGES=storages_at(storage)), django_db_blocker.unblock():
        outer = transaction.atomic()
        outer._from_testcase = True  # type: ignore[attr-defined]
        outer.__enter__()
        try:
            call_command("load_demo", stdout=StringIO())
            add_every_kind_of_row(storage)
            values = table_values()
            output = StringIO()
            call_command("export_register", str(archive), "--by", "cpo", stdout=output)
            event = (
                AccessEvent.objects.filter(path="manage.py export_register")
                .values("action", "detail", "incident", "user__username")
                .get()
            )
            year = timezone.localdate().year
            made = Source(
                archive=archive,
                storage=storage,
                output=output.getvalue(),
                values=values,
                event=event,
                max_incident_id=Incident.objects.order_by("-pk").values_list("pk", flat=True)[0],
                counter=(year, ReferenceCounter.objects.get(year=year).last),
            )
        finally:
            transaction.set_rollback(True)
            outer.__exit__(*sys.exc_info())
    ContentType.objects.clear_cache()
    yield made


@pytest.fixture
def target(settings: Any, tmp_path: Path) -> Path:
    """This test's (empty) file storage: where a restore writes the files back."""
    location = tmp_path / "target-files"
    location.mkdir()
    settings.STORAGES = storages_at(location)
    return location


def restore(archive: Path) -> str:
    out = StringIO()
    call_command("restore_register", str(archive), stdout=out)
    ContentType.objects.clear_cache()
    return out.getvalue()


def export(path: Path, by: str = "cpo") -> str:
    out = StringIO()
    call_command("export_register", str(path), "--by", by, stdout=out)
    return out.getvalue()


# --- the round trip -----------------------------------------------------------------------------


def test_export_restore_export_gives_the_same_members(
    source: Source, target: Path, tmp_path: Path
) -> None:
    restored = restore(source.archive)
    assert "Restored" in restored and "Replaced the rows migrate had made" in restored

    again = tmp_path / "again.zip"
    export(again)
    assert member_checksums(again) == member_checksums(source.archive)
    first, second = manifest(source.archive), manifest(again)
    assert first.pop("created_at") and second.pop("created_at")
    assert second == first
    # The files are back in storage under their own names, byte for byte.
    assert files_under(target) == files_under(source.storage)
    assert EVIDENCE in files_under(target).values()


def test_a_restore_reproduces_every_value_exactly(source: Source, target: Path) -> None:
    restore(source.archive)
    assert table_values() == source.values
    # A few by name, as the application reads them.
    incident = Incident.objects.get(submission_token=TOKEN)
    assert incident.occurred_at == datetime(2024, 3, 1, 13, 59, 59, 999999, tzinfo=UTC)
    assert Comment.objects.get(incident=incident).body == ODD_TEXT
    totp = Authenticator.objects.get(type=Authenticator.Type.TOTP)
    assert decrypt(totp.data["secret"]) == TOTP_SECRET
    event = AccessEvent.objects.get(ip_address="2001:db8::1")
    assert event.detail == {"z": 1, "a": [1.5, None, "ā"], "nested": {"b": True}}
    assert User.objects.get(username="reporter").has_perm("breaches.view_incident")
    attachment = Attachment.objects.get()
    with attachment.file.open("rb") as handle:
        assert handle.read() == EVIDENCE


def test_the_archive_holds_every_table_and_file_with_a_manifest(source: Source) -> None:
    made = manifest(source.archive)
    assert made["format"] == "privacy-breach-register-backup"
    assert datetime.fromisoformat(made["created_at"]).tzinfo is not None
    assert [table["model"] for table in made["tables"]] == [t.label for t in register_tables()]
    counts = {table["model"]: table["rows"] for table in made["tables"]}
    for label in [
        "breaches.incident", "breaches.historicalincident", "breaches.assessment",
        "breaches.decision", "breaches.notification", "breaches.action", "breaches.comment",
        "breaches.attachment", "reporting.quarterlyreport", "accounts.accessevent",
        "accounts.rolegrant", "accounts.apitoken", "accounts.user", "mfa.authenticator",
        "breaches.referencecounter", "account.emailaddress", "admin.logentry",
    ]:  # fmt: skip
        assert counts[label] > 0, label
    assert counts["breaches.incident"] == 321  # 320 drawn and the anonymous one
    # Every member has its checksum; the schema version is the migrations applied, per app.
    assert set(made["members"]) == set(member_checksums(source.archive))
    for name, checksum in member_checksums(source.archive).items():
        assert made["members"][name]["sha256"] == checksum
    assert "0001_initial" in made["schema"]["breaches"]
    # The files: evidence and the quarterly report's PDF.
    fields = sorted(entry["field"] for entry in made["files"])
    assert fields == ["breaches.attachment.file", "reporting.quarterlyreport.file"]
    assert "sessions.session" in made["left_out"] and "axes.accessattempt" in made["left_out"]


def test_rows_are_written_in_primary_key_order_with_exact_spellings(source: Source) -> None:
    with zipfile.ZipFile(source.archive) as archive:
        incidents = [json.loads(line) for line in archive.read(
            "tables/breaches_incident.jsonl"
        ).splitlines()]  # fmt: skip
        tokens = archive.read("tables/accounts_apitoken.jsonl").splitlines()
        comments = archive.read("tables/breaches_comment.jsonl")
    ids = [row[0] for row in incidents]
    assert ids == sorted(ids)
    columns = next(
        t for t in manifest(source.archive)["tables"] if t["table"] == "breaches_incident"
    )
    row = incidents[0]
    at = row[columns["columns"].index("reported_at")]
    assert at.endswith("+00:00") and len(at) == len("2026-01-01T00:00:00.000000+00:00")
    # Generated columns are the database's to compute: not written.
    assert "severity_rank" not in columns["columns"]
    # A text primary key, ordered by its bytes.
    digests = [json.loads(line)[0] for line in tokens]
    assert len(digests) == 2 and digests == sorted(digests)
    assert b"\\u0101" in comments  # whānau, escaped: the archive is plain ASCII


def test_the_export_is_audited_and_says_what_it_wrote(source: Source) -> None:
    assert source.event["action"] == AccessEvent.Action.EXPORT
    assert source.event["user__username"] == "cpo"
    assert source.event["incident"] is None
    detail = source.event["detail"]
    with zipfile.ZipFile(source.archive) as archive:
        manifest_bytes = archive.read("manifest.json")
    assert detail["manifest_sha256"] == hashlib.sha256(manifest_bytes).hexdigest()
    assert detail["backup"] == str(source.archive)
    assert detail["bytes"] == source.archive.stat().st_size
    assert detail["rows"] == sum(t["rows"] for t in manifest(source.archive)["tables"])
    assert str(source.archive) in source.output
    assert "321" in source.output and "breaches.incident" in source.output
    assert detail["manifest_sha256"] in source.output
    # The archive holds password hashes and secrets: its owner alone reads it.
    assert source.archive.stat().st_mode & 0o077 == 0


def test_the_export_event_is_not_in_the_archive_it_describes(source: Source) -> None:
    events = manifest(source.archive)["tables"]
    count = next(t["rows"] for t in events if t["model"] == "accounts.accessevent")
    assert count == 1  # the view added above, not the export


@pytest.mark.parametrize(
    ("role", "active", "message"),
    [
        (User.Role.REPORTER, True, "only an administrator or the chief privacy officer"),
        (User.Role.PRIVACY_OFFICER, True, "only an administrator or the chief privacy officer"),
        (User.Role.ADMINISTRATOR, False, "no active user"),
    ],
)
def test_only_an_active_administrator_or_the_cpo_may_export(
    tmp_path: Path, role: str, active: bool, message: str
) -> None:
    UserFactory(username="someone", role=role, is_active=active)
    out = tmp_path / "register.zip"
    with pytest.raises(CommandError, match=message) as refused:
        export(out, by="someone")
    assert refused.value.returncode == 2
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert not AccessEvent.objects.exists()


def test_an_administrator_exports_and_nothing_is_overwritten(tmp_path: Path) -> None:
    UserFactory(username="root", role=User.Role.ADMINISTRATOR)
    out = tmp_path / "register.zip"
    export(out, by="root")
    before = out.read_bytes()
    with pytest.raises(CommandError, match="already exists") as refused:
        export(out, by="root")
    assert refused.value.returncode == 2
    assert out.read_bytes() == before
    assert AccessEvent.objects.filter(user__username="root").count() == 1


def test_an_export_to_standard_output_is_the_same_archive(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """``-`` streams the zip (to an encryption tool, say) and says what it did on stderr."""
    UserFactory(username="root", role=User.Role.ADMINISTRATOR)
    IncidentFactory.create_batch(2)
    call_command("export_register", "-", "--by", "root")
    captured = capsysbinary.readouterr()
    piped = tmp_path / "piped.zip"
    piped.write_bytes(captured.out)
    assert b"Exported the register to standard output" in captured.err
    written = tmp_path / "written.zip"
    export(written, by="root")
    # The same but for the access log, which has gained the first export's event since.
    events = "tables/accounts_accessevent.jsonl"
    piped_members, written_members = member_checksums(piped), member_checksums(written)
    assert piped_members.pop(events) != written_members.pop(events)
    assert piped_members == written_members
    assert AccessEvent.objects.filter(detail__backup="-").count() == 1


def test_a_file_missing_from_storage_is_reported_not_fatal(target: Path, tmp_path: Path) -> None:
    UserFactory(username="root", role=User.Role.ADMINISTRATOR)
    incident = IncidentFactory()
    Attachment.objects.create(
        incident=incident,
        file="attachments/2026/01/gone",
        original_name="gone.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        uploaded_by=incident.reporter,
    )
    out = export(tmp_path / "register.zip", by="root")
    assert "file attachments/2026/01/gone is named by a row but missing from storage" in out
    made = manifest(tmp_path / "register.zip")
    assert made["missing_files"] == ["attachments/2026/01/gone"] and made["files"] == []


def test_files_already_in_storage_are_kept_if_identical_and_refused_if_not(
    source: Source, target: Path
) -> None:
    name = next(n for n in files_under(source.storage) if n.startswith("attachments/"))
    (target / name).parent.mkdir(parents=True)
    (target / name).write_bytes(b"something else")
    before = state(target)
    with pytest.raises(CommandError, match=f"file {name} already exists") as refused:
        restore(source.archive)
    assert refused.value.returncode == 2
    assert state(target) == before

    (target / name).write_bytes(EVIDENCE)  # the same bytes: a second attempt after a failure
    restore(source.archive)
    assert files_under(target) == files_under(source.storage)


# --- what a restore refuses, before writing anything -------------------------------------------


def state(storage: Path) -> tuple[dict[str, int], list[tuple[Any, ...]], dict[str, bytes]]:
    """What a refused restore must leave as it was: every table's count, the content types
    (which a restore replaces first), and the files in storage."""
    counts = {t.label: t.model._base_manager.count() for t in register_tables()}
    kinds = list(ContentType.objects.order_by("pk").values_list("pk", "app_label", "model"))
    return counts, kinds, files_under(storage)


def test_a_database_holding_incidents_is_refused(source: Source, target: Path) -> None:
    IncidentFactory()
    before = state(target)
    with pytest.raises(CommandError, match="already holds 1 incident") as refused:
        restore(source.archive)
    assert refused.value.returncode == 2
    assert state(target) == before


def test_a_database_with_history_is_refused_even_without_incidents(
    source: Source, target: Path
) -> None:
    UserFactory()  # a user, and their history row
    before = state(target)
    with pytest.raises(CommandError, match=r"append-only.*already holds rows") as refused:
        restore(source.archive)
    assert refused.value.returncode == 2
    assert state(target) == before


def rewrite(
    source: Path,
    destination: Path,
    *,
    change: Callable[[str, bytes], bytes | None] = lambda name, data: data,
    extra: dict[str, bytes] | None = None,
) -> Path:
    """A copy of the archive with members changed (None drops one), properly zipped."""
    with (
        zipfile.ZipFile(source) as old,
        zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as new,
    ):
        for name in old.namelist():
            data = change(name, old.read(name))
            if data is not None:
                new.writestr(name, data)
        for name, data in (extra or {}).items():
            new.writestr(name, data)
    return destination


def flip_a_byte_of(member: str) -> Callable[[str, bytes], bytes | None]:
    def change(name: str, data: bytes) -> bytes | None:
        if name != member:
            return data
        flipped = bytearray(data)
        flipped[len(flipped) // 2] ^= 0x01
        return bytes(flipped)

    return change


def edit_manifest(edit: Callable[[dict[str, Any]], None]) -> Callable[[str, bytes], bytes | None]:
    def change(name: str, data: bytes) -> bytes | None:
        if name != "manifest.json":
            return data
        content = json.loads(data)
        edit(content)
        return json.dumps(content).encode()

    return change


def flip_a_raw_byte(source: Path, destination: Path, member: str) -> Path:
    """The archive with one byte of ``member``'s compressed data flipped on disk."""
    raw = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        info = archive.getinfo(member)
    name_length, extra_length = struct.unpack(
        "<HH", raw[info.header_offset + 26 : info.header_offset + 30]
    )
    start = info.header_offset + 30 + name_length + extra_length
    raw[start + info.compress_size // 2] ^= 0xFF
    destination.write_bytes(bytes(raw))
    return destination


def truncated(source: Path, destination: Path) -> Path:
    """The first third of the archive: its directory, at the end, is gone."""
    data = source.read_bytes()
    destination.write_bytes(data[: len(data) // 3])
    return destination


def _bump_checksum(content: dict[str, Any]) -> None:
    entry = content["members"]["tables/breaches_decision.jsonl"]
    entry["sha256"] = ("1" if entry["sha256"][0] != "1" else "2") + entry["sha256"][1:]


def _future_schema(content: dict[str, Any]) -> None:
    content["schema"]["breaches"].append("9999_from_the_future")


DAMAGE: dict[str, tuple[Callable[[Path, Path], Path], str]] = {
    "a flipped byte in a member": (
        lambda s, d: rewrite(s, d, change=flip_a_byte_of("tables/breaches_incident.jsonl")),
        "member tables/breaches_incident.jsonl does not match its checksum",
    ),
    "a flipped byte in the compressed data": (
        lambda s, d: flip_a_raw_byte(s, d, "tables/breaches_assessment.jsonl"),
        "member tables/breaches_assessment.jsonl",
    ),
    "a flipped byte in a file": (
        lambda s, d: rewrite(
            s,
            d,
            change=lambda name, data: (
                flip_a_byte_of(name)(name, data) if name.startswith("files/attachments/") else data
            ),
        ),
        "member files/attachments/.* does not match its checksum",
    ),
    "a missing member": (
        lambda s, d: rewrite(
            s,
            d,
            change=lambda name, data: None if name == "tables/breaches_comment.jsonl" else data,
        ),
        "member tables/breaches_comment.jsonl is missing",
    ),
    "a checksum edited in the manifest": (
        lambda s, d: rewrite(s, d, change=edit_manifest(_bump_checksum)),
        "member tables/breaches_decision.jsonl does not match its checksum",
    ),
    "a member the manifest does not list": (
        lambda s, d: rewrite(s, d, extra={"tables/breaches_extra.jsonl": b"[1]\n"}),
        "member tables/breaches_extra.jsonl is not listed",
    ),
    "a row count edited in the manifest": (
        lambda s, d: rewrite(
            s,
            d,
            change=edit_manifest(
                lambda content: next(
                    t for t in content["tables"] if t["table"] == "breaches_incident"
                ).update(rows=319)
            ),
        ),
        "member tables/breaches_incident.jsonl holds 321 rows, manifest.json says 319",
    ),
    "another schema version": (
        lambda s, d: rewrite(s, d, change=edit_manifest(_future_schema)),
        "another schema version .*breaches: backup at 9999_from_the_future",
    ),
    "no manifest": (
        lambda s, d: rewrite(
            s, d, change=lambda name, data: None if name == "manifest.json" else data
        ),
        "it has no manifest.json",
    ),
    "a truncated archive": (truncated, "not a readable zip archive"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_or_altered_archive_is_refused_before_anything_is_written(
    source: Source, target: Path, tmp_path: Path, damage: str
) -> None:
    make, message = DAMAGE[damage]
    damaged = make(source.archive, tmp_path / "damaged.zip")
    before = state(target)
    with pytest.raises(CommandError, match=message) as refused:
        restore(damaged)
    assert refused.value.returncode == 2
    assert str(refused.value).startswith("restore refused:")
    assert state(target) == before
    assert not Incident.objects.exists()


# --- after a restore ----------------------------------------------------------------------------


def test_append_only_tables_still_refuse_changes_after_a_restore(
    source: Source, target: Path
) -> None:
    restore(source.archive)
    if connection.vendor in {"postgresql", "sqlite"}:
        assert set(protected_tables()) <= triggered_tables(connection)
    history = Incident.history.order_by("history_id").first()  # type: ignore[attr-defined]
    assert history is not None
    event = AccessEvent.objects.get()
    for statement, params in [
        ("UPDATE breaches_historicalincident SET summary = %s WHERE history_id = %s",
         ["rewritten", history.history_id]),
        ("DELETE FROM breaches_historicalincident WHERE history_id = %s", [history.history_id]),
        ("UPDATE accounts_accessevent SET path = %s WHERE id = %s", ["/elsewhere/", event.pk]),
        ("UPDATE breaches_comment SET body = %s", ["rewritten"]),
    ]:  # fmt: skip
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, params)
    assert Incident.history.filter(summary="rewritten").count() == 0  # type: ignore[attr-defined]


def test_ids_and_references_continue_after_a_restore(source: Source, target: Path) -> None:
    if connection.vendor == "postgresql":
        # As in a database just migrated: the source's rows (rolled back) moved it on.
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('breaches_incident', 'id'), 1)")
    restore(source.archive)
    reporter = User.objects.get(username="reporter")
    incident = incident_create(
        reporter=reporter,
        kind=Incident.Kind.BREACH,
        summary="Letter sent to an old address",
        aware_at=timezone.now() - timedelta(hours=2),
        channel=Incident.Channel.POST,
        business_unit=reporter.business_unit,
    )
    year, last = source.counter
    assert incident.reference == f"PBR-{year}-{last + 1:05d}"
    assert incident.pk > source.max_incident_id
    if connection.vendor == "postgresql":
        # The sequence was moved to the last restored id (SQLite's follows by itself; this
        # test database's may already be further on from earlier tests, which is no clash).
        assert incident.pk == source.max_incident_id + 1
    assert incident.history.count() == 1  # type: ignore[attr-defined]


# --- which tables ------------------------------------------------------------------------------


def test_every_installed_table_is_kept_or_left_out_on_purpose() -> None:
    kept = {table.label for table in register_tables()}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        assert (label in kept) != (left_out_reason(model) is not None), label
    # Every table of the register's own apps, history and many-to-many tables included.
    for app_label in ("accounts", "breaches", "reporting", "governance"):
        for model in apps.get_app_config(app_label).get_models(include_auto_created=True):
            assert model._meta.label_lower in kept, model._meta.label_lower
    for label in [
        "mfa.authenticator", "account.emailaddress", "auth.group", "auth.permission",
        "contenttypes.contenttype", "admin.logentry", "accounts.apitoken",
        "accounts.historicaluser_assigned_units",
    ]:  # fmt: skip
        assert label in kept, label
    assert {"sessions", "axes", "account.emailconfirmation"} == set(LEFT_OUT)
    assert not kept & {"sessions.session", "axes.accessattempt", "axes.accesslog"}


def test_tables_come_after_the_tables_they_refer_to() -> None:
    order = [table.label for table in register_tables()]
    for position, table in enumerate(register_tables()):
        for field in table.model._meta.local_concrete_fields:
            target = field.related_model
            if field.is_relation and target is not None and target is not table.model:
                assert order.index(target._meta.label_lower) < position, (table.label, field)


# --- streaming ---------------------------------------------------------------------------------


def test_the_export_iterates_and_never_loads_a_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No queryset of a kept table is ever fetched whole (``.iterator()`` streams instead)."""
    UserFactory(username="root", role=User.Role.ADMINISTRATOR)
    IncidentFactory.create_batch(3)
    kept = {table.model for table in register_tables()}
    fetch_all = QuerySet._fetch_all

    def guarded(self: QuerySet[Any]) -> None:
        if self.model in kept and not self.query.is_sliced:
            raise AssertionError(f"{self.model._meta.label} loaded whole")
        fetch_all(self)

    monkeypatch.setattr(QuerySet, "_fetch_all", guarded)
    export(tmp_path / "register.zip", by="root")
    counts = {t["model"]: t["rows"] for t in manifest(tmp_path / "register.zip")["tables"]}
    assert counts["breaches.incident"] == 3


def test_export_memory_does_not_grow_with_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten times the rows, about the same peak: rows are streamed, not gathered. (The lines
    gathered before each write to the zip are capped at a few kilobytes here, so both runs
    fill that buffer many times over.)"""
    from breaches.models import AffectedIndividual
    from governance.backup import export, export_register

    monkeypatch.setattr(export, "_FLUSH_BYTES", 8 * 1024)

    admin = UserFactory(username="root", role=User.Role.ADMINISTRATOR)
    incident = IncidentFactory()

    def peak(rows: int) -> int:
        AffectedIndividual.objects.bulk_create(
            AffectedIndividual(incident=incident, reference=f"C-{n:08d}", role="client")
            for n in range(rows)
        )
        with (tmp_path / f"{rows}.zip").open("wb") as stream:
            tracemalloc.start()
            try:
                export_register(stream, by=admin, destination="test", chunk_size=200)
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

    small = peak(2_000)
    large = peak(18_000)  # 20,000 in all
    assert large - small < 1_000_000, (small, large)


# --- values ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "written"),
    [
        (
            models.DateTimeField(),
            datetime(2026, 3, 2, 9, 30, 0, 5, tzinfo=timezone.get_fixed_timezone(13 * 60)),
            "2026-03-01T20:30:00.000005+00:00",
        ),
        (models.DateField(), date(2026, 2, 28), "2026-02-28"),
        (models.TimeField(), time(23, 59, 59, 120), "23:59:59.000120"),
        (models.DecimalField(max_digits=8, decimal_places=2), Decimal("12.5"), "12.50"),
        (models.UUIDField(), TOKEN, "12345678-1234-5678-1234-567812345678"),
        (models.BinaryField(), b"\x00\xffbytes", "AP9ieXRlcw=="),
        (models.DurationField(), timedelta(days=1, microseconds=7), 86_400_000_007),
        (models.GenericIPAddressField(), "2001:db8::1", "2001:db8::1"),
        (models.JSONField(), {"b": [1.5, None], "a": "ā"}, {"b": [1.5, None], "a": "ā"}),
        (models.CharField(), "text", "text"),
        (models.DateTimeField(null=True), None, None),
    ],
)
def test_values_are_written_in_one_spelling_and_read_back_as_stored(
    field: models.Field[Any, Any], value: Any, written: Any
) -> None:
    """Each kind of value, through JSON and back to what this database stores for it."""
    encode, decode = encoder(field), decoder(field, connection)
    as_json = encode(value) if encode else value
    assert as_json == written
    read = json.loads(json.dumps(as_json))
    expected = field.get_db_prep_save(value, connection)
    assert plain(decode(read) if decode else read) == plain(expected)


def plain(value: Any) -> Any:
    """A driver's wrapper (psycopg's ``Jsonb``, ``Binary``) unwrapped, for comparing."""
    value = getattr(value, "obj", value)
    return bytes(value) if isinstance(value, memoryview) else value
