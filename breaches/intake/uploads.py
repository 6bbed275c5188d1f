"""Checking evidence uploads: by their content first, and their name must agree with it.

The rules, in the order they are applied (each refusal is one field-level ``ValidationError``):

1. size: not empty, not over ``ATTACHMENT_MAX_BYTES``;
2. the name: no program or script extension (``.exe``, ``.js``, ``.ps1``, ``.html``…) anywhere
   in it — every dot-separated part after the first counts, case-insensitive, after NFKC
   normalisation, with invisible characters (right-to-left override, zero-width space) dropped
   and trailing dots and spaces stripped, in the raw name as given and in the name kept;
3. the content (libmagic): a program or script is refused whatever it is called; anything not
   in ``ATTACHMENT_ALLOWED_TYPES`` is refused;
4. the name's extension must be one of those allowed for the detected type (``EXTENSIONS``);
5. a PDF must be readable by pypdf, and neither pypdf's view of it nor its raw bytes (with
   ``#xx`` escapes in names decoded) may name JavaScript, launch/submit/import actions,
   additional actions, embedded files, rich media or XFA forms.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

import magic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

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
    "application/vnd.microsoft.portable-executable",
    "application/x-ms-ne-executable",
    "application/x-elf",
    "application/java-archive",
    "application/x-java-applet",
    "application/x-bat",
    "text/x-msdos-batch",
    "application/x-ms-shortcut",
    "application/javascript",
    "text/javascript",
    "text/x-script.python",
    "text/x-python",
    "text/x-perl",
    "text/x-ruby",
    "text/x-php",
    "application/x-php",
}

# The extensions a file of each allowed type may be named with (lower case, without the dot).
# A type allowed in settings but missing here is refused: no name could be checked against it.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "application/pdf": ("pdf",),
    "image/png": ("png",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/gif": ("gif",),
    "image/webp": ("webp",),
    "image/heic": ("heic", "heif"),
    "text/plain": ("txt", "log"),
    "text/csv": ("csv",),
    "message/rfc822": ("eml",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx",),
}

# Extensions that run, install, mount or render script, refused anywhere in a name whatever
# the file contains: "report.pdf.exe", "notes.txt.js", "a.ps1", "page.html", "disk.iso".
PROGRAM_EXTENSIONS = frozenset(
    ext
    for group in (
        # Windows programs, installers, libraries and shortcuts
        "exe com bat cmd pif scr cpl msi msp mst msu msc msix msixbundle appx appxbundle",
        "appinstaller application appref-ms gadget dll ocx lnk url scf reg rdp cab",
        "library-ms search-ms searchconnector-ms settingcontent-ms chm hlp",
        # Windows Script Host, PowerShell, Java
        "vbs vbe js jse mjs cjs ws wsf wsc wsh sct hta jar",
        "ps1 ps1xml ps2 ps2xml psc1 psc2 psd1 psm1 pssc cdxml msh msh1 msh2 mshxml msh1xml",
        "msh2xml",
        # Shell and server-side scripts (a web server may run "x.php.png" as PHP)
        "sh bash zsh csh ksh py pyc pyo pyw pyz pl rb php php3 php4 php5 php7 php8 phtml",
        "phar asp aspx jsp cgi",
        # Markup that can carry script
        "html htm xhtml xht shtml mht mhtml svg svgz xsl xslt",
        # Office files that run macros or queries; Access databases
        "iqy slk xll xlam docm dotm xlsm xltm pptm potm ppam ppsm sldm ade adp mde accde vsto",
        # Other systems' programs and packages; disk images that open as drives
        "app pkg mpkg dmg scpt applescript apk deb rpm iso vhd vhdx",
    )
    for ext in group.split()
)

# Names in a PDF that make it run code, reach out, or carry other files.
PDF_ACTIVE_NAMES = {
    "/JavaScript": "JavaScript",
    "/JS": "JavaScript",
    "/AA": "actions that run by themselves",
    "/Launch": "an action that opens a program or file",
    "/GoToE": "links that open other files",
    "/GoToR": "links that open other files",
    "/SubmitForm": "a form that sends or loads data",
    "/ImportData": "a form that sends or loads data",
    "/XFA": "a dynamic (XFA) form",
    "/EmbeddedFile": "files or media hidden inside it",
    "/EmbeddedFiles": "files or media hidden inside it",
    "/RichMedia": "files or media hidden inside it",
}
# A name token in raw PDF bytes: a solidus and the regular characters after it.
_PDF_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]*)")
_PDF_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
# The data of a stream, which may be any bytes (compressed images and fonts) and is skipped
# by the raw scan: a stream that holds objects (an object stream) is read by pypdf.
_PDF_STREAM = re.compile(rb"stream(?:\r\n|\n|\r).*?endstream", re.DOTALL)


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    size: int
    sha256: str


def allowed_types_text() -> str:
    return ", ".join(FRIENDLY_TYPES.get(t, t) for t in settings.ATTACHMENT_ALLOWED_TYPES)


def _visible_name(raw: str) -> str:
    """The last path component of ``raw``, NFKC-normalised, without invisible characters
    (right-to-left override, zero-width space, NUL and other control or format characters)
    and without the trailing dots and spaces Windows drops (``report.exe. `` is report.exe)."""
    name = unicodedata.normalize("NFKC", raw or "")
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = PureWindowsPath(PurePosixPath(name).name).name
    return name.strip().rstrip(". \t")


def clean_filename(raw: str) -> str:
    """The last path component, normalised, with only safe characters, at most 150 long."""
    name = _visible_name(raw)
    try:
        name = get_valid_filename(name)
    except Exception:  # Django refuses names like "." or ".."
        name = ""
    name = name.strip(".") or "evidence"
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 150 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:150]
    return name


def _extension_parts(name: str) -> list[str]:
    """Every dot-separated part after the first, lower case, without surrounding spaces."""
    return [part.strip(" _\t").lower() for part in name.split(".")[1:]]


def program_extension(raw: str) -> str | None:
    """The first program or script extension found anywhere in the name, as given or as kept."""
    for name in (_visible_name(raw), clean_filename(raw)):
        for part in _extension_parts(name):
            if part in PROGRAM_EXTENSIONS:
                return part
    return None


def extension(name: str) -> str:
    """The (lower case) extension of a cleaned name, or "" when it has none."""
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def _or_list(items: Iterable[str]) -> str:
    words = [f".{item}" for item in items]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _pdf_raw_names(data: bytes) -> set[str]:
    """The names written in a PDF's bytes outside stream data, ``#xx`` escapes decoded
    (``/J#61vaScript`` is /JavaScript), whether or not the file parses."""
    outside_streams = _PDF_STREAM.sub(b" ", data)
    names = set()
    for match in _PDF_NAME.finditer(outside_streams):
        decoded = _PDF_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        names.add("/" + decoded.decode("latin-1"))
    return names


def _pdf_parsed_names(reader: PdfReader) -> set[str]:
    """Every name (key or value) in every object pypdf finds, object streams included."""
    roots: list[Any] = [reader.trailer]
    numbers = [(num, gen) for gen, entries in reader.xref.items() for num in entries]
    numbers += [(num, 0) for num in reader.xref_objStm]
    for num, gen in numbers:
        try:
            roots.append(reader.get_object(IndirectObject(num, gen, reader)))
        except Exception:  # noqa: S112 — one broken object does not hide the others
            continue
    names: set[str] = set()
    seen: set[int] = set()
    stack = roots
    while stack:
        obj = stack.pop()
        if isinstance(obj, DictionaryObject | ArrayObject):
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, DictionaryObject):
                # dict's own views: the stored keys and values, indirect references not
                # followed (every object is visited from the cross-reference table anyway);
                # an outline's own __iter__ would walk its children instead.
                names.update(str(key) for key in dict.keys(obj))
                stack.extend(dict.values(obj))
            else:
                stack.extend(list(obj))
        elif isinstance(obj, NameObject):
            names.add(str(obj))
    return names


