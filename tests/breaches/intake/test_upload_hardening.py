"""Upload hardening (issue 12, item 7): the name must match the content, no program or script
extension anywhere in the name, no PDF with JavaScript or actions, no PDF that cannot be read.

Each refusal is checked where a person meets it: beside the field on the report form
(``evidence``) and on the incident page (``file``), with a 400 and nothing stored, and as a 400
with the ``file`` key on the API.
"""

from __future__ import annotations

import io
import struct
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript, PageTrigger
from pypdf.annotations import Link
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DictionaryObject,
    NameObject,
    TextStringObject,
)
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from breaches.intake.uploads import check_pdf, check_upload
from breaches.models import Attachment, Incident
from tests.conftest import World

pytestmark = pytest.mark.django_db

TEXT = b"Notes from the call: the letter went to the old address on 3 May.\n"
EML = (
    b"From: Team Leader <lead@example.org>\r\nTo: Privacy <privacy@example.org>\r\n"
    b"Subject: Letter sent to the wrong address\r\nDate: Mon, 3 May 2027 09:00:00 +1200\r\n"
    b"\r\nThe letter went to the old address.\r\n"
)
SUMMARY = "Evidence refused by the upload checks"


# --- files -----------------------------------------------------------------------------------


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2, 2), (30, 200, 30)).save(out, "JPEG")
    return out.getvalue()


def pdf(change: Callable[[PdfWriter], Any] | None = None) -> bytes:
    """A one-page PDF written by pypdf, changed by ``change`` first."""
    writer = PdfWriter()
    writer.add_blank_page(72, 72)
    if change is not None:
        change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def open_action(action: dict[str, str]) -> Callable[[PdfWriter], None]:
    """Set the catalog's /OpenAction to an action dictionary of names and strings."""

    def change(writer: PdfWriter) -> None:
        writer.root_object[NameObject("/OpenAction")] = DictionaryObject(
            {
                NameObject(key): NameObject(value)
                if value.startswith("/")
                else TextStringObject(value)
                for key, value in action.items()
            }
        )

    return change


def with_uri_link(writer: PdfWriter) -> None:
    writer.add_annotation(0, Link(rect=(0, 0, 20, 20), url="https://example.org/policy"))


def fit_on_open(writer: PdfWriter) -> None:
    # The common, harmless /OpenAction: show the first page whole.
    page = writer.pages[0].indirect_reference
    writer.root_object[NameObject("/OpenAction")] = ArrayObject([page, NameObject("/Fit")])


def handwritten_pdf(objects: list[bytes], *, root: int = 1) -> bytes:
    """A PDF written byte by byte (object ``i + 1`` is ``objects[i]``), with a correct xref."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        root,
        xref,
    )
    return bytes(out)


PAGES = [
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] >>",
]


def hex_obfuscated_js() -> bytes:
    """/OpenAction << /S /J#61vaScript /J#53 (...) >>: JavaScript spelt with #xx escapes."""
    return handwritten_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
            *PAGES,
            b"<< /Type /Action /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>",
        ]
    )


def compressed_action(action: bytes) -> bytes:
    """A PDF 1.5 whose /OpenAction (object 5) is compressed inside an object stream, so its
    names never appear in the file's bytes: only a parser that reads object streams sees it."""
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    header = b"5 0 "
    packed = zlib.compress(header + action)
    bodies = {
        1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>",
        2: PAGES[0],
        3: PAGES[1],
        4: b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s"
        b"\nendstream" % (len(header), len(packed), packed),
    }
    for number, body in bodies.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    offsets[6] = len(out)
    rows = [(0, 0, 65535)] + [(1, offsets[n], 0) for n in (1, 2, 3, 4)]
    rows += [(2, 4, 0), (1, offsets[6], 0)]  # object 5: the first in object stream 4
    table = b"".join(struct.pack(">BIH", *row) for row in rows)
    out += (
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n%s"
        b"\nendstream\nendobj\n" % (len(table), table)
    )
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[6]
    return bytes(out)


