"""Stored files as HTTP responses that cannot run script on our origin.

Contacts choose a file's bytes, its declared type and its name. A file the browser renders as a
document (SVG, HTML, anything sniffed as such) would run script with the agent's session, so:

- only raster images, audio and video whose bytes prove it (``file_types``) are served inline,
  with the proven type; everything else is an attachment, a PDF or Office document as itself,
  the rest as ``application/octet-stream``;
- every answer says ``X-Content-Type-Options: nosniff`` and carries a CSP that sandboxes it,
  should a browser render it anyway;
- the file name (WhatsApp's often has emoji or CJK characters) goes out as RFC 6266
  ``filename*`` in UTF-8 with an ASCII fallback, without path separators or control characters.
"""

from __future__ import annotations

import unicodedata
from typing import Literal
from urllib.parse import quote

from starlette.responses import Response

from wa_crm.domain.model.file_types import identify, is_document, plain_file_name, shown_inline

SANDBOX = "sandbox; default-src 'none'"
_FALLBACK_NAME = "file"


def stored_file_response(data: bytes, declared_type: str, filename: str | None) -> Response:
    proven = identify(data, declared_type)
    inline = shown_inline(proven)
    media_type = proven if proven and (inline or is_document(proven)) else None
    return Response(
        data,
        media_type=media_type or "application/octet-stream",
        headers={
            "Content-Disposition": content_disposition(
                "inline" if inline else "attachment", filename
            ),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": SANDBOX,
            "Cache-Control": "private, max-age=3600",
        },
    )


def content_disposition(disposition: Literal["inline", "attachment"], filename: str | None) -> str:
    name = plain_file_name(filename or "")
    fallback = _ascii_name(name)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _ascii_name(name: str) -> str:
    """For clients without ``filename*``: accents dropped, anything else non-ASCII or special
    to the quoted string becomes ``_``."""
    decomposed = unicodedata.normalize("NFKD", name)
    unaccented = "".join(char for char in decomposed if not unicodedata.combining(char))
    ascii_name = "".join(
        char if char.isascii() and char.isprintable() and char not in '"\\;%' else "_"
        for char in unaccented
    )
    return ascii_name.strip() or _FALLBACK_NAME