def check_pdf(data: bytes) -> None:
    """Refuse a PDF that cannot be read, or that holds scripts, actions or other files."""
    unreadable = ValidationError(
        "This file could not be read as a PDF: it may be damaged or incomplete. Open it and "
        "save or print it again as a PDF, then attach the new copy.",
        code="pdf_unreadable",
    )
    active = _pdf_raw_names(data) & PDF_ACTIVE_NAMES.keys()
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Opened with the empty password when only changes are locked; else not checkable.
            try:
                opened = bool(reader.decrypt(""))
            except Exception:
                opened = False
            if not opened:
                raise ValidationError(
                    "This PDF is protected by a password, so it cannot be checked. Remove the "
                    "password (or print it to a new PDF) and attach that copy.",
                    code="pdf_encrypted",
                )
        if not isinstance(reader.root_object, DictionaryObject):
            raise unreadable
        active |= _pdf_parsed_names(reader) & PDF_ACTIVE_NAMES.keys()
    except ValidationError:
        raise
    except Exception as exc:  # pypdf raises many kinds of error on a broken file
        raise unreadable from exc
    if active:
        found = sorted({PDF_ACTIVE_NAMES[name] for name in active})
        listed = found[0] if len(found) == 1 else ", ".join(found[:-1]) + " and " + found[-1]
        raise ValidationError(
            f"This PDF contains {listed}, so it cannot be attached. Print it to a new PDF (for "
            "example with “Microsoft Print to PDF” or “Save as PDF”) and attach that copy.",
            code="pdf_active",
        )