def orphan_after_eof() -> bytes:
    """A clean PDF with a JavaScript action appended after %%EOF, in no cross-reference table:
    pypdf never sees it, a viewer rebuilding a damaged file might; the raw byte scan does."""
    return pdf() + b"9 0 obj\n<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>\nendobj\n"


def encrypted(user_password: str) -> bytes:
    return pdf(lambda w: w.encrypt(user_password, "owner-secret", algorithm="RC4-128"))


# --- posting them ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def private_storage(settings: Settings, tmp_path: Path) -> Path:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "config.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def report_data(world: World, name: str, content: bytes) -> dict[str, Any]:
    return {
        "kind": "breach",
        "summary": SUMMARY,
        "aware_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "channel": "post",
        "business_unit": world.site_a1.pk,
        "occurred_precision": "unknown",
        "affected-TOTAL_FORMS": "0",
        "affected-INITIAL_FORMS": "0",
        "affected-MIN_NUM_FORMS": "0",
        "affected-MAX_NUM_FORMS": "20",
        "submission_token": str(uuid.uuid4()),
        "evidence": SimpleUploadedFile(name, content, content_type="application/octet-stream"),
    }


def post_report(client: Client, world: World, name: str, content: bytes) -> Any:
    client.force_login(world.reporter)
    return client.post("/incidents/new/", report_data(world, name, content))


def post_page(client: Client, world: World, name: str, content: bytes) -> Any:
    client.force_login(world.reporter)
    return client.post(
        f"/incidents/{world.incident_a.reference}/attachments/",
        {"file": SimpleUploadedFile(name, content, content_type="application/octet-stream")},
    )


def post_api(world: World, name: str, content: bytes) -> Any:
    api = APIClient()
    api.force_authenticate(world.reporter)
    return api.post(
        f"/api/v1/incidents/{world.incident_a.reference}/attachments/",
        {"file": SimpleUploadedFile(name, content, content_type="application/octet-stream")},
        format="multipart",
    )


def refused_everywhere(
    world: World, client: Client, storage: Path, name: str, content: bytes, says: str
) -> None:
    """Refused beside the field on both forms and by the API, saying ``says``; nothing kept."""
    report = post_report(client, world, name, content)
    assert report.status_code == 400
    errors = report.context["form"].errors
    assert list(errors) == ["evidence"], errors
    assert says in " ".join(errors["evidence"])
    assert 'id="id_evidence_error"' in report.content.decode()
    assert not Incident.objects.filter(summary=SUMMARY).exists()

    page = post_page(client, world, name, content)
    assert page.status_code == 400
    errors = page.context["attachment_form"].errors
    assert list(errors) == ["file"], errors
    assert says in " ".join(errors["file"])
    assert 'id="id_file_error"' in page.content.decode()

    api = post_api(world, name, content)
    assert api.status_code == 400
    body = api.json()
    assert list(body) == ["file"], body
    assert says in " ".join(body["file"])

    assert not Attachment.objects.exists()
    assert stored_files(storage) == []


def accepted_everywhere(
    world: World, client: Client, storage: Path, name: str, content: bytes, kept_as: str
) -> list[Attachment]:
    report = post_report(client, world, name, content)
    assert report.status_code == 302, report.context and report.context["form"].errors
    page = post_page(client, world, name, content)
    assert page.status_code == 302, page.context and page.context["attachment_form"].errors
    api = post_api(world, name, content)
    assert api.status_code == 201, api.json()
    attachments = list(Attachment.objects.order_by("id"))
    assert len(attachments) == 3
    assert {a.original_name for a in attachments} == {kept_as}
    assert all((storage / str(a.file.name)).read_bytes() == content for a in attachments)
    return attachments


# --- program and script names ------------------------------------------------------------------

