"""The live dashboard: the report's figures, scoped, with no incident content; the last complete
quarter by default, a quarter picker, a labelled "to date" view and targets flagged in words."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from breaches.models import Incident
from reporting import jobs
from reporting.figures import Quarter, quarter_figures
from reporting.models import QuarterlyReport
from tests.conftest import World
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def this_quarter() -> Quarter:
    return Quarter.containing(timezone.localdate())


def text(response) -> str:  # type: ignore[no-untyped-def]
    """The page's words, without tags or runs of white space."""
    body = re.sub(r"<svg\b.*?</svg>", " ", response.content.decode(), flags=re.DOTALL)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))


def test_executives_see_agency_figures_and_no_incident_content(world: World) -> None:
    client = Client()
    client.force_login(world.executive)
    # The world's incidents were reported now: they are in the quarter in progress, which the
    # dashboard shows only when asked for (it opens on the last complete quarter).
    response = client.get("/reports/dashboard/", {"quarter": this_quarter().code})
    assert response.status_code == 200
    assert response.context["figures"].current.breaches == 3  # the restricted one is counted
    body = response.content.decode()
    for secret in ["Incident A", "Incident B", "Incident R", world.incident_a.reference]:
        assert secret not in body


def test_officers_see_their_units_only(world: World) -> None:
    client = Client()
    client.force_login(world.officer_a)
    figures = client.get("/reports/dashboard/", {"quarter": this_quarter().code}).context["figures"]
    assert figures.current.breaches == 1
    assert [u.unit for u in figures.units] == ["Site A1"]


def test_another_quarter_and_a_bad_one(world: World) -> None:
    client = Client()
    client.force_login(world.cpo)
    assert client.get("/reports/dashboard/?quarter=2020Q1").context["figures"].current.breaches == 0
    # A bad quarter used to be swapped silently for the current one (200): now it is an error
    # at the picker (tests/reporting/test_bad_quarters.py has the details).
    assert client.get("/reports/dashboard/?quarter=nonsense").status_code == 400


def test_it_opens_on_the_last_complete_quarter(world: World) -> None:
    client = Client()
    client.force_login(world.executive)
    last = this_quarter().previous()
    response = client.get("/reports/dashboard/")
    figures = response.context["figures"]
    assert figures.quarter == last.code and not figures.to_date
    # The world's three breaches are in the quarter in progress: not in the last complete one.
    assert figures.current.breaches == 0
    page = text(response)
    assert f"Dashboard — {last.label} ({figures.dates})" in page
    assert "to date" not in page.split("Quarter")[0]  # not in the heading
    assert f"Each figure is shown beside {last.previous().label}, the whole previous quarter." in (
        page
    )
    # The picker shows the quarter it opened on.
    assert re.search(rf'<option value="{last.code}" selected>', response.content.decode())


def test_the_quarter_in_progress_is_labelled_to_date(world: World) -> None:
    client = Client()
    client.force_login(world.executive)
    current = this_quarter()
    response = client.get("/reports/dashboard/", {"quarter": current.code})
    figures = response.context["figures"]
    assert figures.to_date
    page = text(response)
    start = current.bounds()[0].date()
    today = timezone.localdate()
    dates = f"{start.day} {start:%b} – {today.day} {today:%b}"
    assert f"Dashboard — {current.label} to date ({dates})" in page
    assert f"Same days of {current.previous().label}: " in page  # beside every figure
    assert "The quarter is not over: these figures will change." in page
    assert f"the same {figures.days} days of {current.previous().label}" in page


def test_the_picker_offers_the_quarters_with_data_and_the_last_eight(world: World) -> None:
    IncidentFactory(reporter=world.reporter, reported_at=timezone.now() - timedelta(days=5 * 365))
    old = Quarter.containing(timezone.localdate() - timedelta(days=5 * 365))
    client = Client()
    client.force_login(world.executive)
    response = client.get("/reports/dashboard/")
    options = re.findall(r'<option value="(\w+)"[^>]*>([^<]+)</option>', response.content.decode())
    current = this_quarter()
    assert options[0] == (current.code, f"{current.label} to date")
    assert [code for code, _ in options[1:9]] == [q.code for q in reversed(current.last(9)[:-1])]
    assert options[-1] == (old.code, old.label)  # older, but it has data
    assert len(options) == 10
    page = response.content.decode()
    assert '<form method="get"' in page and '<label for="id_quarter">Quarter' in page
    assert '<button type="submit" class="button">Show</button>' in page


