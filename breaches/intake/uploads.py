"""Checking evidence uploads by their content, never by their name."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

import magic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename

# Names people recognise, for error messages.
FRIENDLY_TYPES = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG photo",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "image/heic": "HEIC photo",
    "text/plain": "plain text",
    "text/csv": "CSV",
    "message/rfc822": "saved e-mail (.eml)",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel workbook",
}
PROGRAM_TYPES = {
    "application/x-dosexec",
    "application/x-executable",
    "application/x-sharedlib",
    "application/x-pie-executable",
    "application/x-mach-binary",
    "application/x-msdownload",
    "text/x-shellscript",
    "application/x-shellscript",
}


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    size: int
    sha256: str


def allowed_types_text() -> str:
    return ", ".join(FRIENDLY_TYPES.get(t, t) for t in settings.ATTACHMENT_ALLOWED_TYPES)


def clean_filename(raw: str) -> str:
    """The last path component, normalised, with only safe characters, at most 150 long."""
    name = PureWindowsPath(PurePosixPath(raw or "").name).name
    name = unicodedata.normalize("NFKC", name).replace("\x00", "")
    try:
        name = get_valid_filename(name)
    except Exception:  # Django refuses names like "." or ".."
        name = ""
    name = name.lstrip(".") or "evidence"
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 150 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:150]
    return name


def check_upload(upload: UploadedFile) -> CheckedUpload:
    """Refuse a file that is too large or whose *content* is not an allowed type."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            f"This file is {filesizeformat(upload.size)}; the limit is {filesizeformat(limit)}.",
            code="too_large",
        )
    if not upload.size:
        raise ValidationError("This file is empty.", code="empty")
    upload.seek(0)
    head = upload.read(8192)
    detected = magic.from_buffer(head, mime=True)
    if detected == "text/plain" and (upload.name or "").lower().endswith(".csv"):
        detected = "text/csv"
    if detected not in settings.ATTACHMENT_ALLOWED_TYPES:
        if detected in PROGRAM_TYPES:
            message = (
                "This file is a program or script, whatever its name says, and cannot be attached."
            )
        else:
            message = (
                f"The content of this file is {FRIENDLY_TYPES.get(detected, detected)}, which "
                "cannot be attached. Allowed: " + allowed_types_text() + "."
            )
        raise ValidationError(message, code="type")
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(
        name=clean_filename(upload.name or ""),
        content_type=detected,
        size=upload.size,
        sha256=digest.hexdigest(),
    )
