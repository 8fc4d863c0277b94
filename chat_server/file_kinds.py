"""What an uploaded file is, told from its bytes: never from its name or the browser's claim.

puremagic reads the magic numbers; it cannot tell a .docx from a .pptx or from a plain zip
(it guesses among them at equal confidence), so zips are opened and their inner structure
decides: `[Content_Types].xml` with `word/`, `xl/` or `ppt/` is Office Open XML, a first
`mimetype` entry is OpenDocument, anything else is an archive. Old Office files are OLE
containers; the name of their main stream says Word or Excel. Text is valid UTF-8 (or UTF-16
with its BOM) without NUL bytes, and a text named .csv that the csv module can read is CSV.

Nothing that can run script in a browser is ever accepted: HTML, SVG, XML and JavaScript are
refused whatever their name, and text is served as text/plain (attachments.download).
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

import puremagic

# The kinds chat.attachments_kinds may name, as the operator and the reader see them.
KINDS: tuple[str, ...] = ("image", "pdf", "office", "csv", "text", "archive")

# What the file inputs offer (their `accept`), per kind: extensions and types together,
# because browsers differ in which of the two they match.
ACCEPT: dict[str, str] = {
    "image": "image/png,image/jpeg,image/gif,image/webp",
    "pdf": "application/pdf,.pdf",
    "office": ".docx,.xlsx,.pptx,.odt,.ods,.doc,.xls",
    "csv": "text/csv,.csv",
    "text": "text/plain,.txt,.log,.md",
    "archive": ".zip,.7z,.gz,application/zip,application/x-7z-compressed,application/gzip",
}

# puremagic's answer → (kind, the type we serve). Only these pass; zips and OLE are looked
# into below. The images are checked against their header again (`_HEADERS`): puremagic may
# also match at other offsets.
_MAGIC_TYPES: dict[str, tuple[str, str]] = {
    "image/png": ("image", "image/png"),
    "image/jpeg": ("image", "image/jpeg"),
    "image/gif": ("image", "image/gif"),
    "image/webp": ("image", "image/webp"),
    "application/pdf": ("pdf", "application/pdf"),
    "application/x-7z-compressed": ("archive", "application/x-7z-compressed"),
    "application/x-gzip": ("archive", "application/gzip"),
    "application/gzip": ("archive", "application/gzip"),
}
_HEADERS: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"), "image/webp": (b"RIFF",),
    "application/pdf": (b"%PDF-",), "application/x-7z-compressed": (b"7z\xbc\xaf\x27\x1c",),
    "application/gzip": (b"\x1f\x8b",),
}
_OOXML = (("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
          ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
          ("ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"))
_ODF = ("application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE_STREAMS = (("WordDocument".encode("utf-16-le"), "application/msword"),
                ("Workbook".encode("utf-16-le"), "application/vnd.ms-excel"),
                ("Book".encode("utf-16-le"), "application/vnd.ms-excel"))
# Names that a browser would run or render as a page, whatever the bytes look like.
_SCRIPT_NAMES = (".html", ".htm", ".xhtml", ".svg", ".xml", ".js", ".mjs", ".xsl")


@dataclass(frozen=True)
class Detected:
    kind: str  # one of KINDS
    content_type: str  # what download() serves it as


def detect(data: bytes, name: str) -> Detected | None:
    """The file's kind and type, or None when it is none we accept."""
    if not data:  # no kind at all (and puremagic raises ValueError on it)
        return None
    if data.startswith(b"PK\x03\x04"):
        return _zip(data)
    if data.startswith(_OLE):
        return _ole(data)
    found = _magic(data)
    if found is not None:
        return found
    return _text(data, name)


def _magic(data: bytes) -> Detected | None:
    try:
        mime = puremagic.from_string(data, mime=True)
    except puremagic.PureError:
        return None
    known = _MAGIC_TYPES.get(mime)
    if known is None:
        return None
    kind, content_type = known
    if not data.startswith(_HEADERS[content_type]):
        return None
    if content_type == "image/webp" and data[8:12] != b"WEBP":
        return None
    return Detected(kind, content_type)


def _zip(data: bytes) -> Detected | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            first = archive.infolist()[0] if names else None
            mimetype = archive.read(first).strip() if (
                first is not None and first.filename == "mimetype"
                and first.file_size < 200) else b""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError):
        return None  # a broken zip is nothing anyone could open
    if "[Content_Types].xml" in names:
        for folder, content_type in _OOXML:
            if any(n.startswith(folder) for n in names):
                return Detected("office", content_type)
    if mimetype.decode("ascii", "replace") in _ODF:
        return Detected("office", mimetype.decode("ascii"))
    return Detected("archive", "application/zip")


def _ole(data: bytes) -> Detected | None:
    for stream, content_type in _OLE_STREAMS:
        if stream in data:
            return Detected("office", content_type)
    return None  # an installer, an Outlook message...: not an Office document


def _decoded(data: bytes) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return None
        return None if "\x00" in text else text
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _text(data: bytes, name: str) -> Detected | None:
    text = _decoded(data)
    if text is None or not text.strip():
        return None
    lower = name.lower()
    # Markup a browser could render (HTML, SVG, XML) begins with "<"; script has its name.
    if lower.endswith(_SCRIPT_NAMES) or text.lstrip().startswith("<"):
        return None
    # Served as the bytes came: a UTF-16 file says so, or the browser would show mojibake.
    charset = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8"
    if lower.endswith(".csv") and _is_csv(text):
        return Detected("csv", f"text/csv; charset={charset}")
    return Detected("text", f"text/plain; charset={charset}")


def _is_csv(text: str) -> bool:
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        rows = list(csv.reader(io.StringIO(sample), dialect))
    except csv.Error:
        return False
    return bool(rows) and max(len(row) for row in rows) > 1


def offered(kinds: tuple[str, ...]) -> dict[str, object]:
    """What the welcome frames tell the widget and the page: the kinds that pass and the
    file inputs' `accept` for them."""
    return {"kinds": list(kinds), "accept": ",".join(ACCEPT[kind] for kind in kinds)}
