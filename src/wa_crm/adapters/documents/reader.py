"""``DocumentFileReader``: the DocumentReader port for Markdown, plain text, PDF and DOCX.

The kind comes from the file's extension, else its content type, and the bytes must agree
(a PDF starts with ``%PDF-``, a DOCX is a ZIP): a file of another kind, or one that says it is
a PDF and is not, is refused before any parser sees it. Markdown and text must be UTF-8; a PDF
gives the text of its pages (pypdf), a DOCX its paragraphs and tables in order, headings as
Markdown headings so the passages keep them (python-docx). Each refusal is an
``UnreadableDocument`` with a stable ``code`` the caller turns into the admin's language.

A small file may hold far more than it weighs: a PDF's pages are read only until the text
passes ``max_chars`` (the caller refuses a longer text anyway), and a DOCX whose parts unpack
to more than ``MAX_UNPACKED_BYTES`` is refused (``too_large``) before any XML is parsed.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from enum import Enum

import docx
import pypdf
from docx.table import Table
from docx.text.paragraph import Paragraph

from wa_crm.domain.usecases.knowledge.limits import MAX_TEXT
from wa_crm.ports.knowledge import UnreadableDocument

_log = logging.getLogger(__name__)


class _Kind(Enum):
    TEXT = "text"
    PDF = "pdf"
    DOCX = "docx"


_BY_EXTENSION = {
    "md": _Kind.TEXT,
    "markdown": _Kind.TEXT,
    "txt": _Kind.TEXT,
    "text": _Kind.TEXT,
    "pdf": _Kind.PDF,
    "docx": _Kind.DOCX,
}
_BY_CONTENT_TYPE = {
    "text/markdown": _Kind.TEXT,
    "text/x-markdown": _Kind.TEXT,
    "text/plain": _Kind.TEXT,
    "application/pdf": _Kind.PDF,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _Kind.DOCX,
}
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""A Compound File: an old .doc, or a password-protected DOCX (Office wraps those in one)."""
_BLANK_LINES = re.compile(r"\n{3,}")
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
"""A DOCX of 200,000 characters of text unpacks to a few megabytes; far more is a ZIP bomb."""


class DocumentFileReader:
    def __init__(self, max_chars: int = MAX_TEXT) -> None:
        self._max_chars = max_chars

    def text_of(self, filename: str, content_type: str, content: bytes) -> str:
        kind = _kind_of(filename, content_type)
        if kind is _Kind.TEXT:
            text = _plain_text(content)
        elif kind is _Kind.PDF:
            text = _pdf_text(content, self._max_chars)
        else:
            text = _docx_text(content)
        cleaned = _BLANK_LINES.sub("\n\n", text.replace("\r\n", "\n").replace("\x00", "")).strip()
        if not cleaned:
            raise UnreadableDocument(f"no text in the {kind.value} file", "no_text")
        return cleaned


def _kind_of(filename: str, content_type: str) -> _Kind:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    media_type = content_type.split(";", 1)[0].strip().lower()
    kind = _BY_EXTENSION.get(extension) or _BY_CONTENT_TYPE.get(media_type)
    if kind is None:
        raise UnreadableDocument(
            f"not a kind we read (.{extension or '?'}, {media_type or 'no type'})",
            "unsupported_type",
        )
    return kind


def _plain_text(content: bytes) -> str:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableDocument("a text file that is not UTF-8", "not_utf8") from None
    if "\x00" in text:
        raise UnreadableDocument("a text file with NUL bytes (binary, or UTF-16)", "not_utf8")
    return text


def _pdf_text(content: bytes, max_chars: int) -> str:
    if not content.startswith(b"%PDF-"):
        raise UnreadableDocument("a .pdf that is not a PDF", "unsupported_type")
    try:
        reader = pypdf.PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableDocument("a PDF protected by a password", "encrypted")
        pages: list[str] = []
        read = 0
        for page in reader.pages:
            if read > max_chars:
                break  # already too long to be stored: the rest need not be parsed
            pages.append(page.extract_text() or "")
            read += len(pages[-1])
        return "\n\n".join(pages)
    except UnreadableDocument:
        raise
    except Exception as error:  # pypdf raises many kinds on damaged files; all mean "damaged"
        _log.info("PDF not read", extra={"error": type(error).__name__})
        raise UnreadableDocument("a damaged PDF", "damaged") from None


def _docx_text(content: bytes) -> str:
    if content.startswith(_OLE):
        raise UnreadableDocument(
            "a Compound File, not a DOCX (a protected DOCX, or an old .doc)", "encrypted"
        )
    if not content.startswith(_ZIP):
        raise UnreadableDocument("a .docx that is not a DOCX", "unsupported_type")
    if _unpacked_size(content) > MAX_UNPACKED_BYTES:
        raise UnreadableDocument("a DOCX that unpacks to far more than its text", "too_large")
    try:
        document = docx.Document(io.BytesIO(content))
        return "\n\n".join(_docx_blocks(document.iter_inner_content()))
    except Exception as error:  # a ZIP that is not a Word document, or a damaged one
        _log.info("DOCX not read", extra={"error": type(error).__name__})
        raise UnreadableDocument("a damaged DOCX", "damaged") from None


def _unpacked_size(content: bytes) -> int:
    """What the ZIP's parts say they unpack to (0 for a ZIP too damaged to list: the DOCX
    parser then refuses it as damaged)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return sum(part.file_size for part in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        return 0


def _docx_blocks(content: Iterator[Paragraph | Table]) -> Iterator[str]:
    """Paragraphs (headings as Markdown headings) and tables (a row a line), in order."""
    for block in content:
        if isinstance(block, Table):
            rows = [" | ".join(cell.text.strip() for cell in row.cells) for row in block.rows]
            yield "\n".join(row for row in rows if row.strip(" |"))
            continue
        text = block.text.strip()
        style = block.style.name if block.style is not None else ""
        level = _heading_level(style or "")
        yield f"{'#' * level} {text}" if level and text else text


def _heading_level(style: str) -> int:
    """``Title`` is 1, ``Heading 2`` is 2; other styles 0."""
    if style == "Title":
        return 1
    match = re.fullmatch(r"Heading (\d)", style)
    return min(int(match.group(1)), 6) if match else 0
