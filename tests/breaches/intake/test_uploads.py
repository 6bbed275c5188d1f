"""Evidence: content sniffing, size limit, private storage, scoped download, access events."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pypdf import PdfWriter
from rest_framework.test import APIClient

from accounts.models import AccessEvent
from breaches.intake.uploads import clean_filename
from breaches.models import Attachment
from tests.conftest import World

pytestmark = pytest.mark.django_db


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def blank_pdf() -> bytes:
    # A real one-page PDF: a file pypdf cannot read at all is refused (test_upload_hardening).
    writer = PdfWriter()
    writer.add_blank_page(72, 72)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF = blank_pdf()


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "config.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def upload(
    client: Client, world: World, name: str, content: bytes, content_type: str = "application/pdf"
):  # type: ignore[no-untyped-def]
    return client.post(
        f"/incidents/{world.incident_a.reference}/attachments/",
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
    )


def test_a_pdf_and_a_photo_are_stored_privately(
    world: World, client: Client, private_storage: Path
) -> None:
    client.force_login(world.reporter)
    assert upload(client, world, "letter.pdf", PDF).status_code == 302
    assert upload(client, world, "photo.png", tiny_png(), "image/png").status_code == 302
    pdf, png = Attachment.objects.order_by("id")
    assert (pdf.content_type, png.content_type) == ("application/pdf", "image/png")
    assert pdf.size == len(PDF)
    assert len(pdf.sha256) == 64
    # stored under a random name inside the private root, not under the original name
    stored = private_storage / pdf.file.name
    assert stored.read_bytes() == PDF
    assert "letter" not in pdf.file.name
    with pytest.raises(ValueError):
        _ = pdf.file.url  # no public URL exists


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("evidence.pdf", Path("/bin/ls").read_bytes()[:20000]),
        ("photo.png", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 300),
        ("notes.txt", b"#!/bin/sh\nrm -rf /\n"),
    ],
)
def test_a_renamed_program_is_refused(
    world: World, client: Client, name: str, content: bytes
) -> None:
    client.force_login(world.reporter)
    response = upload(client, world, name, content)
    assert response.status_code == 400
    assert "program or script" in response.content.decode()
    assert not Attachment.objects.exists()


def test_a_disallowed_type_is_refused_with_the_allowed_list(world: World, client: Client) -> None:
    client.force_login(world.reporter)
    response = upload(client, world, "page.pdf", b"<html><script>alert(1)</script></html>")
    assert response.status_code == 400
    body = response.content.decode()
    assert "text/html" in body and "Allowed: PDF" in body


def test_size_limit(world: World, client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ATTACHMENT_MAX_BYTES = 1024
    client.force_login(world.reporter)
    response = upload(client, world, "big.pdf", PDF + b"0" * 2000)
    assert response.status_code == 400
    assert "the limit is 1.0\xa0KB" in response.content.decode()
    assert upload(client, world, "empty.pdf", b"").status_code == 400


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\screenshot 1.png", "screenshot_1.png"),
        (".htaccess", "htaccess"),
        ("", "evidence"),
        ("r\u00e9sum\u00e9 <script>.pdf", "résumé_script.pdf"),
        ("a" * 300 + ".pdf", "a" * 146 + ".pdf"),
    ],
)
def test_file_names_are_sanitised(raw: str, clean: str) -> None:
    assert clean_filename(raw) == clean


def test_download_only_in_scope_and_logged(world: World, client: Client) -> None:
    client.force_login(world.reporter)
    upload(client, world, "letter.pdf", PDF)
    attachment = Attachment.objects.get()
    url = attachment.get_absolute_url()
    before = AccessEvent.objects.filter(action=AccessEvent.Action.DOWNLOAD).count()

    for persona in ["reporter2", "officer_b", "executive", "admin", "named"]:
        client.force_login(world.persona(persona))
        assert client.get(url).status_code == 404, persona
    assert AccessEvent.objects.filter(action=AccessEvent.Action.DOWNLOAD).count() == before

    client.force_login(world.officer_a)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith('attachment; filename="letter.pdf"')
    assert response["X-Content-Type-Options"] == "nosniff"
    event = AccessEvent.objects.get(action=AccessEvent.Action.DOWNLOAD)
    assert event.user == world.officer_a
    assert event.incident == world.incident_a
    assert event.detail["attachment"] == attachment.pk


def test_an_attachment_of_another_incident_is_404(world: World, client: Client) -> None:
    client.force_login(world.reporter)
    upload(client, world, "letter.pdf", PDF)
    attachment = Attachment.objects.get()
    client.force_login(world.cpo)
    wrong = f"/incidents/{world.incident_b.reference}/attachments/{attachment.pk}/"
    assert client.get(wrong).status_code == 404


def test_api_upload_and_download(world: World) -> None:
    client = APIClient()
    client.force_authenticate(world.reporter)
    base = f"/api/v1/incidents/{world.incident_a.reference}/attachments/"
    bad = client.post(
        base, {"file": SimpleUploadedFile("x.pdf", b"\x7fELF" + b"\x02" * 400)}, format="multipart"
    )
    assert bad.status_code == 400
    assert "file" in bad.json()
    assert "field" in str(
        client.post(
            base, {"file": SimpleUploadedFile("x.pdf", PDF), "field": 1}, format="multipart"
        ).json()
    )
    good = client.post(base, {"file": SimpleUploadedFile("x.pdf", PDF)}, format="multipart")
    assert good.status_code == 201, good.json()
    listed = client.get(base).json()["results"]
    assert [a["original_name"] for a in listed] == ["x.pdf"]
    response = client.get(listed[0]["download_url"])
    assert response.status_code == 200
    assert AccessEvent.objects.filter(action=AccessEvent.Action.DOWNLOAD).count() == 1
    other = APIClient()
    other.force_authenticate(world.reporter2)
    assert other.get(listed[0]["download_url"]).status_code == 404
