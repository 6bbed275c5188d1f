"""Reporting-culture figures and notices sent late, against data worked out by hand (issues 16
and 17): how reports were made (named, confidential, anonymous), how incidents came to light,
days from occurrence to report, the under-reporting rule's control limit, and the notices to
affected people sent after their due date. The worked example is in docs/reporting.md."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from accounts.models import BusinessUnit, User
from breaches.models import Incident, IndividualNotice
from reporting import jobs
from reporting.figures import Quarter, lower_limit, min_reports, quarter_figures
from reporting.models import QuarterlyReport
from reporting.sentences import limit_status, percent
from reporting.summary import Kind, key_messages
from tests.factories import BusinessUnitFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db
NZ = ZoneInfo("Pacific/Auckland")
B, N = Incident.Kind.BREACH, Incident.Kind.NEAR_MISS
Q3 = Quarter(2026, 3)


def at(y: int, m: int, d: int, h: int = 12) -> datetime:
    return datetime(y, m, d, h, tzinfo=NZ)


# 2026 Q3 has ended: a complete quarter, compared with the whole of 2026 Q2.
NOW = at(2026, 10, 5)


class Data:
    units: dict[str, BusinessUnit]
    staff: User
    y_breach: Incident


def make(unit: BusinessUnit, staff: User, kind: str, count: int, day: datetime,
         **kw: object) -> list[Incident]:  # fmt: skip
    """``count`` reports in ``unit`` a minute apart from ``day`` (built by the factory, saved
    in one statement)."""
    return Incident.objects.bulk_create(
        IncidentFactory.build(
            reporter=staff,
            business_unit=unit,
            unit_name=unit.name,
            kind=kind,
            reported_at=day + timedelta(minutes=i),
            aware_at=day - timedelta(hours=1),
            **kw,
        )
        for i in range(count)
    )


@pytest.fixture
def data(db: None) -> Data:
    return build_data()


def build_data() -> Data:
    """2026 Q3, by hand (every report unrestricted unless said):

    | unit | near misses | breaches | p | n |
    | X    | 1           | 19       | 0.05 | 20 |
    | Y    | 39          | 36       | 0.52 | 75 |
    | Z    | 0           | 5        | 0    | 5  |
    | all  | 40          | 60       | p̄ = 0.40 | 100 |

    plus one restricted near miss in X (counted in the headline figures, not in the unit rows).
    2026 Q1: X 0 near misses / 20 breaches, Y 20 / 20 (p̄ = 1/3). 2026 Q2: Y 2 / 2.
    """
    d = Data()
    d.units = {name: BusinessUnitFactory(name=name, code=name.lower()) for name in "XYZ"}
    x, y, z = d.units["X"], d.units["Y"], d.units["Z"]
    staff = d.staff = UserFactory(business_unit=y)
    day = at(2026, 8, 3)
    # X: occurrence known for four reports: 1, 2, 4 and 10 days before the report.
    x_breaches = make(x, staff, B, 19, day)
    for report, days in zip(x_breaches, [1, 2, 4, 10], strict=False):
        Incident.objects.filter(pk=report.pk).update(
            occurred_at=report.reported_at - timedelta(days=days),
            occurred_precision=Incident.OccurredPrecision.APPROXIMATE,
        )
    make(x, staff, N, 1, day)
    make(x, staff, N, 1, day, is_restricted=True)
    # Y: ten confidential, three anonymous; discovered by four ways; two occurrences known
    # (half a day and 3 days); one dated after its report (a mistake: not known).
    y_near = make(y, staff, N, 39, day + timedelta(days=1))
    y_breaches = make(y, staff, B, 36, day + timedelta(days=2))
    d.y_breach = y_breaches[0]
    ids = [i.pk for i in y_near + y_breaches]
    Incident.objects.filter(pk__in=ids[:10]).update(reporting=Incident.Reporting.CONFIDENTIAL)
    Incident.objects.filter(pk__in=ids[10:13]).update(reporting=Incident.Reporting.ANONYMOUS)
    for value, chosen in [
        (Incident.Discovery.SELF_REPORTED, ids[20:24]),
        (Incident.Discovery.COLLEAGUE, ids[24:27]),
        (Incident.Discovery.CLIENT_OR_PUBLIC, ids[27:29]),
        (Incident.Discovery.AUDIT, ids[29:30]),
    ]:
        Incident.objects.filter(pk__in=chosen).update(discovered_by=value)
    for report, delay in zip(y_breaches[30:33], [0.5, 3, -1], strict=True):
        Incident.objects.filter(pk=report.pk).update(
            occurred_at=report.reported_at - timedelta(days=delay)
        )
    make(z, staff, B, 5, day)
    # 2026 Q1: X below its limit then too; 2026 Q2: Y only, one anonymous, one known 7 days.
    make(x, staff, B, 20, at(2026, 2, 10))
    make(y, staff, N, 20, at(2026, 2, 11))
    make(y, staff, B, 20, at(2026, 2, 12))
    q2 = make(y, staff, N, 2, at(2026, 5, 10)) + make(y, staff, B, 2, at(2026, 5, 11))
    Incident.objects.filter(pk=q2[0].pk).update(
        reporting=Incident.Reporting.ANONYMOUS, occurred_at=q2[0].reported_at - timedelta(days=7)
    )
    return d


def notice(d: Data, *, created: datetime, due: datetime | None, sent: datetime | None = None,
           outcome: str = IndividualNotice.Outcome.PLANNED,
           outcome_at: datetime | None = None) -> IndividualNotice:  # fmt: skip
    return IndividualNotice.objects.create(
        incident=d.y_breach, is_public=True, public_reason="Address unknown.",
        created_by=d.staff, created_at=created, due_at=due, sent_at=sent,
        outcome=IndividualNotice.Outcome.SENT if sent and outcome == "planned" else outcome,
        outcome_at=outcome_at,
    )  # fmt: skip


def test_the_worked_example_of_the_control_limit(data: Data) -> None:
    """docs/reporting.md: agency 40 near misses / 60 breaches, unit X 1 / 19."""
    assert round(lower_limit(0.40, 20), 4) == 0.0714
    assert lower_limit(0.40, 20) == pytest.approx(0.40 - 3 * math.sqrt(0.24 / 20))
    # The fewest reports for a limit above 0 at p̄ = 0.4: n > 9 · 0.6 / 0.4 = 13.5.
    assert min_reports(0.40) == 14 and lower_limit(0.40, 13) < 0 < lower_limit(0.40, 14)
    assert min_reports(1 / 3) == 19 and min_reports(0.5) == 10
    assert min_reports(0) is None and min_reports(None) is None

    f = quarter_figures(Incident.objects.for_agency_report(), Q3, scope="agency", now=NOW)
    q3, q2, q1, q4 = f.control
    assert (q3.quarter, q3.near_misses, q3.reports, q3.share, q3.min_reports) == (
        "2026 Q3", 40, 100, 0.4, 14,
    )  # fmt: skip
    assert (q2.quarter, q2.near_misses, q2.reports, q2.share, q2.min_reports) == (
        "2026 Q2", 2, 4, 0.5, 10,
    )  # fmt: skip
    assert (q1.quarter, q1.near_misses, q1.reports, q1.share, q1.min_reports) == (
        "2026 Q1", 20, 60, 0.3333, 19,
    )  # fmt: skip
    assert (q4.quarter, q4.reports, q4.share, q4.min_reports) == ("2025 Q4", 0, None, None)

    units = {u.unit: u for u in f.units}
    assert list(units) == ["Y", "X", "Z"]  # most breaches first
    x = units["X"]
    # The restricted near miss is not in X's row (SPEC §3).
    assert (x.breaches, x.near_misses, x.reports) == (19, 1, 20)
    assert (x.near_miss_share, x.lower_limit, x.below_limit) == (0.05, 0.0714, True)
    # Q1: p̄ = 1/3, X 0 of 20: limit 1/3 − 3·√((1/3)(2/3)/20) = 0.0171, and 0 is below it.
    assert x.quarters_below == ["2026 Q3", "2026 Q1"] and x.possible_under_reporting
    assert x.limit_status == (
        "Possible under-reporting: near misses were 5 % of its 20 reports, against a lower "
        "limit of 7.1 % (the agency's share: 40 %); below its limit in 2026 Q1 too."
    )
    y = units["Y"]
    # 39 of 75 = 0.52, limit 0.4 − 3·√(0.24/75) = 0.2303: well above.
    assert (y.near_miss_share, y.lower_limit, y.below_limit) == (0.52, 0.2303, False)
    assert not y.possible_under_reporting and y.limit_status == ""
    z = units["Z"]
    # 5 reports, no near misses: no limit above 0 (it needs 14), so never flagged.
    assert (z.near_miss_share, z.lower_limit, z.possible_under_reporting) == (0.0, None, False)
    assert z.limit_status == (
        "No limit: too few reports (5; a limit needs at least 14 at the agency's near-miss "
        "share of 40 %)."
    )
    # The old rule (breaches but no near misses) would have flagged Z and not X.


def test_below_the_limit_once_is_not_persistent(data: Data) -> None:
    Incident.objects.filter(reported_at__lt=at(2026, 4, 1)).delete()
    f = quarter_figures(Incident.objects.for_agency_report(), Q3, scope="agency", now=NOW)
    x = next(u for u in f.units if u.unit == "X")
    assert x.below_limit and x.quarters_below == ["2026 Q3"]
    assert not x.possible_under_reporting
    assert x.limit_status.startswith("Below its limit this quarter only: near misses were 5 %")
    message = next(m for m in key_messages(f) if m.topic == "Possible under-reporting")
    assert (message.kind, message.flagged) == (Kind.NONE_UNDER_REPORTING, False)


def test_reporting_culture_worked_by_hand(data: Data) -> None:
    f = quarter_figures(Incident.objects.for_agency_report(), Q3, scope="agency", now=NOW)
    c, p = f.current, f.previous
    # 101 reports in Q3 (the restricted near miss counted: agency-wide figures single no one out).
    assert c.reports == 101 and (c.confidential, c.anonymous) == (10, 3)
    assert (c.confidential_pct, c.anonymous_pct) == (9.9, 3.0)
    assert dict(c.discovered) == {
        "Self-reported by whoever made the mistake": 4,
        "Noticed by a colleague": 3,
        "Told by a client or the public": 2,
        "Found by an audit or check": 1,
        "A system alert": 0,
        "Not said": 91,
    }
    # Days from occurrence to report, known for 6 (X: 1, 2, 4, 10; Y: 0.5, 3; the one dated
    # after its report is not known): sorted 0.5 1 2 3 4 10 → median (2 + 3) / 2 = 2.5; the
    # 90th percentile is the ⌈0.9 · 6⌉ = 6th: 10.
    assert (c.days_to_report_known, c.days_to_report_unknown) == (6, 95)
    assert (c.median_days_to_report, c.p90_days_to_report) == (2.5, 10.0)
    units = {u.unit: u for u in f.units}
    # X: 1, 2, 4, 10 → (2 + 4) / 2 = 3; Y: 0.5, 3 → 1.75, shown to one decimal.
    assert (units["X"].median_days_to_report, units["X"].days_to_report_known) == (3.0, 4)
    assert (units["Y"].median_days_to_report, units["Y"].days_to_report_known) == (1.8, 2)
    assert (units["Z"].median_days_to_report, units["Z"].days_to_report_known) == (None, 0)
    # 2026 Q2 beside it: 4 reports, one anonymous, known for one (7 days).
    assert (p.reports, p.confidential, p.anonymous, p.anonymous_pct) == (4, 0, 1, 25.0)
    assert (p.days_to_report_known, p.median_days_to_report, p.p90_days_to_report) == (1, 7.0, 7.0)
    assert dict(p.discovered)["Not said"] == 4


def test_notices_sent_late_worked_by_hand(data: Data) -> None:
    # 2026 Q3 (1 Jul – 30 Sep), as at its end:
    notice(data, created=at(2026, 7, 1), due=at(2026, 7, 10), sent=at(2026, 7, 9))  # on time
    notice(data, created=at(2026, 7, 1), due=at(2026, 8, 10), sent=at(2026, 8, 12))  # late
    notice(data, created=at(2026, 7, 1), due=at(2026, 9, 1))  # not sent: overdue at the end
    notice(data, created=at(2026, 7, 1), due=at(2026, 9, 1),
           outcome=IndividualNotice.Outcome.WITHHELD, outcome_at=at(2026, 9, 5))  # fmt: skip
    # Sent on 2 October, after its due date: overdue at Q3's end, late in Q4.
    notice(data, created=at(2026, 7, 1), due=at(2026, 9, 20), sent=at(2026, 10, 2))
    # Recorded in October with an earlier due date: not in Q3's figures (they do not move).
    notice(data, created=at(2026, 10, 3), due=at(2026, 9, 1))
    # 2026 Q2: one sent late; one withheld after Q2 ended, so overdue at Q2's end.
    notice(data, created=at(2026, 5, 1), due=at(2026, 6, 1), sent=at(2026, 6, 3))
    notice(data, created=at(2026, 5, 1), due=at(2026, 6, 10),
           outcome=IndividualNotice.Outcome.WITHHELD, outcome_at=at(2026, 7, 2))  # fmt: skip
    f = quarter_figures(Incident.objects.for_agency_report(), Q3, scope="agency", now=NOW)
    c, p = f.current, f.previous
    assert (c.notices_sent, c.notices_late, c.notices_overdue) == (2, 1, 2)
    assert (p.notices_sent, p.notices_late, p.notices_overdue) == (1, 1, 1)
    message = next(m for m in key_messages(f) if m.topic == "Notices to affected people")
    assert message.flagged and message.kind == Kind.NOTICES_LATE
    assert message.text == (
        "1 of 2 notices to affected people sent in 2026 Q3 was sent after its due date, and 2 "
        "were past their due date and not sent at the quarter's end (2026 Q2: 1 of 1 late, 1 "
        "not sent)."
    )
    # Q4 to date (read on 5 October): the notice sent on 2 October was late.
    q4 = quarter_figures(Incident.objects.all(), Quarter(2026, 4), scope="agency", now=NOW)
    assert (q4.current.notices_sent, q4.current.notices_late) == (1, 1)


def test_no_notice_message_when_none_was_late(data: Data) -> None:
    notice(data, created=at(2026, 7, 1), due=at(2026, 7, 10), sent=at(2026, 7, 9))
    f = quarter_figures(Incident.objects.for_agency_report(), Q3, scope="agency", now=NOW)
    assert (f.current.notices_sent, f.current.notices_late) == (1, 0)
    assert "Notices to affected people" not in [m.topic for m in key_messages(f)]


def test_the_summary_names_units_flagged_by_the_control_limit(data: Data) -> None:
    f = quarter_figures(Incident.objects.for_agency_report(), Q3, scope="agency", now=NOW)
    message = next(m for m in key_messages(f) if m.topic == "Possible under-reporting")
    assert message.flagged and message.kind == Kind.UNDER_REPORTING
    assert message.text == (
        "1 unit's share of near misses was below its control limit in 2026 Q3 and in an "
        "earlier quarter, which may mean near misses go unreported: X (5 % of 20 reports, "
        "limit 7.1 %). The agency's share was 40 %."
    )
    culture = next(m for m in key_messages(f) if m.topic == "Reporting culture")
    assert culture.text == (
        "9.9 % of reports were confidential and 3 % anonymous (2026 Q2: 0 % and 25 %). The "
        "median time from occurrence to report was 2.5 days where the occurrence is known "
        "(6 of 101 reports)."
    )


def test_reproducible_and_the_queries_it_costs(data: Data) -> None:
    """Regenerating a past quarter gives the same figures; the culture figures and the notices
    add three queries to a quarter's figures (the notices, two medians of days to report)."""
    notice(data, created=at(2026, 7, 1), due=at(2026, 8, 10), sent=at(2026, 8, 12))
    first = quarter_figures(Incident.objects.all(), Q3, scope="agency", now=NOW).to_dict()
    make(data.units["X"], data.staff, N, 5, at(2026, 10, 20))
    notice(data, created=at(2026, 10, 21), due=at(2026, 9, 1), sent=at(2026, 10, 22))
    with CaptureQueriesContext(connection) as queries:
        again = quarter_figures(Incident.objects.all(), Q3, scope="agency", now=at(2026, 11, 30))
    assert again.to_dict() == first
    # Thirteen before these figures (trend, actions ×2, headline ×2 with the target in force
    # ×2, units, causes, types, recurring, the notifiable list and its count; no breach was
    # notified or contained, so no median is read), and the three added: the medians of days
    # to report (agency, both periods; units) and the notices.
    assert len(queries) == 16, "\n".join(q["sql"][:120] for q in queries.captured_queries)


