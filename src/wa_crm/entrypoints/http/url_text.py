"""Refuse URLs whose path or query string decodes to a NUL character.

Path parameters (ids) and query parameters (search text, filters, cursors) reach the database
as text, and PostgreSQL refuses NUL in text with an error the handlers cannot foresee; one
check here keeps ``%00`` out of every route. Invalid UTF-8 after percent-decoding is already
replaced by U+FFFD on the way in, so NUL is the one character left to refuse.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from wa_crm.entrypoints.http.errors import error_response


class NulFreeUrls:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or b"\x00" in unquote_to_bytes(scope["query_string"])
        ):
            response = error_response(422, "invalid_input", "the URL contains a NUL character")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
