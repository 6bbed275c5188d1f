"""``make bench``'s measuring half: run by scripts/bench.sh against a served register.

``python -m bench.bench generate --incidents N``: the benchmark volume (``bench/generate.py``'s
bulk path), then ``VACUUM ANALYZE``.

``python -m bench.bench run --url http://127.0.0.1:PORT --gunicorn-pid PID``: signs in as each
role through the real sign-in form (and makes API tokens with knox), measures the two floors and
every case over ``BENCH_REQUESTS`` requests (default 100) after ``BENCH_WARMUP`` (default 3)
untimed ones, the whole register's CSV (``BENCH_CSV_REQUESTS``, default 3: time to last byte and
the worker's memory), the quarterly report of the fullest quarter (in this process, the same job
the worker runs), then counts each case's queries in this process (Django's test client against
the same database) and compares them with ``bench/query_pins.json``. It prints the table, writes
``var/bench/results.json`` and exits non-zero when a pin grew, a request failed, or, with
``BENCH_STRICT=1``, a budget was missed. ``BENCH_CASES`` (a regular expression) runs only the
cases whose key matches; ``BENCH_UPDATE_PINS=1`` writes this run's counts as the pins.

Settings are the production ones the server runs with (the environment scripts/bench.sh sets).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import requests

from bench.stats import Budget, Result, as_json, check_pins, format_table, verdict

ROOT = Path(__file__).resolve().parent.parent
PINS = ROOT / "bench" / "query_pins.json"
OUT = ROOT / "var" / "bench" / "results.json"
PASSWORD = os.environ.get("BENCH_PASSWORD", "bench-password-2026")
SEARCH = os.environ.get("BENCH_SEARCH", "caregiver")
DEEP_PAGE = 2000
# Failures that are errors (the run exits 1), not budgets missed.
ERROR_MARKS = ("HTTP ", "in-process HTTP ", "the report job failed")

# The people of the generated register (bench/generate.py DEMO_ACCOUNTS).
ROLES = {
    "cpo": "CPO",
    "officer": "officer (Northern)",
    "executive": "executive",
    "reporter": "reporter",
}

# The budgets: SPEC §8 and issue 14, item 2 (p95 as multiples of the floor).
LIST_CPO = Budget(x_floor=4, source="SPEC §8: register and API lists, CPO")
LIST_OTHER = Budget(x_floor=5, source="SPEC §8: register and API lists, officer")
SEARCH_BUDGET = Budget(x_floor=8, source="SPEC §8: text search")
SORT_OR_PAGE = Budget(x_floor=6, source="SPEC §8: any sort and any page")
INCIDENT_PAGE = Budget(x_floor=6, source="issue 14: incident page")
API_DETAIL = Budget(x_floor=4, source="issue 14: API detail")
OFFICER_HOME = Budget(x_floor=6, source="issue 14: officer home")
DASHBOARD = Budget(x_floor=10, source="SPEC §8: dashboard")
CREATE = Budget(x_floor=5, source="issue 14: create")
CSV_BUDGET = Budget(max_ms=5000, max_rss_mb=64, source="SPEC §8: the whole register's CSV")
REPORT_BUDGET = Budget(max_ms=5000, max_pages=16, source="SPEC §8: the quarterly PDF")

# The register's sortable columns (breaches/register/filters.py ORDERING: the URL names).
SORTS = [
    "reported",
    "aware",
    "deadline",
    "reference",
    "status",
    "kind",
    "severity",
    "unit",
    "updated",
]

# The floor's SQL: the register's first page and its count, as bare as SQL gets (no scope, no
# annotations): what any register page must at least cost in the database.
FLOOR_PAGE_SQL = """
SELECT i.id, i.reference, i.kind, i.status, i.summary, i.severity, i.reported_at,
       i.regulator_deadline, u.name