PROGRAM_NAMES = [
    pytest.param("notes.js", ".js", id="js"),
    pytest.param("cleanup.ps1", ".ps1", id="ps1"),
    pytest.param("report.pdf.exe", ".exe", id="pdf.exe"),
    pytest.param("notes.txt.js", ".js", id="txt.js"),
    pytest.param("NOTES.JS", ".js", id="upper-JS"),
    pytest.param("Report.Txt.Exe", ".exe", id="mixed-case"),
    # Shown as "invoicesj.txt": the right-to-left override reverses what follows it.
    pytest.param("invoice\u202etxt.js", ".js", id="rtl-override"),
    pytest.param("notes.js.", ".js", id="trailing-dot"),
    pytest.param("notes.js. . ", ".js", id="trailing-dots-and-spaces"),
    pytest.param("notes.txt.js ", ".js", id="trailing-space"),
    pytest.param("notes.ｊｓ", ".js", id="fullwidth-letters"),
    pytest.param("notes.j\u200bs", ".js", id="zero-width-space"),
    pytest.param("notes\u2024js", ".js", id="one-dot-leader"),
    pytest.param("setup.exe.txt", ".exe", id="exe-in-the-middle"),
    pytest.param("C:\\Users\\me\\notes.txt.bat", ".bat", id="windows-path"),
]


@pytest.mark.parametrize(("name", "extension"), PROGRAM_NAMES)
def test_a_program_or_script_name_is_refused_whatever_the_content(
    world: World, client: Client, private_storage: Path, name: str, extension: str
) -> None:
    refused_everywhere(
        world, client, private_storage, name, TEXT, f"A name with “{extension}” in it"
    )


@pytest.mark.parametrize(("name", "extension"), PROGRAM_NAMES)
def test_the_checker_itself_sees_through_the_name(name: str, extension: str) -> None:
    # Django's upload parser already drops some invisible characters; the check must not
    # depend on it (a file can reach check_upload by other routes).
    with pytest.raises(ValidationError) as refused:
        check_upload(SimpleUploadedFile(name, TEXT))
    assert refused.value.code == "program_name"
    assert f"“{extension}”" in refused.value.messages[0]


@pytest.mark.parametrize(
    "extension",
    [
        "bat",
        "cmd",
        "com",
        "exe",
        "msi",
        "scr",
        "vbs",
        "js",
        "jse",
        "wsf",
        "hta",
        "jar",
        "sh",
        "py",
        "html",
        "htm",
        "svg",
        "lnk",
        "dll",
        "app",
        "dmg",
        "iso",
        "ps1",
        "vbe",
        "php",
        "pl",
        "cgi",
        "docm",
        "xlsm",
        "reg",
        "url",
    ],
)
def test_every_listed_extension_is_refused_last_or_in_the_middle(extension: str) -> None:
    for name in (
        f"evidence.{extension}",
        f"evidence.{extension}.txt",
        f"a.txt.{extension.upper()}",
    ):
        with pytest.raises(ValidationError) as refused:
            check_upload(SimpleUploadedFile(name, TEXT))
        assert refused.value.code == "program_name", name
        assert f"“.{extension}”" in refused.value.messages[0]


def test_a_program_by_content_is_still_refused_as_a_program(world: World) -> None:
    response = post_api(world, "letter.pdf", Path("/bin/ls").read_bytes()[:20000])
    assert response.status_code == 400
    assert "program or script" in response.json()["file"][0]


def test_a_python_script_named_txt_is_refused_as_a_program() -> None:
    with pytest.raises(ValidationError) as refused:
        check_upload(SimpleUploadedFile("notes.txt", b"#!/usr/bin/env python3\nprint(1)\n"))
    assert "program or script" in refused.value.messages[0]


# --- the name must match the content -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        pytest.param(
            "scan.pdf",
            png(),
            "“scan.pdf” ends in .pdf, which does not match what the file contains (PNG image). "
            "Files like this must end in .png",
            id="png-named-pdf",
        ),
        pytest.param(
            "letter.png", pdf(), "(PDF). Files like this must end in .pdf", id="pdf-named-png"
        ),
        pytest.param("photo.png", jpeg(), "must end in .jpg or .jpeg", id="jpeg-named-png"),
        pytest.param("notes.pdf", TEXT, "must end in .txt or .log", id="text-named-pdf"),
        pytest.param("message.txt", EML, "must end in .eml", id="eml-named-txt"),
        pytest.param(
            "scan",
            png(),
            "“scan” has no ending (such as .pdf), so it cannot be matched to what the file "
            "contains (PNG image). Files like this must end in .png",
            id="no-extension",
        ),
        pytest.param("scan.", png(), "“scan” has no ending", id="only-a-dot"),
    ],
)
def test_a_name_that_does_not_match_the_content_is_refused(
    world: World, client: Client, private_storage: Path, name: str, content: bytes, says: str
) -> None:
    refused_everywhere(world, client, private_storage, name, content, says)