def test_words_of_the_limit() -> None:
    assert percent(0.0714) == "7.1 %" and percent(0.4) == "40 %" and percent(None) == "—"
    common = {"share": 0.0, "reports": 5, "agency": 0.0, "quarters_below": [], "flagged": False}
    assert limit_status(limit=None, needed=None, **common) == (
        "No limit: no near misses were reported in the agency this quarter."
    )


# --- shown on the dashboard and in the PDF -------------------------------------------------


def test_the_dashboard_shows_the_culture_figures_and_the_flag(data: Data) -> None:
    notice(data, created=at(2026, 7, 1), due=at(2026, 8, 10), sent=at(2026, 8, 12))
    notice(data, created=at(2026, 7, 1), due=at(2026, 7, 10), sent=at(2026, 7, 9))
    client = Client()
    client.force_login(UserFactory(role=User.Role.EXECUTIVE, business_unit=data.units["Y"]))
    response = client.get("/reports/dashboard/", {"quarter": "2026Q3"})
    assert response.status_code == 200
    body = response.content.decode()
    assert '<h2 id="culture-heading">Reporting culture</h2>' in body
    assert "<td>10 (9.9 %)</td>" in body and "<td>3 (3.0 %)</td>" in body  # beside 2026 Q2
    assert "How incidents came to light, 2026 Q3</title>" in body
    assert '<th scope="row">Noticed by a colleague</th><td>3</td><td>0</td>' in body
    assert '<th scope="row">Median</th><td>2.5</td><td>7.0</td>' in body
    # The notices card, with 2026 Q2 beside it.
    assert 'id="notices-late"><h2>Notices to people sent late</h2><p class="figure">1 of 2' in body
    # X is flagged, with the figures behind the flag; Z has no limit; the note gives p̄.
    assert 'X <span class="badge badge-overdue">Possible under-reporting</span>' in body
    assert (
        "lower limit of 7.1 % (the agency&#x27;s share: 40 %); below its limit in 2026 Q1" in body
    )
    assert "<td>5 %</td><td>7.1 %</td>" in body and "<td>0 %</td><td>none</td>" in body
    assert "the agency's share, 40 % (40 of 100 reports)" in body
    assert "fewer than 14 reports has no limit above 0" in body
    summary = [m.topic for m in response.context["summary"]]
    assert "Notices to affected people" in summary and "Reporting culture" in summary