FROM breaches_incident i JOIN accounts_businessunit u ON u.id = i.business_unit_id
ORDER BY i.reported_at DESC, i.id DESC LIMIT 25
"""
FLOOR_COUNT_SQL = "SELECT count(*) FROM breaches_incident"


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


# --- generate ------------------------------------------------------------------------------


def cmd_generate(incidents: int) -> int:
    setup_django()
    from django.db import connection

    from bench.generate import generate

    started = time.perf_counter()
    result = generate(incidents=incidents, with_history=False, password=PASSWORD)
    generated = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    kinds = ", ".join(f"{count:,} {kind}" for kind, count in sorted(result.by_kind.items()))
    print(
        f"Generated {result.incidents:,} incidents ({kinds}) in {generated:.0f} s; "
        f"VACUUM ANALYZE {time.perf_counter() - started - generated:.0f} s"
    )
    return 0


def cmd_analyze() -> int:
    setup_django()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return 0


# --- cases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One page or endpoint as one role uses it. Request ``i`` goes to ``paths[i % len]``."""

    key: str
    label: str
    role: str
    paths: tuple[str, ...]
    budget: Budget
    api: bool = False  # signed in by API token, not by the session
    create: str = ""  # "api" or "page": each request reports a new incident
    expect: int = 200
    page_size_check: bool = False  # the same queries at 25 and at 100 rows a page

    @property
    def path(self) -> str:
        return self.paths[0]


@dataclass
class Fixtures:
    """What the cases need from the database: references, page counts, the fullest quarter."""

    references: list[str]
    officer_pages: int
    cpo_pages: int
    fullest_quarter: str
    fullest_count: int
    incidents: int


