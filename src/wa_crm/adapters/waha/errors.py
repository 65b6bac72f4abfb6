"""WAHA's failures as ``GatewayError``s (error shapes: shared WAHA notes, section 2)."""

from __future__ import annotations

import httpx

from wa_crm.ports.whatsapp import GatewayError, GatewayErrorCode

# WhatsApp's reach-out limit: a send to a contact who has not written first is refused with
# "2 UNKNOWN: server returned error 463" inside an HTTP 500. Retrying does not help.
_REACH_OUT_MARKER = "error 463"


def error_for_transport(error: httpx.HTTPError) -> GatewayError:
    if isinstance(error, httpx.TimeoutException):
        return GatewayError(
            GatewayErrorCode.TIMEOUT, f"WAHA did not answer in time ({type(error).__name__})"
        )
    return GatewayError(
        GatewayErrorCode.UNREACHABLE, f"WAHA is unreachable ({type(error).__name__})"
    )


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


def error_for_response(response: httpx.Response) -> GatewayError:
    status, text = response.status_code, response.text[:500]
    where = f"WAHA answered {status} to {response.request.method} {response.request.url.path}"
    if status in (401, 403):
        return GatewayError(GatewayErrorCode.UNAUTHORIZED, f"{where}: the API key was refused")
    if status == 404 and "session" in text.lower():
        return GatewayError(GatewayErrorCode.SESSION_NOT_FOUND, f"{where}: unknown session")
    if status == 422:
        return GatewayError(GatewayErrorCode.SESSION_NOT_READY, f"{where}: session not ready")
    if status == 429:
        return GatewayError(
            GatewayErrorCode.RATE_LIMITED,
            f"{where}: rate limited",
            retry_after=_retry_after(response),
        )
    if status >= 500 and _REACH_OUT_MARKER in text:
        return GatewayError(
            GatewayErrorCode.REACH_OUT_LIMIT,
            f"{where}: WhatsApp refuses messages to this contact until they write first (463)",
        )
    if status >= 500:
        return GatewayError(GatewayErrorCode.SERVER_ERROR, where)
    return GatewayError(GatewayErrorCode.REJECTED, f"{where}: {text[:200]}")
