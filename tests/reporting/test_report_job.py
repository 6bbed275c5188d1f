"""The quarterly report job: runs once, records failures, reproducible, the PDF read back."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from pypdf import PdfReader

from accounts.models import AccessEvent
from breaches.models import Incident
from reporting import jobs
from reporting.figures import Quarter, quarter_figures
from reporting.models import QuarterlyReport
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "config.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }


def this_quarter() -> Quarter:
    from django.utils import timezone

    return Quarter.containing(timezone.localdate())


def pdf_pages(report: QuarterlyReport) -> list[str]:
    with report.file.open("rb") as handle:
        return [page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages]


def test_a_report_runs_once_and_its_pdf_carries_the_figures(
    world: World, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        report = jobs.report_request(quarter=this_quarter(), requested_by=world.executive)
    report.refresh_from_db()
    assert report.status == "done" and report.progress == 100 and report.attempts == 1
    assert report.figures["current"]["breaches"] == 3
    pages = pdf_pages(report)
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert "IN CONFIDENCE" in text
        assert f"Page {number} of {len(pages)}" in text
    text = "\n".join(pages)
    expected = quarter_figures(Incident.objects.all(), this_quarter(), scope="x")
    assert f"Breaches {expected.current.breaches} " in text.replace("\n", " ")
    for heading in [
        "1. Headline figures",
        "2. Trend",
        "3. By business unit",
        "4. Causes",
        "5. Notifiable",
        "6. Remediation",
    ]:
        assert heading in text
    for secret in ["Incident A", "Incident B", "Incident R"]:
        assert secret not in text  # nothing that identifies a person: no free text at all
    # A duplicate delivery does nothing twice.
    assert jobs.generate(report.pk) is False
    report.refresh_from_db()
    assert report.attempts == 1


def test_a_failure_is_recorded(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from reporting import pdf
    from reporting.tasks import generate_quarterly_report

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("the renderer broke")

    monkeypatch.setattr(pdf, "render_report", broken)
    report = QuarterlyReport.objects.create(quarter=this_quarter().code)
    with pytest.raises(ValueError):
        generate_quarterly_report.apply(args=[report.pk], throw=True)
    report.refresh_from_db()
    assert report.status == "failed"
    assert "the renderer broke" in report.last_error


def test_regenerating_a_past_quarter_gives_the_same_figures(world: World) -> None:
    quarter = this_quarter()
    first = QuarterlyReport.objects.create(quarter=quarter.code)
    second = QuarterlyReport.objects.create(quarter=quarter.code)
    jobs.generate(first.pk)
    jobs.generate(second.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.figures == second.figures


def test_the_command_prints_the_pdf_path(world: World, capsys) -> None:  # type: ignore[no-untyped-def]
    call_command("quarterly_report", this_quarter().code)
    path = capsys.readouterr().out.strip()
    assert path.endswith(".pdf") and Path(path).read_bytes().startswith(b"%PDF")


def test_the_reports_page_requests_follows_and_downloads(
    world: World, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.executive)
    assert client.get("/reports/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/reports/", {"quarter": this_quarter().code})
    report = QuarterlyReport.objects.get()
    status = client.get(f"/reports/{report.pk}/status.json").json()
    assert status["status"] == "done" and status["download"].endswith("/download/")
    response = client.get(status["download"])
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    event = AccessEvent.objects.get(action=AccessEvent.Action.REPORT_DOWNLOAD)
    assert event.user == world.executive and event.detail["quarter"] == report.quarter
    for persona in ["reporter", "admin", "named"]:
        client.force_login(world.persona(persona))
        assert client.get("/reports/").status_code == 404
        assert client.get(f"/reports/{report.pk}/download/").status_code == 404
    client.force_login(world.executive)
    client.post("/reports/", {"quarter": "2999Q1"})
    client.post("/reports/", {"quarter": "nonsense"})
    assert QuarterlyReport.objects.count() == 1
    assert default_storage.exists(report.file.name)


def test_the_cover_names_the_quarters_days(world: World) -> None:
    report = QuarterlyReport.objects.create(quarter="2026Q3")
    jobs.generate(report.pk)
    report.refresh_from_db()
    cover = pdf_pages(report)[0]
    assert "1 July 2026 – 30 September 2026" in cover
    assert "Quarterly report to the Chief Executive" in cover
