"""Which media URLs we fetch from WAHA, and at which path of the configured server.

A webhook names the media URL, and a webhook is only as trusted as the admin who holds its
key; the download carries our ``X-Api-Key``. So a URL is fetched only as a path under
``/api/files/`` on the association's own WAHA server, in the form WAHA builds
(``/api/files/{session}/{file}``, or ``/api/files/{file}`` from older builds), for our
session only: no dot segments (plain or percent-encoded), no encoded or back slashes, no query
or fragment. Anything else would let one association read another's files or session config
(``/api/files/../sessions/other``), or WAHA paths that are not files at all.

WAHA builds the URL from its own public address (``WAHA_BASE_URL``), which may differ from the
one we reach it at, so scheme, host and anything before ``/api/files/`` are not used.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

from wa_crm.ports.whatsapp import GatewayError, GatewayErrorCode

FILES_PREFIX = "/api/files/"
# what WAHA's session names and file names (message ids: `true_5511…@c.us_3EB0…`) are made of
_SAFE_IN_SEGMENT = "@._-+=~:,"


def files_path(url: str, session: str) -> str:
    """The path to GET on the configured server; ``GatewayError(REJECTED)`` for any other URL."""
    if "?" in url or "#" in url or "\\" in url:
        raise _refused("has a query, a fragment or a backslash")
    try:
        path = urlsplit(url).path
    except ValueError as error:
        raise _refused("does not parse") from error
    start = path.find(FILES_PREFIX)
    if start < 0:
        raise _refused(f"is not under {FILES_PREFIX}")
    segments = [unquote(segment) for segment in path[start + len(FILES_PREFIX) :].split("/")]
    if not 1 <= len(segments) <= 2 or not all(map(_plain, segments)):
        raise _refused("is not one file of one session")
    if len(segments) == 2 and segments[0] != session:
        raise _refused("names another session's file")
    return FILES_PREFIX + "/".join(quote(segment, safe=_SAFE_IN_SEGMENT) for segment in segments)


def _plain(segment: str) -> bool:
    """A file or session name: not empty, not a dot segment, no slash, escape or control."""
    return (
        segment not in ("", ".", "..")
        and not any(char in "/\\%" for char in segment)
        and segment.isprintable()
    )


def _refused(why: str) -> GatewayError:
    return GatewayError(
        GatewayErrorCode.REJECTED, f"media URL {why}; only WAHA file URLs are fetched"
    )