@pytest.fixture
def private_storage(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "config.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }


def test_the_pdf_has_the_reporting_culture_section(data: Data, private_storage: None) -> None:
    notice(data, created=at(2026, 7, 1), due=at(2026, 8, 10), sent=at(2026, 8, 12))
    report = QuarterlyReport.objects.create(quarter="2026Q3")
    jobs.generate(report.pk)
    report.refresh_from_db()
    assert report.status == QuarterlyReport.Status.DONE, report.last_error
    with report.file.open("rb") as handle:
        pages = [re.sub(r"\s+", " ", p.extract_text()) for p in PdfReader(handle).pages]
    text = " ".join(pages)
    # Page 2, the Summary: the unit flagged by the control limit, the late notice.
    assert "Possible under-reporting — Needs attention. 1 unit's share of near misses" in pages[1]
    assert "Notices to affected people — Needs attention. 1 of 1 notice" in pages[1]
    assert "Reporting culture. 9.9 % of reports were confidential" in pages[1]
    # The headline figures: notices beside 2026 Q2.
    assert "Notices to affected people sent 1 0" in text
    assert "… of them sent after their due date 1 0" in text
    # Section 3: the flag with the figures behind it, and the agency's share.
    assert "X — possible under-reporting" in text
    assert "near misses were 5 % of its 20 reports, against a lower limit of 7.1 %" in text
    assert "The limit is the agency's share, 40 % (40 of 100 reports)" in text
    # Section 7.
    assert "7. Reporting culture" in text
    assert (
        "Reported confidentially (only the chief privacy officer sees who) 10 (9.9 %) 0 (0.0 %)"
        in text
    )
    assert "Median days from occurrence to report 2.5 7.0" in text
    assert "How incidents came to light, 2026 Q3" in text
    assert len(pages) <= 16