def test_targets_missed_are_flagged_in_words_on_the_dashboard_and_in_the_pdf(
    world: World, settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """One place computes the figures: the dashboard and the quarterly PDF say the same."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "config.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    last = this_quarter().previous()
    start, _ = last.bounds()
    unit = world.site_a1

    def breach(day: int, notified_after: int | None = None) -> None:
        """Reported on ``day`` of the quarter, aware 2 h before, deadline 72 h after awareness,
        notified ``notified_after`` hours after awareness (or not at all, nothing decided)."""
        aware = start + timedelta(days=day, hours=10)
        notified = {}
        if notified_after is not None:
            notified = {
                "decision_notify_regulator": "yes",
                "regulator_notified_at": aware + timedelta(hours=notified_after),
            }
        IncidentFactory(reporter=world.reporter, business_unit=unit, aware_at=aware,
                        reported_at=aware + timedelta(hours=2),
                        regulator_deadline=aware + timedelta(hours=72), **notified)  # fmt: skip

    breach(5, notified_after=30)  # on time
    breach(20, notified_after=120)  # late
    breach(40)  # missed, nothing recorded
    # Not notifiable (its deadline passed, never notified): excluded.
    aware = start + timedelta(days=50)
    IncidentFactory(reporter=world.reporter, business_unit=unit, aware_at=aware,
                    reported_at=aware, regulator_deadline=aware + timedelta(hours=72),
                    decision_notify_regulator="no")  # fmt: skip
    # Reported on the quarter's last day with a 30-day clock (AU), still running now: not
    # counted yet.
    _, end = last.bounds()
    aware = end - timedelta(hours=6)
    IncidentFactory(reporter=world.reporter, business_unit=unit, aware_at=aware,
                    reported_at=aware, regulator_deadline=timezone.now() + timedelta(days=3))  # fmt: skip
    client = Client()
    client.force_login(world.executive)
    page = text(client.get("/reports/dashboard/"))
    flag = (
        "Below target (100 %): 2 of 3 breaches were notified late — 1 notified after its "
        "deadline; 1 past its deadline with no notification or decision recorded. Not counted "
        "yet: 1 breach is still within its deadline."
    )
    # The median of 30 h and 120 h is 75 h, above the 72 h target.
    median = (
        "Above target (at most 72 hours): the median was 75 hours from awareness to notification."
    )
    assert "Notifiable breaches 2 " in page  # the decided ones: on time and late
    assert "Notified on time 33.3%" in page and flag in page
    assert median in page
    report = QuarterlyReport.objects.create(quarter=last.code)
    jobs.generate(report.pk)
    report.refresh_from_db()
    assert report.figures["current"]["on_time_status"] == flag
    expected = quarter_figures(Incident.objects.all(), last, scope="x").current
    assert expected.notified_on_time_pct == pytest.approx(33.3)
    from pypdf import PdfReader

    with report.file.open("rb") as handle:
        pdf = " ".join(page.extract_text() for page in PdfReader(handle).pages)
    pdf = re.sub(r"\s+", " ", pdf)
    assert "33.3%" in pdf and "Below target (100 %): 2 of 3 breaches were notified late" in pdf
    assert "Not counted yet: 1 breach is still within its deadline." in pdf
    assert "Above target (at most 72 hours)" in pdf


def test_the_dashboard_shows_the_reports_summary(world: World) -> None:
    """The same key messages as page 2 of the quarterly report, from the same function, near
    the top of the page (issue 14)."""
    from reporting.summary import key_messages

    client = Client()
    client.force_login(world.executive)
    response = client.get("/reports/dashboard/", {"quarter": this_quarter().code})
    messages = response.context["summary"]
    assert messages == key_messages(response.context["figures"])
    page = text(response)
    assert messages and all(m.text in page for m in messages)
    # Near the top: after the heading and the picker, before the figures.
    assert page.index("Summary") < page.index(messages[0].text) < page.index("Median hours")
    # The world's three breaches were all reported this quarter: nothing before to compare with.
    assert messages[0].topic == "Breaches" and messages[0].kind == "no_previous"
    assert messages[0].text.startswith("Breaches: 3 in ")
    # Flagged messages say so in words, not by colour alone.
    flagged = [m for m in messages if m.flagged]
    for m in flagged:
        assert f"{m.topic} — Needs attention. {m.text}" in page
