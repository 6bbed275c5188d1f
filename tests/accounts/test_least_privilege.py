"""Least privilege in the database (docs/operations.md).

PostgreSQL: the runtime role ``db_grant_runtime`` sets up cannot truncate, rewrite or delete
history, cannot alter tables or disable the append-only trigger, and still runs the application.
The tests create their own NOLOGIN role inside the test transaction (rolled back with it) and
``SET ROLE`` to it, so they hold whatever user the suite connects as.

SQLite: the append-only triggers refuse UPDATE and DELETE too.

The admin: login records are read-only for everyone, history and access events are not there.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts.append_only import APPEND_ONLY_MODELS, protected_tables, triggered_tables
from accounts.models import AccessEvent
from breaches.intake.services import comment_add
from breaches.models import Comment, Decision, Incident
from breaches.triage.engine import parse_facts
from breaches.triage.services import assessment_create, decision_record
from tests.breaches.triage.engine.test_facts import VALID
from tests.conftest import World
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

HISTORY = "breaches_historicalincident"
EVENTS = "accounts_accessevent"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def execute(sql: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def refused(sql: str, params: list[object] | None = None, match: str = "") -> None:
    """``sql`` fails; the savepoint keeps the test's transaction usable."""
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        execute(sql, params)


def needs(vendor: str) -> None:
    if connection.vendor != vendor:
        pytest.skip(f"{vendor} only")


def history_id(world: World) -> int:
    row = world.incident_a.history.order_by("-history_id").first()  # type: ignore[attr-defined]
    assert row is not None
    return int(row.history_id)


def access_event(world: World) -> int:
    return AccessEvent.objects.create(user=world.cpo, action=AccessEvent.Action.VIEW).pk


# --- the list of append-only tables -----------------------------------------------------------


def test_protected_tables_cover_every_history_table_and_the_declared_models() -> None:
    listed = set(protected_tables())
    history = {m._meta.db_table for m in apps.get_models() if m.__name__.startswith("Historical")}
    declared = {apps.get_model(label)._meta.db_table for label in APPEND_ONLY_MODELS}
    assert {HISTORY, EVENTS, "breaches_historicalincident_restricted_to"} <= listed
    assert history | declared == listed


def test_every_protected_table_carries_the_trigger_on_this_database() -> None:
    """PostgreSQL and SQLite alike; and nothing carries it that the list does not name."""
    if connection.vendor not in {"postgresql", "sqlite"}:
        pytest.skip("append-only triggers exist on PostgreSQL and SQLite")
    triggered = triggered_tables(connection)
    missing = set(protected_tables()) - triggered
    assert not missing, f"no append-only trigger (a protect() migration is missing): {missing}"
    assert triggered == set(protected_tables())


# --- PostgreSQL: the runtime role -------------------------------------------------------------


@pytest.fixture
def runtime_role() -> str:
    """A fresh NOLOGIN role granted by ``db_grant_runtime``; gone with the test's transaction."""
    needs("postgresql")
    name = f"pbr_runtime_{uuid.uuid4().hex[:12]}"
    execute(f"CREATE ROLE {ident(name)} NOLOGIN")
    # As docs/operations.md sets up a server (already so on PostgreSQL 15 and later).
    execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    out = io.StringIO()
    call_command("db_grant_runtime", name, stdout=out, stderr=io.StringIO())
    assert "append-only tables" in out.getvalue()
    return name


@contextmanager
def as_role(role: str) -> Iterator[None]:
    execute(f"SET ROLE {ident(role)}")
    try:
        yield
    finally:
        execute("RESET ROLE")


def test_runtime_role_cannot_truncate(world: World, runtime_role: str) -> None:
    with as_role(runtime_role):
        for table in [HISTORY, EVENTS, "breaches_comment", "breaches_incident"]:
            refused(f"TRUNCATE {table} CASCADE", match="permission denied")
    assert world.incident_a.history.exists()  # type: ignore[attr-defined]


