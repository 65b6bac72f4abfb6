"""What a file is, read from its first bytes (its magic number), not from what its sender said.

A contact's phone or a browser declares a type; a hostile one declares ``image/jpeg`` for an
SVG or HTML page that runs script when a browser opens it on our origin. So whether a file is
shown in the browser, and what an agent may send, is decided on the bytes:

- shown inline: raster images (PNG, JPEG, GIF, WebP), audio and video, whose formats cannot
  carry script; everything else, SVG and text included, is only ever a download;
- sendable by agents: those, and documents (PDF, Office and OpenDocument files).

Formats that share one container (MP4 holds audio or video, ZIP holds a DOCX or an ODT) are
told apart by the declared type when it names a member of that family, else the family's
usual type is taken.
"""

from __future__ import annotations

INLINE_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "audio/ogg",
        "audio/mpeg",
        "audio/aac",
        "audio/mp4",
        "audio/amr",
        "audio/wav",
        "audio/webm",
        "video/mp4",
        "video/3gpp",
        "video/quicktime",
        "video/webm",
        "video/ogg",
    }
)

_OFFICE_ZIP = (
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.oasis.opendocument.",
)
_OFFICE_OLE = frozenset(
    {"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"}
)
DOCUMENT_TYPES = frozenset({"application/pdf", "application/zip"}) | _OFFICE_OLE
"""Plus every OOXML and OpenDocument type (``_OFFICE_ZIP`` prefixes)."""

# (first bytes, the family's usual type, other members the declared type may pick)
_PREFIXES: tuple[tuple[bytes, str, frozenset[str]], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png", frozenset()),
    (b"\xff\xd8\xff", "image/jpeg", frozenset()),
    (b"GIF87a", "image/gif", frozenset()),
    (b"GIF89a", "image/gif", frozenset()),
    (b"OggS", "audio/ogg", frozenset({"video/ogg"})),  # WhatsApp voice notes: Opus in Ogg
    (b"#!AMR", "audio/amr", frozenset()),
    (b"ID3", "audio/mpeg", frozenset()),
    (b"\x1a\x45\xdf\xa3", "video/webm", frozenset({"audio/webm"})),
    (b"%PDF-", "application/pdf", frozenset()),
)
_MP4_FAMILY = frozenset({"audio/mp4", "audio/aac", "video/3gpp", "video/quicktime"})
_MPEG_AUDIO_FAMILY = frozenset({"audio/aac"})


def essence(mimetype: str) -> str:
    """``Audio/OGG; codecs=opus`` -> ``audio/ogg``: the type without parameters or case."""
    return mimetype.split(";", 1)[0].strip().lower()


def identify(data: bytes, declared: str = "") -> str | None:
    """The type the bytes prove, or None when they match no format we know."""
    declared = essence(declared)

    def family(usual: str, others: frozenset[str]) -> str:
        return declared if declared in others else usual

    for prefix, usual, others in _PREFIXES:
        if data.startswith(prefix):
            return family(usual, others)
    if data[:4] == b"RIFF" and data[8:12] in (b"WEBP", b"WAVE"):
        return "image/webp" if data[8:12] == b"WEBP" else "audio/wav"
    if data[4:8] == b"ftyp":  # ISO base media: MP4, M4A, 3GP, QuickTime
        return family("video/mp4", _MP4_FAMILY)
    if len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0:  # MPEG audio frame sync
        return family("audio/mpeg", _MPEG_AUDIO_FAMILY)
    if data.startswith(b"PK\x03\x04"):
        return declared if declared.startswith(_OFFICE_ZIP) else "application/zip"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2: legacy Office files
        return declared if declared in _OFFICE_OLE else None
    return None


def shown_inline(file_type: str | None) -> bool:
    return file_type in INLINE_TYPES


def is_document(file_type: str | None) -> bool:
    return file_type is not None and (
        file_type in DOCUMENT_TYPES or file_type.startswith(_OFFICE_ZIP)
    )


def sendable(file_type: str | None) -> bool:
    """What an agent may upload: what is shown inline, and documents."""
    return shown_inline(file_type) or is_document(file_type)


def is_raster_image(file_type: str | None) -> bool:
    return shown_inline(file_type) and str(file_type).startswith("image/")


def plain_file_name(name: str) -> str:
    """The last path part, without control characters: a sender's file name is shown to the
    other side and goes into headers, where a ``/`` or a line break must not reach."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(char for char in base if char.isprintable()).strip()
    return cleaned[:120] or "file"
