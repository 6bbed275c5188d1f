"""The register's PDFs are tagged (PDF/UA-1), with a language and a title (issue 13).

The quarterly report (reporting/pdf.py) and the two drafts (breaches/triage/drafts.py) were
untagged: a screen reader met a page of loose text. Both now go through WeasyPrint's PDF/UA-1
variant. The drafts' test lives here with the report's because the two are written the same way.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import BooleanObject

from breaches.triage.drafts import individual_letter, regulator_draft
from reporting import jobs
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


def assert_tagged(content: bytes, title: str) -> PdfReader:
    reader = PdfReader(io.BytesIO(content))
    catalog = reader.trailer["/Root"]
    assert catalog["/MarkInfo"]["/Marked"] == BooleanObject(True)
    tree = catalog["/StructTreeRoot"].get_object()
    assert tree["/Type"] == "/StructTreeRoot" and tree.get("/K")
    assert catalog["/Lang"] == "en-NZ"
    assert reader.metadata is not None and reader.metadata.title == title
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"] == BooleanObject(True)
    # PDF/UA-1 says so in the XMP metadata (pdfuaid:part 1).
    assert b"pdfuaid" in catalog["/Metadata"].get_object().get_data()
    return reader


def structure_roles(reader: PdfReader) -> set[str]:
    """Every structure type in the tree (headings, tables, paragraphs …)."""
    roles: set[str] = set()
    todo = [reader.trailer["/Root"]["/StructTreeRoot"].get_object()]
    while todo:
        node = todo.pop()
        if hasattr(node, "get_object"):
            node = node.get_object()
        if isinstance(node, list):
            todo.extend(node)
            continue
        if not hasattr(node, "get"):
            continue
        if "/S" in node:
            roles.add(str(node["/S"]))
        kids = node.get("/K")
        if kids is not None:
            todo.append(kids)
    return roles


def test_the_quarterly_report_is_a_tagged_pdf(world: World) -> None:
    report = QuarterlyReport.objects.create(quarter="2026Q3")
    jobs.generate(report.pk)
    report.refresh_from_db()
    with report.file.open("rb") as handle:
        reader = assert_tagged(handle.read(), "Privacy breaches and near misses — 2026 Q3")
    roles = structure_roles(reader)
    assert {"/H1", "/H2", "/Table", "/TH", "/TD", "/P"} <= roles


@pytest.mark.parametrize(
    ("make", "title", "roles"),
    [
        (regulator_draft, "Draft notification to the Privacy Commissioner — {ref}", {"/H1", "/H2", "/Table", "/TH"}),
        (individual_letter, "Draft notice to an affected person — {ref}", {"/H1", "/P"}),
    ],
)  # fmt: skip
def test_the_drafts_are_tagged_pdfs(world: World, make, title: str, roles: set[str]) -> None:  # type: ignore[no-untyped-def]
    reader = assert_tagged(
        make(world.incident_a, world.officer_a), title.format(ref=world.incident_a.reference)
    )
    assert roles <= structure_roles(reader)