def check_upload(upload: UploadedFile) -> CheckedUpload:
    """Refuse a file that is too large, whose name could run as a program, whose *content* is
    not an allowed type, whose name does not match its content, or a PDF with active content."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            f"This file is {filesizeformat(upload.size)}; the limit is {filesizeformat(limit)}.",
            code="too_large",
        )
    if not upload.size:
        raise ValidationError("This file is empty.", code="empty")
    name = clean_filename(upload.name or "")
    bad = program_extension(upload.name or "")
    if bad:
        raise ValidationError(
            f"A name with “.{bad}” in it is for a program or script, so this file cannot be "
            "attached, whatever it contains. If it is a document, photo or e-mail, rename it "
            "so that it ends only in its own type (such as “.pdf” or “.jpg”) and choose it "
            "again.",
            code="program_name",
        )
    ext = extension(name)
    upload.seek(0)
    head = upload.read(8192)
    detected = magic.from_buffer(head, mime=True)
    if detected in {"text/plain", "text/csv"}:
        # libmagic's line between the two is a guess; the name settles it.
        if ext == "csv":
            detected = "text/csv"
        elif ext in EXTENSIONS["text/plain"]:
            detected = "text/plain"
    if detected not in settings.ATTACHMENT_ALLOWED_TYPES or detected not in EXTENSIONS:
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
    allowed = EXTENSIONS[detected]
    if ext not in allowed:
        said = (
            f"ends in .{ext}, which does not match"
            if ext
            else "has no ending (such as .pdf), so it cannot be matched to"
        )
        raise ValidationError(
            f"The name “{name}” {said} what the file contains "
            f"({FRIENDLY_TYPES.get(detected, detected)}). Files like this must end in "
            f"{_or_list(allowed)}: rename it and choose it again.",
            code="extension",
        )
    if detected == "application/pdf":
        upload.seek(0)
        check_pdf(upload.read())
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(
        name=name,
        content_type=detected,
        size=upload.size,
        sha256=digest.hexdigest(),
    )