# --- PDFs with JavaScript, actions or files inside ---------------------------------------------

ACTIVE_PDFS = [
    pytest.param(
        lambda: pdf(lambda w: w.add_open_action(JavaScript("app.alert('hello');"))),
        "JavaScript",
        id="document-javascript",
    ),
    pytest.param(
        lambda: pdf(open_action({"/S": "/JavaScript", "/JS": "app.alert(1)"})),
        "JavaScript",
        id="open-action-javascript",
    ),
    pytest.param(
        lambda: pdf(open_action({"/S": "/Launch", "/F": "calc.exe"})),
        "an action that opens a program or file",
        id="launch",
    ),
    pytest.param(
        lambda: pdf(open_action({"/S": "/SubmitForm", "/F": "https://example.org/collect"})),
        "a form that sends or loads data",
        id="submit-form",
    ),
    pytest.param(
        lambda: pdf(open_action({"/S": "/ImportData", "/F": "data.fdf"})),
        "a form that sends or loads data",
        id="import-data",
    ),
    pytest.param(
        lambda: pdf(lambda w: w.pages[0].add_action(PageTrigger.OPEN, JavaScript("app.beep(0)"))),
        "JavaScript and actions that run by themselves",
        id="page-additional-action",
    ),
    pytest.param(
        lambda: pdf(lambda w: w.add_attachment("payload.txt", b"hidden")),
        "files or media hidden inside it",
        id="embedded-file",
    ),
    pytest.param(hex_obfuscated_js, "JavaScript", id="hex-obfuscated-name"),
    pytest.param(
        lambda: compressed_action(b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"),
        "JavaScript",
        id="inside-an-object-stream",
    ),
    pytest.param(orphan_after_eof, "JavaScript", id="orphan-object-after-eof"),
]


@pytest.mark.parametrize(("build", "says"), ACTIVE_PDFS)
def test_a_pdf_with_javascript_or_actions_is_refused(
    world: World, client: Client, private_storage: Path, build: Callable[[], bytes], says: str
) -> None:
    refused_everywhere(
        world, client, private_storage, "letter.pdf", build(), f"This PDF contains {says}"
    )


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"%PDF-1.4\nthis is not really a PDF at all\n", id="header-only"),
        pytest.param(b"%PDF-1.7\n" + bytes(range(256)) * 8, id="binary-garbage"),
    ],
)
def test_a_pdf_that_cannot_be_read_is_refused(
    world: World, client: Client, private_storage: Path, content: bytes
) -> None:
    refused_everywhere(
        world, client, private_storage, "letter.pdf", content, "could not be read as a PDF"
    )


def test_a_password_protected_pdf_is_refused(
    world: World, client: Client, private_storage: Path
) -> None:
    refused_everywhere(
        world, client, private_storage, "letter.pdf", encrypted("open-sesame"), "password"
    )


def test_the_raw_scan_finds_what_pypdf_does_not_see() -> None:
    # Readable, with the escaped name only in an object no cross-reference table lists.
    with pytest.raises(ValidationError) as refused:
        check_pdf(orphan_after_eof())
    assert refused.value.code == "pdf_active"


def test_a_name_inside_stream_data_is_not_a_finding() -> None:
    # A page's drawing instructions may hold any bytes, "/JS" among them: not an action.
    def draw(writer: PdfWriter) -> None:
        drawing = ContentStream(None, writer)
        drawing.set_data(b"q /JS gs /AA cs 0 0 m Q")
        writer.pages[0].replace_contents(drawing)

    written = pdf(draw)
    assert b"/JS gs" in written
    check_pdf(written)


