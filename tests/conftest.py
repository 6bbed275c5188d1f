"""Shared fixtures: the personas of SPEC §3 and a real Celery worker.

The personas (``world``) are built once per test module and rolled back after each test, so a
thousand tests do not build them a thousand times; ``build_world()`` builds them afresh for the
tests that commit (end-to-end journeys, real workers).
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from pytest_django import DjangoDbBlocker

from accounts.models import BusinessUnit, User
from breaches.models import Action, Attachment, Incident
from tests.factories import BusinessUnitFactory, IncidentFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent


def pytest_report_header(config: pytest.Config) -> str:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"database engine: {engine}; broker: {settings.REDIS_URL or 'none (in-process tasks)'}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    terminalreporter.write_line(
        f"Tests ran on database engine: {connection.display_name} ({engine})"
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """In each module, the tests that do not use ``world`` run before those that do.

    The module's world stays in the database from its first test on (see ``_module_world``), so
    a test that never asked for it would see its rows or not depending on where it stands in the
    file. Run first, it always sees the empty database it was written for. pytest-django has
    already put the tests that commit after all others; they keep their place.
    """

    def uses_world(item: pytest.Item) -> bool:
        return "world" in getattr(item, "fixturenames", ())

    def run_key(item: pytest.Item) -> tuple[object, bool]:
        return item.getparent(pytest.Module), commits(item)

    reordered: list[pytest.Item] = []
    run: list[pytest.Item] = []
    for item in [*items, None]:
        if run and (item is None or run_key(item) != run_key(run[0])):
            reordered += [i for i in run if not uses_world(i)]
            reordered += [i for i in run if uses_world(i)]
            run = []
        if item is not None:
            run.append(item)
    items[:] = reordered


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test that commits needs the empty database it was written for (and a worker or a live
    server must see what it commits): roll back the world its module's tests left open."""
    if commits(item):
        for shared in _OPEN_WORLDS:
            shared.close()


def commits(item: pytest.Item) -> bool:
    """Whether the test commits: transactional, a live server, a real worker."""
    marker = item.get_closest_marker("django_db")
    transactional = bool(
        marker
        and (
            marker.kwargs.get("transaction", marker.args[0] if marker.args else False)
            or marker.kwargs.get("reset_sequences")
        )
    )
    fixtures = {"transactional_db", "live_server", "django_db_reset_sequences"}
    return transactional or bool(fixtures & set(getattr(item, "fixturenames", ())))


# --- personas ---------------------------------------------------------------------------------