def find_fixtures() -> Fixtures:
    from django.conf import settings
    from django.db.models import Count
    from django.db.models.functions import TruncQuarter

    from accounts.models import User
    from breaches.models import Incident
    from reporting.figures import Quarter

    reporter = User.objects.get(username="reporter")
    officer = User.objects.get(username="officer")
    # Incidents the reporter reported in Northern Region: the reporter, the region's officer
    # and the CPO all see them, so each role opens the same pages. Triaged and decided ones,
    # so the page shows an assessment and a decision.
    references = list(
        Incident.objects.visible_to(reporter)
        .filter(reporter=reporter, is_restricted=False, status=Incident.Status.REMEDIATION)
        .order_by("-reported_at")
        .values_list("reference", flat=True)[:10]
    )
    if not references:
        raise SystemExit("The benchmark database has no incident for the reporter's pages.")
    size = settings.REGISTER_PAGE_SIZE
    total = Incident.objects.count()
    officer_rows = Incident.objects.visible_to(officer).count()
    fullest = (
        Incident.objects.annotate(quarter=TruncQuarter("reported_at"))
        .values("quarter")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    assert fullest is not None
    quarter = Quarter.containing(fullest["quarter"].date())
    return Fixtures(
        references=references,
        officer_pages=max(1, -(-officer_rows // size)),
        cpo_pages=max(1, -(-total // size)),
        fullest_quarter=quarter.code,
        fullest_count=fullest["n"],
        incidents=total,
    )


def build_cases(fx: Fixtures) -> list[Case]:
    refs = tuple(fx.references)
    api_refs = tuple(f"/api/v1/incidents/{r}/" for r in refs)
    cases: list[Case] = []

    def add(*args: Any, **kwargs: Any) -> None:
        cases.append(Case(*args, **kwargs))

    for role, budget in [("cpo", LIST_CPO), ("officer", LIST_OTHER)]:
        pages = fx.cpo_pages if role == "cpo" else fx.officer_pages
        deep = min(DEEP_PAGE, pages)
        add(
            f"register.{role}",
            "register, first page",
            role,
            ("/incidents/",),
            budget,
            page_size_check=True,
        )
        add(
            f"register.search.{role}",
            f"register, text search “{SEARCH}”",
            role,
            (f"/incidents/?q={SEARCH}",),
            SEARCH_BUDGET,
            page_size_check=True,
        )
        add(
            f"register.page{DEEP_PAGE}.{role}",
            f"register, page {deep:,} of {pages:,}",
            role,
            (f"/incidents/?page={deep}",),
            SORT_OR_PAGE,
            page_size_check=True,
        )
        for sort in SORTS:
            add(
                f"register.sort.{sort}.{role}",
                f"register, sorted by {sort}",
                role,
                (f"/incidents/?ordering={sort}",),
                SORT_OR_PAGE,
                page_size_check=True,
            )
    for role, budget in [("cpo", LIST_CPO), ("officer", LIST_OTHER), ("reporter", LIST_OTHER)]:
        add(f"api.list.{role}", "API list", role, ("/api/v1/incidents/",), budget, api=True)
    add(
        "api.search.cpo",
        f"API list, text search “{SEARCH}”",
        "cpo",
        (f"/api/v1/incidents/?q={SEARCH}",),
        SEARCH_BUDGET,
        api=True,
    )
    add(
        "api.sort.severity.cpo",
        "API list, sorted by severity",
        "cpo",
        ("/api/v1/incidents/?ordering=severity",),
        SORT_OR_PAGE,
        api=True,
    )
    api_deep = min(1000, -(-fx.incidents // 50))
    add(
        "api.page1000.cpo",
        f"API list, page {api_deep:,}",
        "cpo",
        (f"/api/v1/incidents/?page={api_deep}",),
        SORT_OR_PAGE,
        api=True,
    )
    for role in ["cpo", "officer", "reporter"]:
        add(
            f"incident.{role}",
            "incident page",
            role,
            tuple(f"/incidents/{r}/" for r in refs),
            INCIDENT_PAGE,
        )
    add(
        "triage.officer",
        "triage page",
        "officer",
        tuple(f"/incidents/{r}/triage/" for r in refs),
        INCIDENT_PAGE,
    )
    add(
        "access-log.officer",
        "an incident's access log",
        "officer",
        tuple(f"/incidents/{r}/access-log/" for r in refs),
        INCIDENT_PAGE,
    )
    for role in ["cpo", "officer", "reporter"]:
        add(f"api.detail.{role}", "API detail", role, api_refs, API_DETAIL, api=True)
    for role in ["officer", "cpo"]:
        add(f"officer-home.{role}", "officer home", role, ("/incidents/home/",), OFFICER_HOME)
    for role in ["executive", "officer"]:
        add(f"dashboard.{role}", "dashboard", role, ("/reports/dashboard/",), DASHBOARD)
    add("reports.executive", "reports page", "executive", ("/reports/",), LIST_OTHER)
    add(
        "my-reports.reporter",
        "my reports",
        "reporter",
        ("/incidents/mine/",),
        LIST_OTHER,
        page_size_check=True,
    )
    add(
        "api.create.reporter",
        "API create",
        "reporter",
        ("/api/v1/incidents/",),
        CREATE,
        api=True,
        create="api",
        expect=201,
    )
    add(
        "report-form.reporter",
        "report form, sent",
        "reporter",
        ("/incidents/new/",),
        CREATE,
        create="page",
        expect=302,
    )
    return cases


# --- HTTP ----------------------------------------------------------------------------------


class FormFields(HTMLParser):
    """The fields of the first form that has a field named ``marker``, with their defaults."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker
        self.forms: list[list[tuple[str, str]]] = []
        self.in_form = False
        self.select: str | None = None
        self.select_first: str | None = None
        self.select_chosen = False
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.in_form = True
            self.forms.append([])
        elif not self.in_form:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            if kind not in {"file", "submit", "button"}:
                default = "on" if kind == "checkbox" else ""
                self.forms[-1].append((a["name"], a.get("value", default)))
        elif tag == "select" and a.get("name"):
            self.select, self.select_first, self.select_chosen = a["name"], None, False
        elif tag == "option" and self.select is not None:
            if self.select_first is None:
                self.select_first = a.get("value", "")
            if "selected" in a and not self.select_chosen:
                self.select_chosen = True
                self.forms[-1].append((self.select, a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self.textarea = a["name"]
            self.forms[-1].append((a["name"], ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.in_form = False
        elif tag == "select" and self.select is not None:
            if not self.select_chosen and self.select_first is not None:
                self.forms[-1].append((self.select, self.select_first))
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea is not None and self.forms and self.forms[-1]:
            name, value = self.forms[-1][-1]
            self.forms[-1][-1] = (name, value + data)

    def fields(self) -> dict[str, str]:
        for form in self.forms:
            if any(name == self.marker for name, _ in form):
                return dict(form)
        raise ValueError(f"no form with a field named {self.marker!r}")


def form_fields(html: str, marker: str) -> dict[str, str]:
    parser = FormFields(marker)
    parser.feed(html)
    return parser.fields()


def new_report(defaults: dict[str, str], n: int) -> dict[str, str]:
    """The report form as a reporter sends it: the page's defaults plus the first step."""
    data = dict(defaults)
    data.update(
        kind="breach",
        summary=f"Benchmark report {n}: letter posted to an old address",
        channel="post",
        submission_token=str(uuid.uuid4()),
    )
    return data


def new_api_report(n: int) -> dict[str, Any]:
    from django.utils import timezone

    return {
        "kind": "near_miss",
        "summary": f"Benchmark report {n}: email drafted to the wrong address, not sent",
        "aware_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "channel": "email",
        "submission_token": str(uuid.uuid4()),
    }


class LoopbackSession(requests.Session):
    """A session that sends its cookies over plain HTTP: production's cookies are Secure (and
    ``__Host-``), and the bench talks to gunicorn over HTTP on loopback, with no TLS proxy in
    front. (requests copies the cookies into a jar of its default policy for each request,
    which keeps Secure cookies for HTTPS, so the header is written here.)"""

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        prepared = super().prepare_request(request)
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.cookies)
        if cookies:
            prepared.headers["Cookie"] = cookies
        return prepared


class Client:
    """One signed-in person over HTTP: a session for pages, a token for the API."""

    def __init__(self, base: str, role: str) -> None:
        self.base, self.role = base, role
        self.session = LoopbackSession()
        self.token = ""
        self.report_defaults: dict[str, str] = {}

    def url(self, path: str) -> str:
        return self.base + path

    def sign_in(self, username: str) -> None:
        page = self.session.get(self.url("/login/"))
        page.raise_for_status()
        data = form_fields(page.text, "username")
        data.update(username=username, password=PASSWORD)
        answer = self.session.post(self.url("/login/"), data=data, allow_redirects=False)
        if answer.status_code != 302:
            raise SystemExit(f"Signing in as {username} failed: HTTP {answer.status_code}")

    def csrf(self) -> str:
        for cookie in self.session.cookies:
            if cookie.name.endswith("csrftoken") and cookie.value:
                return cookie.value
        return ""

    def request(self, case: Case, i: int) -> requests.Response:
        path = case.paths[i % len(case.paths)]
        headers = {"Authorization": f"Token {self.token}"} if case.api else {}
        if case.create == "api":
            return self.session.post(
                self.url(path), json=new_api_report(i), headers=headers, allow_redirects=False
            )
        if case.create == "page":
            if not self.report_defaults:
                form = self.session.get(self.url(path))
                form.raise_for_status()
                self.report_defaults = form_fields(form.text, "summary")
            return self.session.post(
                self.url(path), data=new_report(self.report_defaults, i), allow_redirects=False
            )
        return self.session.get(self.url(path), headers=headers, allow_redirects=False)


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = call()
    return (time.perf_counter() - started) * 1000, value


@dataclass
class Probe:
    """Something timed once a round: a floor or a case. ``call(i)`` makes the i-th request and
    returns what went wrong ("" when nothing did)."""

    result: Result
    call: Callable[[int], str]
    samples: list[float] = field(default_factory=list)


def case_probe(client: Client, case: Case) -> Probe:
    def call(i: int) -> str:
        status = client.request(case, i).status_code
        return "" if status == case.expect else f"HTTP {status} (expected {case.expect})"

    return Probe(Result(case.key, case.label, ROLES[case.role], [], case.budget), call)


def floor_probes(base: str, cursor: Any) -> list[Probe]:
    """The two floors: Django's cheapest page, and the bare SQL of the register's first page
    and its count over a connection of its own (psycopg, no Django)."""
    anonymous = LoopbackSession()

    def sign_in(i: int) -> str:
        status = anonymous.get(base + "/login/").status_code
        return "" if status == 200 else f"HTTP {status}"

    def sql(i: int) -> str:
        cursor.execute(FLOOR_PAGE_SQL)
        cursor.fetchall()
        cursor.execute(FLOOR_COUNT_SQL)
        cursor.fetchall()
        return ""

    return [
        Probe(Result("floor.sign-in", "Django's cheapest page (the sign-in form)", "anonymous",
                     []), sign_in),
        Probe(Result("floor.sql", "the bare SQL of the register's first page and its count",
                     "psycopg", []), sql),
    ]  # fmt: skip


def measure_rounds(probes: list[Probe], requests_n: int, warmup: int) -> None:
    """``warmup`` untimed rounds, then ``requests_n`` timed ones; each round times every probe
    once, in order, so a busy moment of the machine weighs on every case (and the floors)
    alike rather than on whichever case ran then. A probe that fails drops out."""
    live = list(probes)
    for i in range(warmup + requests_n):
        for probe in list(live):
            ms, problem = timed(partial(probe.call, i))
            if problem:
                probe.result.failures.append(f"{problem} on request {i + 1}")
                live.remove(probe)
            elif i >= warmup:
                probe.samples.append(ms)
        if i >= warmup and (i - warmup + 1) % 10 == 0:
            print(f"  round {i - warmup + 1} of {requests_n}", flush=True)
    for probe in probes:
        probe.result.samples_ms = probe.samples or [0.0]


# --- the CSV and the worker's memory ---------------------------------------------------------


def worker_pids(master: int) -> list[int]:
    try:
        text = Path(f"/proc/{master}/task/{master}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def status_kb(pid: int, name: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


@contextmanager
def peak_growth(pids: list[int]) -> Iterator[dict[str, float]]:
    """The most any of ``pids`` grew (MB) while the block ran: each one's peak (VmHWM, reset
    through /proc/PID/clear_refs) and, where that cannot be reset, its resident size sampled
    every 10 ms, minus its resident size before."""
    before = {pid: status_kb(pid, "VmRSS") or 0 for pid in pids}
    resettable = set()
    for pid in pids:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
            resettable.add(pid)
        except OSError:
            pass
    peak = dict(before)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.01):
            for pid in pids:
                peak[pid] = max(peak[pid], status_kb(pid, "VmRSS") or 0)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out: dict[str, float] = {}
    try:
        yield out
    finally:
        done.set()
        sampler.join()
        for pid in resettable:
            peak[pid] = max(peak[pid], status_kb(pid, "VmHWM") or 0)
        growth = [peak[pid] - before[pid] for pid in pids]
        out["growth_mb"] = max(growth, default=0) / 1024


def measure_csv(client: Client, master: int, runs: int, incidents: int) -> Result:
    """The whole register as CSV: time to its last byte, and how much the worker that streamed
    it grew. A response cut short (gunicorn kills a worker silent for longer than its timeout,
    30 s by default) is an error, and the time until it broke is what is recorded."""
    samples: list[float] = []
    growths: list[float] = []
    failures: list[str] = []
    rows = size = 0
    for _ in range(runs):
        size = rows = 0
        with peak_growth(worker_pids(master)) as memory:
            started = time.perf_counter()
            try:
                with client.session.get(client.url("/incidents/export.csv"), stream=True) as answer:
                    if answer.status_code != 200:
                        failures.append(f"HTTP {answer.status_code}")
                    else:
                        for chunk in answer.iter_content(64 * 1024):
                            size += len(chunk)
                            rows += chunk.count(b"\n")
            except requests.RequestException as exc:
                failures.append(f"HTTP response cut off after {rows:,} lines: {exc}")
            elapsed = (time.perf_counter() - started) * 1000
        growths.append(memory["growth_mb"])
        samples.append(elapsed)
        if not failures and rows <= incidents:  # a header line and one line an incident
            failures.append(f"HTTP response cut off after {rows:,} lines")
        if failures:
            failures[-1] += f" ({elapsed / 1000:.1f} s)"
            break
    result = Result(
        "csv.cpo",
        "the whole register as CSV, to the last byte",
        ROLES["cpo"],
        samples,
        CSV_BUDGET,
        rss_growth_mb=max(growths) if growths else None,
        note=f"{rows:,} lines, {size / 1e6:.1f} MB",
    )
    result.failures = failures
    return result


# --- the quarterly report --------------------------------------------------------------------


def measure_report(quarter: str, incidents: int, runs: int) -> tuple[Result, int]:
    """The fullest quarter's report, made by the job the worker runs (in this process)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from pypdf import PdfReader

    from reporting import jobs
    from reporting.models import QuarterlyReport

    # WeasyPrint logs each page it lays out at INFO (production's level): not in the table's way.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)

    samples: list[float] = []
    pages = queries = 0
    failures: list[str] = []
    for _ in range(runs):
        report = QuarterlyReport.objects.create(quarter=quarter)
        try:
            with CaptureQueriesContext(connection) as captured:
                ms, done = timed(partial(jobs.generate, report.pk))
        except Exception as exc:  # reported as the case's error
            failures.append(f"the report job failed: {type(exc).__name__}: {exc}")
            break
        queries = len(captured)
        report.refresh_from_db()
        if not done or report.status != QuarterlyReport.Status.DONE:
            failures.append(f"the report job failed: {report.last_error}")
            break
        samples.append(ms)
        with report.file.open("rb") as handle:
            reader = PdfReader(handle)
            pages = len(reader.pages)
            second = reader.pages[1].extract_text() if pages > 1 else ""
        # The Summary's heading is among the first lines of page 2 (after the running head).
        if not any("Summary" in line for line in second.splitlines()[:8]):
            failures.append("page 2 is not the Summary")
    result = Result(
        "report.fullest",
        f"quarterly report, {quarter} ({incidents:,} incidents)",
        "job",
        samples or [0.0],
        REPORT_BUDGET,
        pages=pages,
    )
    result.failures = failures
    return result, queries


# --- query counts (in this process) ----------------------------------------------------------


def count_queries(
    cases: list[Case], tokens: dict[str, str]
) -> tuple[dict[str, int], dict[str, str]]:
    """Each case's queries for one request, through Django's test client against the same
    database; and, for lists, whether 100 rows a page costs more queries than 25."""
    from django.db import connection
    from django.test import Client as TestClient
    from django.test import override_settings
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    clients: dict[str, TestClient] = {}
    for role in ROLES:
        client = TestClient()
        client.force_login(User.objects.get(username=role))
        clients[role] = client
    counts: dict[str, int] = {}
    problems: dict[str, str] = {}

    def once(case: Case, n: int) -> int:
        client = clients[case.role]
        headers = {"Authorization": f"Token {tokens[case.role]}"} if case.api else {}
        if case.create == "page":
            form = client.get(case.path)
            defaults = form_fields(form.content.decode(), "summary")
        with CaptureQueriesContext(connection) as captured:
            if case.create == "api":
                response = client.post(
                    case.path, new_api_report(n), content_type="application/json", headers=headers
                )
            elif case.create == "page":
                response = client.post(case.path, new_report(defaults, n))
            else:
                response = client.get(case.path, headers=headers)
                if hasattr(response, "streaming_content"):
                    for _ in response.streaming_content:
                        pass
        if response.status_code != case.expect:
            problems[case.key] = f"in-process HTTP {response.status_code}"
        return len(captured)

    for n, case in enumerate(cases):
        try:
            once(case, 10_000 + n)  # warm: caches, sessions
            counts[case.key] = once(case, 20_000 + n)
            if not case.page_size_check:
                continue
            with override_settings(REGISTER_PAGE_SIZE=100):
                at_100 = once(case, 30_000 + n)
        except Exception as exc:  # reported as the case's error
            problems[case.key] = f"in-process HTTP error: {type(exc).__name__}: {exc}"
            continue
            if at_100 != counts[case.key]:
                problems[case.key] = (
                    f"queries grow with the page size: {counts[case.key]} at 25 rows, "
                    f"{at_100} at 100"
                )
    return counts, problems


# --- run -------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_kb = 0
    with suppress(OSError, ValueError, IndexError):
        memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]

    def git(*args: str) -> str:
        try:
            return subprocess.run(  # noqa: S603
                ["git", *args],  # noqa: S607  (git from PATH, for the commit's name only)
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": postgres,
        "gunicorn_workers": env_int("BENCH_WORKERS", 2),
        "commit": git("rev-parse", "--short", "HEAD"),
        "working_tree_changed": bool(git("status", "--porcelain")),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def cmd_run(base: str, master: int, out: Path) -> int:
    setup_django()
    import psycopg

    from accounts.models import ApiToken, User

    started = time.time()
    requests_n = env_int("BENCH_REQUESTS", 100)
    warmup = env_int("BENCH_WARMUP", 3)
    only = re.compile(os.environ.get("BENCH_CASES", "") or ".*")
    info = machine()
    if info["load_average_at_start"][0] > (os.cpu_count() or 1):
        print(
            f"Warning: the machine is busy (load {info['load_average_at_start'][0]:.1f} on "
            f"{os.cpu_count()} cores): timings will be slower and noisier than on a quiet one."
        )
    fx = find_fixtures()
    print(
        f"{fx.incidents:,} incidents; fullest quarter {fx.fullest_quarter} "
        f"({fx.fullest_count:,}); {requests_n} requests a case after {warmup} untimed"
    )

    clients: dict[str, Client] = {}
    tokens: dict[str, str] = {}
    for role in ROLES:
        client = Client(base, role)
        client.sign_in(role)
        user = User.objects.get(username=role)
        _, client.token = ApiToken.objects.create(
            user=user, expiry=timedelta(hours=12), name="make bench"
        )
        tokens[role] = client.token
        clients[role] = client

    # The floor's SQL goes over a connection of its own, to the database the server uses.
    conninfo = os.environ["DATABASE_URL"]
    cases = [c for c in build_cases(fx) if only.search(c.key)]
    with psycopg.connect(conninfo, autocommit=True) as conn, conn.cursor() as cursor:
        floor_list = floor_probes(base, cursor)
        case_list = [case_probe(clients[c.role], c) for c in cases]
        measure_rounds(floor_list + case_list, requests_n, warmup)
    floors = [p.result for p in floor_list]
    results = [p.result for p in case_list]
    floor_ms = sum(f.p95 for f in floors)
    print(
        f"floor: sign-in p95 {floors[0].p95:.1f} ms + SQL p95 {floors[1].p95:.1f} ms "
        f"= {floor_ms:.1f} ms"
    )
    for result in results:
        verdict(result, floor_ms)
        print(
            f"  {result.key:34} p50 {result.p50:8.1f}  p95 {result.p95:8.1f} ms  "
            f"{result.x_floor(floor_ms):5.1f}×  {'met' if result.met else 'NOT MET'}",
            flush=True,
        )
    if only.search("csv.cpo"):
        result = measure_csv(clients["cpo"], master, env_int("BENCH_CSV_REQUESTS", 3), fx.incidents)
        verdict(result, floor_ms)
        results.append(result)
        print(
            f"  csv.cpo  p95 {result.p95:.0f} ms, +{result.rss_growth_mb or 0:.0f} MB, "
            f"{result.note}",
            flush=True,
        )
    report_queries: int | None = None
    if only.search("report.fullest"):
        result, report_queries = measure_report(
            fx.fullest_quarter, fx.fullest_count, env_int("BENCH_REPORT_RUNS", 1)
        )
        verdict(result, floor_ms)
        results.append(result)
        print(f"  report.fullest  {result.p95:.0f} ms, {result.pages} pages", flush=True)

    counts, problems = count_queries(cases, tokens)
    if report_queries is not None:
        counts["report.fullest"] = report_queries
    for result in results:
        result.queries = counts.get(result.key)
        if result.key in problems:
            result.failures.append(problems[result.key])
            verdict(result, floor_ms)

    pins: dict[str, int] = json.loads(PINS.read_text()) if PINS.exists() else {}
    check = check_pins(counts, pins)
    print()
    print(format_table(results, floors, pins))
    print()
    missed = [r for r in results if not r.met]
    # Errors, not budgets: a request answered wrongly, a report job that failed.
    errors = [f"{r.key}: {f}" for r in results for f in r.failures if f.startswith(ERROR_MARKS)]
    for key, (pinned, now) in check.grown.items():
        print(f"QUERIES GREW: {key}: {now} queries, pinned at {pinned}")
    for key, (pinned, now) in check.shrunk.items():
        print(f"fewer queries: {key}: {now}, pinned at {pinned} (BENCH_UPDATE_PINS=1 lowers it)")
    update = env_flag("BENCH_UPDATE_PINS")
    if update or check.new:
        # A case never pinned is pinned at its first count; others only when asked.
        pins = {**pins, **(counts if update else check.new)}
        PINS.write_text(json.dumps(dict(sorted(pins.items())), indent=2) + "\n")
        print(
            f"Pinned query counts written to {PINS.relative_to(ROOT)}: "
            f"{', '.join(sorted(counts if update else check.new))}"
        )
    duration = time.time() - started
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
                "run_seconds": round(duration, 1),
                "prepare": {
                    "how": os.environ.get("BENCH_PREPARED", ""),
                    "seconds": float(os.environ.get("BENCH_PREPARE_SECONDS", "0") or 0),
                },
                "machine": {
                    **info,
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                },
                "requests_per_case": requests_n,
                "warmup": warmup,
                "incidents": fx.incidents,
                "fullest_quarter": {"quarter": fx.fullest_quarter, "incidents": fx.fullest_count},
                "floors": [as_json(f, floor_ms) for f in floors],
                "floor_ms": round(floor_ms, 2),
                "cases": [as_json(r, floor_ms) for r in results],
                "pins": {"grown": check.grown, "shrunk": check.shrunk, "new": check.new},
                "budgets_missed": [r.key for r in missed],
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    met = len(results) - len(missed)
    print(
        f"{met} of {len(results)} cases within budget; run took {duration / 60:.1f} min; "
        f"results in {out}"
    )
    for r in missed:
        print(f"  NOT MET {r.key}: {'; '.join(r.missed)}")
    for error in errors:
        print(f"ERROR {error}")
    if (check.failed and not update) or errors:
        return 1
    if missed and env_flag("BENCH_STRICT"):
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="fill the database with the benchmark volume")
    gen.add_argument("--incidents", type=int, default=100_000)
    commands.add_parser("analyze", help="VACUUM ANALYZE (after a restore)")
    run = commands.add_parser("run", help="measure a served register")
    run.add_argument("--url", required=True, help="where gunicorn serves, http://127.0.0.1:PORT")
    run.add_argument("--gunicorn-pid", type=int, required=True, help="the gunicorn master's pid")
    run.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if args.command == "generate":
        return cmd_generate(args.incidents)
    if args.command == "analyze":
        return cmd_analyze()
    return cmd_run(args.url.rstrip("/"), args.gunicorn_pid, args.out)


if __name__ == "__main__":
    sys.exit(main())
