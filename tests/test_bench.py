"""The benchmark's own logic, with made-up timings: percentiles, budgets, the table, the pins,
the interleaved rounds and the cases it measures. Not a run of the benchmark (that is
``make bench``, docs/performance.md)."""

from __future__ import annotations

import pytest

from bench.bench import (
    DEEP_PAGE,
    ROLES,
    SORTS,
    Fixtures,
    Probe,
    build_cases,
    form_fields,
    measure_rounds,
    new_report,
)
from bench.stats import (
    Budget,
    Result,
    as_json,
    check_pins,
    format_table,
    percentile,
    verdict,
)
from breaches.register.filters import ORDERING


def result(samples: list[float], budget: Budget, **extra: object) -> Result:
    return Result("case.key", "a case", "CPO", samples, budget, **extra)  # type: ignore[arg-type]


def test_percentile_is_the_nearest_rank() -> None:
    samples = [float(n) for n in range(100, 0, -1)]  # 100 … 1, unsorted on purpose
    assert percentile(samples, 95) == 95.0
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 100) == 100.0
    assert percentile([7.0], 95) == 7.0
    # Twenty samples: p95 is the 19th fastest, a time one request took (no interpolation).
    assert percentile([float(n) for n in range(1, 21)], 95) == 19.0
    assert percentile([1.0, 2.0, 3.0], 50) == 2.0
    with pytest.raises(ValueError):
        percentile([], 95)
    with pytest.raises(ValueError):
        percentile([1.0], 0)


def test_a_case_is_judged_by_its_p95_as_a_multiple_of_the_floor() -> None:
    # 94 fast requests and 6 slow ones: p95 is slow.
    slow_tail = [10.0] * 94 + [50.0] * 6
    within = result([10.0] * 100, Budget(x_floor=4))
    beyond = result(slow_tail, Budget(x_floor=4))
    assert verdict(within, floor_ms=5.0) == [] and within.met
    assert verdict(beyond, floor_ms=5.0) == ["p95 10.00× floor > 4×"]
    assert not beyond.met
    assert beyond.x_floor(5.0) == 10.0
    # Exactly at the multiple is within it.
    assert verdict(result([20.0] * 100, Budget(x_floor=4)), floor_ms=5.0) == []


def test_absolute_budgets_pages_and_memory() -> None:
    csv = result([4000.0, 4900.0, 6000.0], Budget(max_ms=5000, max_rss_mb=64), rss_growth_mb=80.0)
    assert verdict(csv, floor_ms=5.0) == [
        "p95 6000 ms ≥ 5000 ms",
        "memory grew 80 MB > 64 MB",
    ]
    unmeasured = result([100.0], Budget(max_rss_mb=64))
    assert verdict(unmeasured, floor_ms=5.0) == ["memory grew unmeasured > 64 MB"]
    report = result([4200.0], Budget(max_ms=5000, max_pages=16), pages=116)
    assert verdict(report, floor_ms=5.0) == ["116 pages > 16"]
    report.pages = 16
    assert verdict(report, floor_ms=5.0) == []
    # Something found while measuring counts against the case too.
    report.failures = ["page 2 is not the Summary"]
    assert verdict(report, floor_ms=5.0) == ["page 2 is not the Summary"]


def test_budgets_describe_themselves() -> None:
    assert Budget(x_floor=4).describe() == "≤ 4×"
    assert Budget(max_ms=5000, max_pages=16).describe() == "< 5 s, ≤ 16 pages"
    assert Budget(max_ms=250).describe() == "< 250 ms"
    assert Budget(max_ms=5000, max_rss_mb=64).describe() == "< 5 s, +≤ 64 MB"
    assert Budget().describe() == "—"


def test_the_table_shows_floors_multiples_budgets_pins_and_verdicts() -> None:
    floors = [
        Result("floor.sign-in", "sign-in", "anonymous", [2.0] * 99 + [2.3]),
        Result("floor.sql", "bare SQL", "psycopg", [3.0] * 95 + [3.4] * 5),
    ]
    floor_ms = sum(f.p95 for f in floors)
    assert floor_ms == pytest.approx(5.0)
    fast = Result("register.cpo", "register", "CPO", [15.0] * 100, Budget(x_floor=4), queries=8)
    slow = Result("dashboard.executive", "dashboard", "executive", [188.0] * 100,
                  Budget(x_floor=10), queries=34)  # fmt: skip
    csv = Result("csv.cpo", "CSV", "CPO", [17500.0], Budget(max_ms=5000), rss_growth_mb=4.2)
    for r in (fast, slow, csv):
        verdict(r, floor_ms)
    table = format_table([fast, slow, csv], floors, {"register.cpo": 8, "dashboard.executive": 30})
    lines = table.splitlines()
    assert lines[0].startswith("| case | role | p50 ms | p95 ms | × floor | budget |")
    assert "| floor: sign-in | anonymous | 2.0 | 2.0 |" in table
    assert "| **floor** (sum of the two p95) | | | 5.0 | 1 |" in table
    assert "| register | CPO | 15.0 | 15.0 | 3.0 | ≤ 4× | 8 (8) | met |" in table
    assert "| dashboard | executive | 188 | 188 | 37.6 | ≤ 10× | 34 (30) | **NOT MET** |" in table
    assert "| CSV (+4 MB) | CPO | 17.50 s | 17.50 s | 3500.0 | < 5 s | — | **NOT MET** |" in table


