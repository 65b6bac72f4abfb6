"""WAHA's failures as ``GatewayError``s (error shapes: shared WAHA notes, section 2).

What becomes what (codes of ``wa_crm.ports.whatsapp.GatewayErrorCode``):

    httpx.TimeoutException ........................... TIMEOUT            retryable
    other httpx.HTTPError (refused, reset, DNS) ....... UNREACHABLE        retryable
    401, 403 .......................................... UNAUTHORIZED
    404 "We didn't find a session with name ..." ...... SESSION_NOT_FOUND
    422 "Session status is not as expected" ........... SESSION_NOT_READY  retryable
    422 "WAHA Core support only 'default' session" .... ONLY_DEFAULT_SESSION
    429 (Retry-After -> retry_after) .................. RATE_LIMITED       retryable
    5xx with "error 463" .............................. REACH_OUT_LIMIT    (permanent)
    501 (the engine lacks the method) ................. REJECTED
    other 5xx ......................................... SERVER_ERROR       retryable
    any other 4xx ..................................... REJECTED
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

import httpx

from wa_crm.ports.whatsapp import GatewayError, GatewayErrorCode

# WhatsApp's reach-out limit: a send to a contact who has not written first is refused with
# "2 UNKNOWN: server returned error 463" inside an HTTP 500. Retrying does not help.
_REACH_OUT_MARKER = "error 463"
# The 422 WAHA answers when a session is not in the status an endpoint needs (after waiting 5 s)
_STATUS_MISMATCH = "status is not as expected"
# Core's 422 for any session name but `default` (WAHA's src/core/manager.core.ts)
_ONLY_DEFAULT = "only 'default' session"
# The 422 for starting a running session (shared/waha/recorded/exchanges.jsonl): it runs already
ALREADY_STARTED = "is already started"


def error_for_transport(error: httpx.HTTPError) -> GatewayError:
    if isinstance(error, httpx.TimeoutException):
        return GatewayError(
            GatewayErrorCode.TIMEOUT, f"WAHA did not answer in time ({type(error).__name__})"
        )
    return GatewayError(
        GatewayErrorCode.UNREACHABLE, f"WAHA is unreachable ({type(error).__name__})"
    )


def error_for_response(response: httpx.Response) -> GatewayError:
    status, text = response.status_code, response.text
    where = f"WAHA answered {status} to {response.request.method} {response.request.url.path}"
    message = _message(text)
    if status in (401, 403):
        return GatewayError(GatewayErrorCode.UNAUTHORIZED, f"{where}: the API key was refused")
    # an unknown route also answers 404 ("Cannot GET /api/sessions/x/y"): not a missing session
    if status == 404 and "session" in message.lower() and not message.startswith("Cannot "):
        return GatewayError(GatewayErrorCode.SESSION_NOT_FOUND, f"{where}: {message[:200]}")
    if status == 422 and _STATUS_MISMATCH in text:
        return GatewayError(GatewayErrorCode.SESSION_NOT_READY, f"{where}: {message[:200]}")
    if status == 422 and _ONLY_DEFAULT in message:
        return GatewayError(
            GatewayErrorCode.ONLY_DEFAULT_SESSION,
            f"{where}: WAHA Core runs only the session named default",
        )
    if status == 429:
        return GatewayError(
            GatewayErrorCode.RATE_LIMITED,
            f"{where}: rate limited",
            retry_after=_retry_after(response),
        )
    # the whole body is searched: the marker sits in `exception.message`, wherever WAHA puts it
    if status >= 500 and _REACH_OUT_MARKER in text:
        return GatewayError(
            GatewayErrorCode.REACH_OUT_LIMIT,
            f"{where}: WhatsApp refuses messages to this contact until they write first (463)",
        )
    # WAHA's NotImplementedByEngineError (src/core/exceptions.ts): asking again cannot help
    if status >= 500 and status != HTTPStatus.NOT_IMPLEMENTED:
        return GatewayError(GatewayErrorCode.SERVER_ERROR, f"{where}: {message[:200]}")
    return GatewayError(GatewayErrorCode.REJECTED, f"{where}: {message[:200]}")


def _message(text: str) -> str:
    """The human part of WAHA's error body (`message`, `error` or `exception.message`), on one
    line (WAHA's 404 for a missing session spans two)."""
    return " ".join(_message_text(text).split())


def _message_text(text: str) -> str:
    try:
        body: Any = json.loads(text)
    except ValueError:
        return text.strip()
    if not isinstance(body, dict):
        return text.strip()
    exception = body.get("exception")
    candidates = [
        body.get("message"),
        body.get("error"),
        exception.get("message") if isinstance(exception, dict) else None,
    ]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate:
            return candidate
        if isinstance(candidate, list) and candidate:  # Nest's validation messages
            return "; ".join(str(item) for item in candidate)
    return text.strip()


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP date (RFC 9110)."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)