def test_runtime_role_cannot_update_or_delete_history_rows(world: World, runtime_role: str) -> None:
    row, event = history_id(world), access_event(world)
    with as_role(runtime_role):
        refused(
            "UPDATE breaches_historicalincident SET summary = 'rewritten' WHERE history_id = %s",
            [row],
            match="permission denied",
        )
        refused(
            "DELETE FROM breaches_historicalincident WHERE history_id = %s",
            [row],
            match="permission denied",
        )
        # The key column may be named in an UPDATE (for row locks): the trigger refuses it.
        refused(
            "UPDATE breaches_historicalincident SET history_id = history_id WHERE history_id = %s",
            [row],
            match="append-only",
        )
        refused(
            "UPDATE accounts_accessevent SET path = '/x' WHERE id = %s", [event], match="permission"
        )
        refused(
            "DELETE FROM accounts_accessevent WHERE id = %s", [event], match="permission denied"
        )
    incident = world.incident_a
    assert incident.history.filter(summary="rewritten").count() == 0  # type: ignore[attr-defined]
    assert AccessEvent.objects.filter(pk=event).exists()


def test_runtime_role_cannot_disable_the_trigger_or_alter_tables(
    world: World, runtime_role: str
) -> None:
    trigger = f"{HISTORY}_append_only"
    with as_role(runtime_role):
        refused(f"ALTER TABLE {HISTORY} DISABLE TRIGGER {trigger}", match="must be owner")
        refused(f"ALTER TABLE {HISTORY} DISABLE TRIGGER ALL", match="must be owner")
        refused(f"DROP TRIGGER {trigger} ON {HISTORY}", match="must be owner")
        refused(f"ALTER TABLE {HISTORY} ADD COLUMN x integer", match="must be owner")
        refused(f"DROP TABLE {HISTORY}", match="must be owner")
        refused("DROP FUNCTION pbr_refuse_change() CASCADE", match="must be owner")
        # Replica mode skips ordinary triggers: only a superuser may set it.
        refused("SET LOCAL session_replication_role = replica", match="permission denied")
        refused("CREATE TABLE pbr_mine (id integer)", match="permission denied")
    assert trigger in {f"{table}_append_only" for table in triggered_tables(connection)}


def test_runtime_role_inserts_history_and_works_on_ordinary_tables(
    world: World, runtime_role: str
) -> None:
    before = world.incident_a.history.count()  # type: ignore[attr-defined]
    with as_role(runtime_role):
        incident = Incident.objects.get(pk=world.incident_a.pk)  # SELECT
        incident.summary = "Letter posted to the wrong address (corrected)"
        incident.save()  # UPDATE, and INSERT into the history table
        created = IncidentFactory(reporter=world.reporter)  # INSERT (and its history)
        AccessEvent.objects.create(user=world.cpo, action=AccessEvent.Action.VIEW)
        assert Incident.objects.filter(summary__endswith="(corrected)").exists()
    assert world.incident_a.history.count() == before + 1  # type: ignore[attr-defined]
    assert created.history.count() == 1  # type: ignore[attr-defined]


def test_the_application_runs_as_the_runtime_role(
    world: World, runtime_role: str, client: Client
) -> None:
    """Sign in, open an incident, assess, decide twice (the second locks the first decision
    FOR UPDATE), comment: every write path of a working day, as the runtime role."""
    facts = parse_facts({**VALID, "aware_at": (timezone.now() - timedelta(hours=3)).isoformat()})
    with as_role(runtime_role):
        client.force_login(world.officer_a)
        page = client.get(f"/incidents/{world.incident_a.reference}/")
        assert page.status_code == 200
        assessment = assessment_create(
            incident=world.incident_a, facts=facts, actor=world.officer_a
        )
        for regulator in ["yes", "no"]:
            decision_record(
                incident=world.incident_a, assessment=assessment, actor=world.officer_a,
                notify_regulator=regulator, notify_individuals="yes", rationale="Reasoned.",
            )  # fmt: skip
        comment_add(
            incident=world.incident_a,
            author=world.officer_a,
            body="Rang the recipient.",
            visibility=Comment.Visibility.INTERNAL,
        )
        refused_login = Client(REMOTE_ADDR="198.51.100.9").post(
            "/login/", {"username": "reporter", "password": "wrong"}
        )
        assert refused_login.status_code in {200, 429}
    assert Decision.objects.filter(incident=world.incident_a).count() == 2
    assert (
        Decision.objects.filter(incident=world.incident_a, superseded_by__isnull=True).count() == 1
    )
    assert AccessEvent.objects.filter(incident=world.incident_a, user=world.officer_a).exists()
    assert AccessAttempt.objects.filter(username="reporter").exists()