@dataclass
class World:
    """The cast of SPEC §3 and three incidents that tell them apart.

    Units: national → region A (site A1) and region B (sites B1, B2).
    ``incident_a`` is reported by ``reporter`` in A1; ``incident_b`` by ``reporter2`` in B1;
    ``restricted`` is in A1, reported by ``reporter``, restricted to ``named`` only.
    """

    national: BusinessUnit
    region_a: BusinessUnit
    region_b: BusinessUnit
    site_a1: BusinessUnit
    site_b1: BusinessUnit
    site_b2: BusinessUnit
    reporter: User
    reporter2: User
    officer_a: User
    officer_b: User
    cpo: User
    executive: User
    admin: User
    named: User
    incident_a: Incident
    incident_b: Incident
    restricted: Incident
    attachment_a: Attachment | None = None  # made by add_evidence() where a test needs it
    action_a: Action | None = None  # made by add_action() where a test needs it
    # Made by add_confidential_reports() where a test needs them: a confidential report by
    # ``reporter`` in A1, and a report about a colleague's conduct (restricted on arrival).
    confidential: Incident | None = None
    colleague: Incident | None = None

    def persona(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


PERSONAS = ["reporter", "reporter2", "officer_a", "officer_b", "cpo", "executive", "admin", "named"]


def build_world() -> World:
    national = BusinessUnitFactory(name="National Office", code="national")
    region_a = BusinessUnitFactory(name="Region A", code="region-a", parent=national)
    region_b = BusinessUnitFactory(name="Region B", code="region-b", parent=national)
    site_a1 = BusinessUnitFactory(name="Site A1", code="site-a1", parent=region_a)
    site_b1 = BusinessUnitFactory(name="Site B1", code="site-b1", parent=region_b)
    site_b2 = BusinessUnitFactory(name="Site B2", code="site-b2", parent=region_b)
    reporter = UserFactory(username="reporter", business_unit=site_a1)
    reporter2 = UserFactory(username="reporter2", business_unit=site_b1)
    officer_a = UserFactory(
        username="officer_a",
        role=User.Role.PRIVACY_OFFICER,
        business_unit=region_a,
        assigned_units=[region_a],
    )
    officer_b = UserFactory(
        username="officer_b",
        role=User.Role.PRIVACY_OFFICER,
        business_unit=region_b,
        assigned_units=[region_b],
    )
    cpo = UserFactory(username="cpo", role=User.Role.CHIEF_PRIVACY_OFFICER, business_unit=national)
    executive = UserFactory(username="executive", role=User.Role.EXECUTIVE, business_unit=national)
    admin = UserFactory(
        username="admin",
        role=User.Role.ADMINISTRATOR,
        business_unit=national,
        is_staff=True,
        is_superuser=True,
    )
    named = UserFactory(username="named", business_unit=site_b2)
    incident_a = IncidentFactory(reporter=reporter, business_unit=site_a1, summary="Incident A")
    incident_b = IncidentFactory(reporter=reporter2, business_unit=site_b1, summary="Incident B")
    restricted = IncidentFactory(
        reporter=reporter,
        business_unit=site_a1,
        summary="Incident R",
        is_restricted=True,
        restricted_to=[named],
    )
    return World(
        national, region_a, region_b, site_a1, site_b1, site_b2,
        reporter, reporter2, officer_a, officer_b, cpo, executive, admin, named,
        incident_a, incident_b, restricted,
    )  # fmt: skip


def add_evidence(world: World) -> Attachment:
    """A small PDF attached to incident A by its reporter."""
    attachment = Attachment(
        incident=world.incident_a,
        original_name="letter.pdf",
        content_type="application/pdf",
        size=9,
        sha256="0" * 64,
        uploaded_by=world.reporter,
    )
    attachment.file.save("letter.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    world.attachment_a = attachment
    return attachment


def add_action(world: World) -> Action:
    """An open action on incident A owned by ``reporter2``, who cannot see incident A itself."""
    action = Action.objects.create(
        incident=world.incident_a,
        title="Lock the filing cabinet",
        owner=world.reporter2,
        due_date=date(2030, 1, 1),
        created_by=world.officer_a,
    )
    world.action_a = action
    return action


def add_confidential_reports(world: World) -> World:
    """Incident C, reported confidentially by ``reporter`` in A1 (officers see it, not who
    reported it), and incident K, ``reporter``'s report about a colleague in A1, restricted on
    arrival to the CPO and its reporter (docs/reporting-without-fear.md)."""
    if world.confidential is None:
        world.confidential = IncidentFactory(
            reporter=world.reporter,
            business_unit=world.site_a1,
            summary="Incident C",
            reporting=Incident.Reporting.CONFIDENTIAL,
        )
        world.colleague = IncidentFactory(
            reporter=world.reporter,
            business_unit=world.site_a1,
            summary="Incident K",
            about_colleague=True,
            is_restricted=True,
            restricted_to=[world.cpo, world.reporter],
        )
    return world


class SharedWorld:
    """The world, built inside a transaction that stays open across one module's tests.

    pytest-django's ``db`` runs each test in its own atomic block, which here becomes a savepoint
    inside this transaction: whatever a test writes (to the world's rows too) is undone before
    the next test, just as when every test built its own world.
    """

    def __init__(self, blocker: DjangoDbBlocker) -> None:
        self.blocker = blocker
        with blocker.unblock():
            self.outer = transaction.atomic()
            # As Django's TestCase marks its class-wide atomic: durable blocks in tests still work.
            self.outer._from_testcase = True  # type: ignore[attr-defined]
            self.outer.__enter__()
            try:
                self.world = build_world()
            except BaseException:
                self.outer.__exit__(*sys.exc_info())
                raise
        self.is_open = True

    def close(self) -> None:
        if self.is_open:
            self.is_open = False
            with self.blocker.unblock():
                transaction.set_rollback(True)
                self.outer.__exit__(None, None, None)


# The world of the module being run, while its transaction is open.
_OPEN_WORLDS: list[SharedWorld] = []


@pytest.fixture(scope="session", autouse=True)
def _sqlite_flush_past_append_only_triggers() -> Iterator[None]:
    """On SQLite, Django empties the tables between committing tests (browser and worker tests)
    with DELETE, which the append-only triggers refuse; PostgreSQL truncates, which no row
    trigger sees. The flush, and only the flush, runs with the triggers suspended."""
    from accounts import append_only

    if connection.vendor != "sqlite":
        yield
        return
    operations = type(connection.ops)
    original = operations.execute_sql_flush

    def execute_sql_flush(self: BaseDatabaseOperations, sql_list: list[str]) -> None:
        with append_only.suspended(self.connection):
            original(self, sql_list)

    operations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]
    yield
    operations.execute_sql_flush = original  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def _module_world(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[SharedWorld]:
    """The world built once per test module (module scope: it is set up before any test's
    ``db``), rolled back when the module ends or a test that commits comes."""
    shared = SharedWorld(django_db_blocker)
    _OPEN_WORLDS.append(shared)
    try:
        yield shared
    finally:
        _OPEN_WORLDS.remove(shared)
        shared.close()


@pytest.fixture
def world(_module_world: SharedWorld, db: None) -> World:
    """The personas and incidents, fresh for this test.

    The rows are the module's, reset by the test's savepoint; the objects are a deep copy of the
    ones ``build_world()`` returned, so cached relations and attributes a test changes in memory
    never reach the next test (one copy, so ``incident_a.reporter is reporter`` still holds).
    """
    if not _module_world.is_open:  # pytest-django runs committing tests last: not expected
        pytest.fail("this module's world was rolled back for a test that commits, run before")
    return copy.deepcopy(_module_world.world)


# --- a real Celery worker ---------------------------------------------------------------------


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    mail_dir: Path
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_worker(
    tmp: Path, *, extra_env: dict[str, str] | None = None, pool: str = "solo"
) -> Worker:
    """Start ``celery -A config worker`` against the test database and the throwaway Redis."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        pytest.skip("a real worker needs a server database: run `make test`")
    mail_dir = tmp / "mail"
    mail_dir.mkdir(parents=True, exist_ok=True)
    log_path = tmp / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DJANGO_ENV": "test",
        # The worker must use the database pytest-django created, not the configured one.
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        **(extra_env or {}),
    }
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--pool", pool, "--concurrency", "1", "--loglevel", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--hostname", f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    worker = Worker(process, mail_dir, log_path)
    deadline = time.monotonic() + 60
    while " ready." not in worker.log():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the Celery worker did not start:\n{worker.log()}")
        time.sleep(0.2)
    return worker


def stop_worker(worker: Worker) -> None:
    if worker.process.poll() is None:
        worker.process.terminate()
        try:
            worker.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()


@pytest.fixture
def celery_worker(transactional_db: None, tmp_path: Path) -> Iterator[Worker]:
    """A real worker process consuming from the throwaway Redis, for one test.

    Tasks published by the test go through Redis (not in-process) while it runs. The test must
    commit its data (this fixture brings ``transactional_db``) so the worker can read it.
    """
    from django.conf import settings

    from config.celery import app

    if not settings.REDIS_URL:
        pytest.skip("a real worker needs REDIS_URL: run `make test`")
    app.control.purge()
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    worker = start_worker(tmp_path)
    try:
        yield worker
    finally:
        app.conf.task_always_eager = previous
        stop_worker(worker)


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.2, what: str = "condition"):  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it returns something truthy, or fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def worker_factory(transactional_db: None, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Start (and always stop) real workers with extra environment, for kill drills."""
    from django.conf import settings

    from config.celery import app

    if not settings.REDIS_URL:
        pytest.skip("a real worker needs REDIS_URL: run `make test`")
    app.control.purge()
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    started: list[Worker] = []

    def start(name: str, pool: str = "prefork", **env: str) -> Worker:
        # prefork runs the event loop that restores unacknowledged tasks of dead workers.
        worker = start_worker(tmp_path / name, extra_env=env, pool=pool)
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        app.conf.task_always_eager = previous
        for worker in started:
            stop_worker(worker)