# --- what is still accepted --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "build", "kept_as", "content_type"),
    [
        pytest.param("letter.pdf", pdf, "letter.pdf", "application/pdf", id="pdf"),
        pytest.param("LETTER.PDF", pdf, "LETTER.PDF", "application/pdf", id="pdf-upper-case"),
        pytest.param(
            "policy.pdf",
            lambda: pdf(with_uri_link),
            "policy.pdf",
            "application/pdf",
            id="pdf-with-web-link",
        ),
        pytest.param(
            "fit.pdf", lambda: pdf(fit_on_open), "fit.pdf", "application/pdf", id="pdf-open-fit"
        ),
        pytest.param(
            "locked.pdf",
            lambda: encrypted(""),
            "locked.pdf",
            "application/pdf",
            id="pdf-owner-password-only",
        ),
        pytest.param(
            "packed.pdf",
            lambda: compressed_action(b"<< /S /Named /N /NextPage >>"),
            "packed.pdf",
            "application/pdf",
            id="pdf-object-stream-harmless",
        ),
        pytest.param("photo.png", png, "photo.png", "image/png", id="png"),
        pytest.param("photo.jpg", jpeg, "photo.jpg", "image/jpeg", id="jpg"),
        pytest.param("photo.JPEG", jpeg, "photo.JPEG", "image/jpeg", id="jpeg"),
        pytest.param("notes.txt", lambda: TEXT, "notes.txt", "text/plain", id="txt"),
        pytest.param("server.log", lambda: TEXT, "server.log", "text/plain", id="log"),
        pytest.param(
            "list.csv", lambda: b"ref,role\nC-1,child\n", "list.csv", "text/csv", id="csv"
        ),
        pytest.param("message.eml", lambda: EML, "message.eml", "message/rfc822", id="eml"),
        pytest.param(
            "J. Smith v2.0 notes.txt",
            lambda: TEXT,
            "J._Smith_v2.0_notes.txt",
            "text/plain",
            id="dots",
        ),
        # Shown as "invoicefdp.exe", but it is a PDF called ….pdf: kept without the override.
        pytest.param(
            "invoice\u202eexe.pdf", pdf, "invoiceexe.pdf", "application/pdf", id="rtl-harmless"
        ),
    ],
)
def test_clean_files_with_the_right_name_are_accepted(
    world: World,
    client: Client,
    private_storage: Path,
    name: str,
    build: Callable[[], bytes],
    kept_as: str,
    content_type: str,
) -> None:
    attachments = accepted_everywhere(world, client, private_storage, name, build(), kept_as)
    assert {a.content_type for a in attachments} == {content_type}


def test_a_csv_named_txt_is_kept_as_plain_text() -> None:
    checked = check_upload(SimpleUploadedFile("list.txt", b"ref,role\nC-1,child\nC-2,parent\n"))
    assert (checked.name, checked.content_type) == ("list.txt", "text/plain")


def test_size_and_type_limits_still_come_first(world: World, settings: Settings) -> None:
    settings.ATTACHMENT_MAX_BYTES = 100
    assert "the limit is" in post_api(world, "notes.js", TEXT * 3).json()["file"][0]
    assert "is empty" in post_api(world, "notes.js", b"").json()["file"][0]
    settings.ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    settings.ATTACHMENT_ALLOWED_TYPES = ["application/pdf"]
    refused = post_api(world, "photo.png", png()).json()["file"][0]
    assert refused.startswith("The content of this file is PNG image, which cannot be attached.")
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        pytest.param("letter.pdf.", "letter.pdf", id="trailing-dot"),
        pytest.param("letter.pdf. . ", "letter.pdf", id="trailing-dots-and-spaces"),
        pytest.param("invoice\u202eexe.pdf", "invoiceexe.pdf", id="rtl-override"),
        pytest.param("let\u200bter.pdf", "letter.pdf", id="zero-width-space"),
    ],
)
def test_the_kept_name_is_the_checked_name_without_tricks(raw: str, kept: str) -> None:
    # Windows drops trailing dots and spaces; invisible characters change only how a name looks.
    checked = check_upload(SimpleUploadedFile(raw, pdf()))
    assert (checked.name, checked.content_type) == (kept, "application/pdf")
