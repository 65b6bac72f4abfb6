"""The one reader of JSON request bodies, so every route refuses the same bad input with a 422
instead of failing later: nesting deep enough to exhaust the parser's recursion, text that a
database cannot store (PostgreSQL refuses NUL characters; a lone surrogate such as ``"\\ud800"``,
which JSON may escape, cannot be encoded at all) and numbers no JSON answer can carry back
(``NaN``, ``Infinity``, ``1e999``).

The WhatsApp webhook reads its own bodies: WAHA's events are cleaned rather than refused.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import Request

from wa_crm.entrypoints.http.errors import BadRequest

MAX_DEPTH = 32  # our bodies nest two or three levels; the parser's own limit is near 1000


async def json_body(request: Request) -> dict[str, Any]:
    """The body as a JSON object within the limits above."""
    document = parse_json(await request.body())
    if not isinstance(document, dict):
        raise BadRequest("the body must be a JSON object")
    return document


def parse_json(raw: bytes) -> Any:
    try:
        document = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise BadRequest(f"the body nests deeper than {MAX_DEPTH} levels") from None
    except ValueError:  # not JSON, not UTF-8, or an integer longer than 4300 digits
        raise BadRequest("the body is not JSON") from None
    _check_nodes(document)
    return document


def only_fields(body: dict[str, Any], *names: str) -> dict[str, Any]:
    """The body, refused when it has a field not in ``names`` (each named, cut to 40
    characters: a hostile key is not echoed back whole)."""
    unknown = sorted(set(body) - set(names))
    if unknown:
        raise BadRequest(
            f"unknown fields: {', '.join(name[:40] for name in unknown)}",
            field=unknown[0][:40],
            reason="not_allowed",
        )
    return body


def text_field(body: dict[str, Any], name: str, default: str | None = None) -> str:
    """The body's text field ``name``; required unless a ``default`` is given."""
    value = body.get(name, default)
    if value is None:
        raise BadRequest(f"`{name}` must be a string", field=name, reason="required")
    if not isinstance(value, str):
        raise BadRequest(f"`{name}` must be a string", field=name, reason="wrong_type")
    return value


def require_storable(where: str, text: str) -> None:
    """Refuse text with a NUL character or a lone surrogate, naming where it was."""
    field = where.split(".")[0].split(" ")[0]
    if "\x00" in text:
        raise BadRequest(f"`{where}` contains a NUL character", field=field, reason="not_storable")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest(
                f"`{where}` contains an unpaired surrogate (\\ud800-\\udfff), not Unicode text",
                field=field,
                reason="not_storable",
            ) from None


def _check_nodes(document: Any) -> None:
    """Walk the document without recursion, bounding its depth and checking every string."""
    pending: list[tuple[str, Any, int]] = [("body", document, 0)]
    while pending:
        where, node, depth = pending.pop()
        if isinstance(node, str):
            require_storable(where, node)
            continue
        if not isinstance(node, dict | list):
            continue
        if depth == MAX_DEPTH:
            raise BadRequest(f"the body nests deeper than {MAX_DEPTH} levels")
        for key, value in node.items() if isinstance(node, dict) else enumerate(node):
            if isinstance(key, str):
                require_storable(f"{where} (one of its keys)", key)
            name = str(key)[:40]
            pending.append((name if where == "body" else f"{where}.{name}", value, depth + 1))


def _no_constant(name: str) -> float:
    raise BadRequest(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise BadRequest(f"{text[:20]} is too large a number")
    return number
