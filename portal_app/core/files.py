"""File names and media types: what bytes really are, safe names to keep and to send.

The name is never trusted for the type: magic numbers decide.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile

from portal_app.core.errors import ValidationError
from portal_app.core.i18n import N_, gettext
from portal_app.core.settings import Settings, get_settings

MAX_NAME = 200
PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CSV = "text/csv"
TEXT = "text/plain"


# Each detected type: its label and the extensions a name of that type may keep.
TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    PDF: ("PDF", (".pdf",)),
    PNG: (N_("PNG image"), (".png",)),
    JPEG: (N_("JPEG image"), (".jpg", ".jpeg")),
    GIF: (N_("GIF image"), (".gif",)),
    XLSX: (N_("Excel sheet"), (".xlsx",)),
    DOCX: (N_("Word document"), (".docx",)),
    CSV: ("CSV", (".csv",)),
    TEXT: (N_("Text"), (".txt",)),
}
PREVIEW = {PDF: "pdf", PNG: "image", JPEG: "image", GIF: "image"}


# Media types a browser may show inline (preview); everything else is always an attachment.
INLINE_TYPES = frozenset(PREVIEW)
_PATH_CHARS = re.compile(r"[/\\\x00-\x1f\x7f:]")
_TEXT_SAMPLE = 64 * 1024


def detect_media_type(data: bytes) -> str | None:
    """The media type the bytes really are (magic numbers), or None when not one we know.

    The name is never consulted: a PNG called 'invoice.pdf' is a PNG.
    """
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if data.startswith(b"PK\x03\x04"):
        return _office_type(data)
    return _text_type(data)


def _office_type(data: bytes) -> str | None:
    # XLSX and DOCX are ZIPs told apart by their main part; any other ZIP is refused.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "xl/workbook.xml" in names:
        return XLSX
    if "word/document.xml" in names:
        return DOCX
    return None


def _text_type(data: bytes) -> str | None:
    sample = data[:_TEXT_SAMPLE]
    if not sample or b"\x00" in sample:
        return None
    try:
        # A cut in the middle of a multi-byte character is fine; anything else is binary.
        text = sample.decode("utf-8", errors="strict" if len(data) <= _TEXT_SAMPLE else "ignore")
    except UnicodeDecodeError:
        return None
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n\f" for ch in text):
        return None
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if len(lines) >= 2:
        widths: set[int]
        try:
            widths = {len(row) for row in csv.reader(lines)}
        except csv.Error:
            widths = set()
        if len(widths) == 1 and widths.pop() > 1:
            return CSV
    return TEXT


def type_label(media_type: str) -> str:
    """What the UI calls a media type, e.g. 'PNG image' (in the current language)."""
    label = TYPES.get(media_type, (media_type, ()))[0]
    return gettext(label) if media_type in TYPES else label


def allowed_types(settings: Settings | None = None) -> set[str]:
    """The media types documents may have (DOCUMENTS_ALLOWED_TYPES)."""
    settings = settings or get_settings()
    return {part.strip() for part in settings.documents_allowed_types.split(",") if part.strip()}


def clean_name(name: str, media_type: str) -> str:
    """The name to keep for a file: refused (ValidationError) when it has path characters;
    its extension made to match the detected type so a download never pretends to be
    something else."""
    # Format characters (bidi overrides such as U+202E, zero-width joiners) are dropped: they
    # make "invoice\u202efdp.exe" read as "invoiceexe.pdf".
    name = "".join(
        ch for ch in unicodedata.normalize("NFC", name or "") if unicodedata.category(ch) != "Cf"
    ).strip()
    if not name or name in (".", "..") or _PATH_CHARS.search(name) or ".." in name:
        raise ValidationError(
            "file", gettext("The file name may not contain folders, '..' or control characters.")
        )
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = stem.strip(" .") or "document"
    extensions = TYPES.get(media_type, ("", ("",)))[1]
    ext = f".{ext.lower()}" if ext else ""
    if ext not in extensions:
        ext = extensions[0]
    return stem[: MAX_NAME - len(ext)] + ext


def download_filename(name: str) -> str:
    """An ASCII-safe version of a document name for the Content-Disposition fallback."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    safe_ext = safe_name_part(ext, "")
    return safe_name_part(ascii_stem, "document") + (f".{safe_ext}" if safe_ext else "")


def format_size(size: int) -> str:
    """'512 B', '12.3 KB', '4.0 MB'."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME_PART = 60


def safe_name_part(text: str, fallback: str) -> str:
    """`text` reduced to [A-Za-z0-9._-] (no leading dots), or `fallback` when nothing is left."""
    cleaned = _UNSAFE.sub("_", text or "").strip("._-")[:MAX_NAME_PART].strip("._-")
    return cleaned or fallback