def _privileges(role: str) -> list[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, '', privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = %s UNION ALL "
            "SELECT table_name, column_name, privilege_type "
            "FROM information_schema.column_privileges WHERE grantee = %s ORDER BY 1, 2, 3",
            [role, role],
        )
        return [tuple(row) for row in cursor.fetchall()]


def test_db_grant_runtime_is_idempotent_and_undoes_drift(runtime_role: str) -> None:
    first = _privileges(runtime_role)
    assert (HISTORY, "", "INSERT") in first
    assert (HISTORY, "", "SELECT") in first
    assert (HISTORY, "", "UPDATE") not in first
    assert ("breaches_incident", "", "DELETE") in first
    assert not [row for row in first if row[2] in {"TRUNCATE", "TRIGGER", "REFERENCES"}]
    execute(f"GRANT ALL ON {HISTORY}, breaches_incident TO {ident(runtime_role)}")
    call_command("db_grant_runtime", runtime_role, stdout=io.StringIO(), stderr=io.StringIO())
    assert _privileges(runtime_role) == first


def test_db_grant_runtime_refuses_privileged_or_unknown_roles(runtime_role: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        current = cursor.fetchone()[0]
    for role, reason in [
        (current, "superuser|owns"),  # the suite's own user: a superuser or the tables' owner
        ("pbr_no_such_role", "does not exist"),
    ]:
        with pytest.raises(CommandError, match=reason):
            call_command("db_grant_runtime", role, stdout=io.StringIO(), stderr=io.StringIO())


def test_db_grant_runtime_fails_when_public_could_still_truncate(runtime_role: str) -> None:
    """The check counts privileges through PUBLIC too, and then changes nothing."""
    execute(f"GRANT TRUNCATE ON {HISTORY} TO PUBLIC")
    with pytest.raises(CommandError, match=f"TRUNCATE on {HISTORY}"):
        call_command("db_grant_runtime", runtime_role, stdout=io.StringIO(), stderr=io.StringIO())


# --- SQLite: the triggers ---------------------------------------------------------------------


def test_sqlite_refuses_update_and_delete_of_history_and_access_events(world: World) -> None:
    needs("sqlite")
    row, event = history_id(world), access_event(world)
    for sql, params in [
        (
            "UPDATE breaches_historicalincident SET summary = 'rewritten' WHERE history_id = %s",
            [row],
        ),
        ("DELETE FROM breaches_historicalincident WHERE history_id = %s", [row]),
        ("UPDATE accounts_accessevent SET path = '/x' WHERE id = %s", [event]),
        ("DELETE FROM accounts_accessevent WHERE id = %s", [event]),
        ("DELETE FROM breaches_historicalincident_restricted_to", []),
    ]:
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            execute(sql, params)
    history = world.incident_a.history  # type: ignore[attr-defined]
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        history.filter(history_id=row).update(summary="rewritten")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        history.filter(history_id=row).delete()
    assert history.filter(history_id=row, summary="rewritten").count() == 0
    assert AccessEvent.objects.filter(pk=event).exists()
    AccessEvent.objects.create(user=world.cpo, action=AccessEvent.Action.VIEW)  # INSERT works


# --- the admin --------------------------------------------------------------------------------


@pytest.fixture
def login_records() -> list[tuple[str, int]]:
    common = {
        "username": "reporter",
        "ip_address": "198.51.100.7",
        "user_agent": "test",
        "http_accept": "*/*",
        "path_info": "/login/",
    }
    attempt = AccessAttempt.objects.create(
        **common, get_data="", post_data="", failures_since_start=3
    )
    log = AccessLog.objects.create(**common)
    failure = AccessFailureLog.objects.create(**common, locked_out=False)
    return [
        ("accessattempt", attempt.pk),
        ("accesslog", log.pk),
        ("accessfailurelog", failure.pk),
    ]


def test_admin_shows_login_records_but_never_adds_changes_or_deletes_them(
    world: World, client: Client, login_records: list[tuple[str, int]]
) -> None:
    client.force_login(world.admin)  # a superuser
    for name, pk in login_records:
        base = f"/admin/axes/{name}/"
        listing = client.get(base)
        assert listing.status_code == 200
        body = listing.content.decode()
        assert "delete_selected" not in body and "cleanup_expired_attempts" not in body
        assert f"{base}add/" not in body
        view = client.get(f"{base}{pk}/change/")
        assert view.status_code == 200
        assert view.context["has_change_permission"] is False
        assert 'name="_save"' not in view.content.decode()
        assert client.post(f"{base}{pk}/change/", {"username": "x"}).status_code == 403
        assert client.get(f"{base}add/").status_code == 403
        assert client.post(f"{base}add/", {"username": "x"}).status_code == 403
        assert client.get(f"{base}{pk}/delete/").status_code == 403
        assert client.post(f"{base}{pk}/delete/", {"post": "yes"}).status_code == 403
        bulk = client.post(
            base, {"action": "delete_selected", "_selected_action": [pk], "post": "yes"}
        )
        assert bulk.status_code in {200, 302, 403}
    for model in [AccessAttempt, AccessLog, AccessFailureLog]:
        assert model.objects.filter(username="reporter").count() == 1, model


def test_admin_registers_no_history_or_access_event_model(world: World, client: Client) -> None:
    for model, model_admin in admin.site._registry.items():
        assert not model.__name__.startswith("Historical"), model
        assert model is not AccessEvent
        if model._meta.app_label == "axes":
            assert not model_admin.has_delete_permission(_request(world))
    client.force_login(world.admin)
    for url in [
        "/admin/accounts/accessevent/",
        f"/admin/breaches/{HISTORY.removeprefix('breaches_')}/",
        "/admin/accounts/historicaluser/",
    ]:
        assert client.get(url).status_code == 404, url


def test_admin_history_pages_are_view_only(world: World, client: Client) -> None:
    client.force_login(world.admin)
    user = world.officer_a
    assert client.get(f"/admin/accounts/user/{user.pk}/history/").status_code == 200
    row = user.history.order_by("-history_id").first()  # type: ignore[attr-defined]
    assert row is not None
    url = f"/admin/accounts/user/{user.pk}/history/{row.history_id}/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"username": "rewritten"}).status_code == 403
    assert client.get(f"/admin/accounts/user/{user.pk}/delete/").status_code == 403


def _request(world: World) -> HttpRequest:
    request = RequestFactory().get("/admin/")
    request.user = world.admin
    return request


# --- docker-compose: the same two roles -------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def _db_user(url: str) -> str:
    return url.removeprefix("postgres://").split(":", 1)[0]


def test_compose_migrates_as_the_owner_and_runs_the_app_as_the_runtime_role() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    migrate = services["migrate"]
    assert _db_user(migrate["environment"]["DATABASE_URL"]) == "pbr"
    command = migrate["command"]
    assert command.index("migrate --noinput") < command.index("db_grant_runtime pbr_app")
    for name in ["web", "worker", "beat"]:
        service = services[name]
        assert _db_user(service["environment"]["DATABASE_URL"]) == "pbr_app", name
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    init = (ROOT / "scripts" / "db-init" / "10-roles.sh").read_text(encoding="utf-8")
    assert "CREATE ROLE pbr LOGIN NOSUPERUSER" in init
    assert "CREATE ROLE pbr_app LOGIN NOSUPERUSER" in init
    assert "./scripts/db-init:/docker-entrypoint-initdb.d:ro" in services["db"]["volumes"]
