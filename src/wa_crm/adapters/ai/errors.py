"""The AI providers' failures as ``AIProviderError``s, shared by the OpenAI and Anthropic adapters.

What becomes what (kinds of ``wa_crm.ports.ai.AIProviderErrorKind``):

    httpx.TimeoutException, HTTP 408 ................. TIMEOUT
    other httpx.HTTPError (refused, reset, DNS), ...... UNREACHABLE
      an unusable base URL
    401, 403 .......................................... UNAUTHORIZED
    429 ............................................... RATE_LIMITED
    5xx (Anthropic's 529 "overloaded" included) ....... SERVER_ERROR
    any other status outside 2xx ...................... REJECTED     (unknown model, too large)
    2xx whose body is not a completion / message ...... BAD_REPLY    (not JSON, no choices)

Messages name the provider, the status and the provider's error type or code. The provider's
own error message is included only when it quotes neither the API key nor the prompt (servers
echo what they were sent: "Incorrect API key provided: ...", "invalid value: '...'"); bodies of
2xx answers are never quoted, since they hold the model's words about the contact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import httpx

from wa_crm.ports.ai import AIProviderError, AIProviderErrorKind

_WITHHELD = "(its message is withheld: it quotes the request)"
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
# a quoted fragment shorter than this could be a coincidence ("ok", "sim"), so is not looked for
_MIN_FRAGMENT = 8
_FRAGMENT = 24


def error_for_transport(provider: str, error: Exception) -> AIProviderError:
    """``error`` is an ``httpx.HTTPError`` or ``httpx.InvalidURL``; only its type is named, as
    its text can carry the URL."""
    if isinstance(error, httpx.TimeoutException):
        return AIProviderError(
            AIProviderErrorKind.TIMEOUT,
            f"{provider} did not answer in time ({type(error).__name__})",
        )
    return AIProviderError(
        AIProviderErrorKind.UNREACHABLE, f"{provider} is unreachable ({type(error).__name__})"
    )


def error_for_response(
    provider: str,
    response: httpx.Response,
    *,
    api_key: str | None = None,
    withhold: Iterable[str] = (),
) -> AIProviderError:
    """An error for a response outside 2xx; ``withhold``: every text of the prompt."""
    status = response.status_code
    label, message = _describe(response.text)
    where = f"{provider} answered {status}" + (f" ({label})" if label else "")
    if message:
        where += f": {_safe(message, api_key, withhold)}"
    if status in (401, 403):
        return AIProviderError(AIProviderErrorKind.UNAUTHORIZED, where)
    if status == 408:
        return AIProviderError(AIProviderErrorKind.TIMEOUT, where)
    if status == 429:
        return AIProviderError(AIProviderErrorKind.RATE_LIMITED, where)
    if status >= 500:
        return AIProviderError(AIProviderErrorKind.SERVER_ERROR, where)
    return AIProviderError(AIProviderErrorKind.REJECTED, where)


def bad_reply(provider: str, what: str) -> AIProviderError:
    """A 2xx answer that is not what the API promises; ``what`` says what is wrong, never
    quoting the body."""
    return AIProviderError(AIProviderErrorKind.BAD_REPLY, f"{provider} answered {what}")


def _describe(text: str) -> tuple[str, str]:
    """(type or code, message) of an error body in OpenAI's ``{"error": {...}}``, Anthropic's
    ``{"type": "error", "error": {...}}`` or Ollama's ``{"error": "..."}`` shape."""
    try:
        body: Any = json.loads(text)
    except ValueError:
        return "", " ".join(text.split())[:300]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):
        return "", error
    if not isinstance(error, dict):
        return "", ""
    labels = [
        value
        for value in (error.get("type"), error.get("code"))
        if isinstance(value, str) and _IDENTIFIER.match(value)
    ]
    message = error.get("message")
    return "/".join(dict.fromkeys(labels)), message if isinstance(message, str) else ""


def _safe(message: str, api_key: str | None, withhold: Iterable[str]) -> str:
    flat = " ".join(message.split())
    if api_key and api_key in message:
        return _WITHHELD
    for text in withhold:
        for fragment in _fragments(text):
            if fragment in flat:
                return _WITHHELD
    return flat[:200] + ("..." if len(flat) > 200 else "")


def _fragments(text: str) -> Iterable[str]:
    """The start and end of every line long enough to be recognised if quoted."""
    for line in text.splitlines():
        flat = " ".join(line.split())
        if len(flat) >= _MIN_FRAGMENT:
            yield flat[:_FRAGMENT]
            yield flat[-_FRAGMENT:]