def test_pins_fail_only_when_a_count_grows() -> None:
    check = check_pins({"a": 8, "b": 12, "c": 5}, {"a": 8, "b": 10, "d": 3})
    assert check.grown == {"b": (10, 12)}
    assert check.new == {"c": 5}
    assert check.failed
    fewer = check_pins({"a": 7}, {"a": 8})
    assert fewer.shrunk == {"a": (8, 7)} and not fewer.failed


def test_results_json_has_the_figures_and_the_verdict() -> None:
    r = result([10.0] * 100, Budget(x_floor=4, source="SPEC §8"), queries=8)
    verdict(r, 2.0)
    data = as_json(r, 2.0)
    assert data["p95_ms"] == 10.0 and data["x_floor"] == 5.0 and data["met"] is False
    assert data["n"] == 100 and data["budget"] == {"x_floor": 4, "source": "SPEC §8"}
    assert data["missed"] == ["p95 5.00× floor > 4×"]


def test_rounds_time_every_probe_once_a_round_and_drop_one_that_fails() -> None:
    order: list[str] = []

    def probe(name: str, fail_at: int | None = None) -> Probe:
        def call(i: int) -> str:
            order.append(f"{name}{i}")
            return "HTTP 500 (expected 200)" if i == fail_at else ""

        return Probe(Result(name, name, "CPO", [], Budget()), call)

    a, b = probe("a"), probe("b", fail_at=3)
    measure_rounds([a, b], requests_n=4, warmup=1)
    # Interleaved: a0 b0 a1 b1 ...; b stops at its failure.
    assert order[:6] == ["a0", "b0", "a1", "b1", "a2", "b2"]
    assert len(a.result.samples_ms) == 4  # the warm-up round is not timed
    assert len(b.result.samples_ms) == 2
    assert b.result.failures == ["HTTP 500 (expected 200) on request 4"]


def fixtures() -> Fixtures:
    return Fixtures(
        references=["PBR-2026-00042", "PBR-2026-00043"],
        officer_pages=1200,
        cpo_pages=4000,
        fullest_quarter="2026Q1",
        fullest_count=13183,
        incidents=100_000,
    )


def test_every_sortable_column_is_measured_for_both_officer_roles() -> None:
    assert set(SORTS) == {name for _, name in ORDERING}
    keys = {c.key for c in build_cases(fixtures())}
    for sort in SORTS:
        assert {f"register.sort.{sort}.cpo", f"register.sort.{sort}.officer"} <= keys


def test_the_cases_cover_each_role_that_uses_a_page() -> None:
    cases = {c.key: c for c in build_cases(fixtures())}
    assert len(cases) == len(build_cases(fixtures()))  # keys are unique
    assert {c.role for c in cases.values()} == set(ROLES)
    for key in ["register.cpo", "register.officer", "api.list.cpo", "api.list.officer",
                "incident.cpo", "incident.officer", "incident.reporter", "api.detail.cpo",
                "officer-home.officer", "dashboard.executive", "my-reports.reporter",
                "api.create.reporter", "report-form.reporter"]:  # fmt: skip
        assert key in cases
    assert cases["register.cpo"].budget.x_floor == 4
    assert cases["register.officer"].budget.x_floor == 5
    assert cases["register.search.cpo"].budget.x_floor == 8
    assert cases["dashboard.executive"].budget.x_floor == 10
    assert cases["api.detail.cpo"].budget.x_floor == 4
    # Page 2,000 of the CPO's 4,000; the officer's register has fewer pages than that.
    assert cases[f"register.page{DEEP_PAGE}.cpo"].path == "/incidents/?page=2000"
    assert cases[f"register.page{DEEP_PAGE}.officer"].path == "/incidents/?page=1200"
    assert cases["api.create.reporter"].expect == 201
    assert cases["incident.officer"].paths == (
        "/incidents/PBR-2026-00042/",
        "/incidents/PBR-2026-00043/",
    )


def test_the_report_form_is_sent_with_the_page_s_own_defaults() -> None:
    html = """
    <form method="post" action="/login/"><input name="username"></form>
    <form method="post" enctype="multipart/form-data">
      <input type="hidden" name="csrfmiddlewaretoken" value="tok">
      <input type="radio" name="kind" value="breach"><input type="radio" name="kind" value="near_miss">
      <input name="summary" value="">
      <input name="aware_at" value="2026-11-25T09:30">
      <select name="business_unit"><option value="3">A</option><option value="7" selected>B</option></select>
      <select name="channel"><option value="">Choose one</option><option value="post">Post</option></select>
      <input type="checkbox" name="individuals_affected_is_estimate">
      <input type="checkbox" name="breach_types" value="loss" checked>
      <textarea name="description">kept &amp; typed</textarea>
      <input type="file" name="evidence"><input type="submit" value="Send">
    </form>"""
    fields = form_fields(html, "summary")
    assert fields == {
        "csrfmiddlewaretoken": "tok",
        "summary": "",
        "aware_at": "2026-11-25T09:30",
        "business_unit": "7",
        "channel": "",
        "breach_types": "loss",
        "description": "kept & typed",
    }
    sent = new_report(fields, 3)
    assert sent["kind"] == "breach" and sent["channel"] == "post"
    assert sent["summary"].startswith("Benchmark report 3")
    assert sent["submission_token"] != new_report(fields, 3)["submission_token"]
    assert form_fields(html, "username") == {"username": ""}
