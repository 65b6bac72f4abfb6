"""The one table that turns domain errors into HTTP statuses, and the JSON error shape::

    {"error": {"code": "invalid_input", "message": "`name` is too long",
               "field": "name", "reason": "too_long", "params": {"max": 32}}}

``code`` is stable and ``message`` is English, for developers. ``field`` names the body field
or query parameter at fault, when there is one; ``reason`` (one of ``REASONS``) says what is
wrong with it, with ``params`` (limits such as ``max``). Browsers never show ``message``: they
build a sentence in the page's language from ``code``, ``field``, ``reason`` and ``params``
(the ``error_*``, ``field_*`` and ``reason_*`` strings).
"""

from __future__ import annotations

from typing import Literal, get_args

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route

from wa_crm.domain.model.errors import (
    AIUnavailable,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    UnsupportedFileType,
    UpstreamError,
)

_STATUS_BY_FAMILY: tuple[tuple[type[DomainError], int], ...] = (
    (UnsupportedFileType, 415),
    (InvalidInput, 422),
    (NotFound, 404),
    (Conflict, 409),
    (AIUnavailable, 503),
    (UpstreamError, 502),
)


Reason = Literal[
    "required",  # the field is missing or empty
    "wrong_type",  # e.g. a number where text is needed
    "too_long",  # text longer than params.max characters
    "too_short",  # text shorter than params.min characters
    "too_many",  # a list of more than params.max items
    "too_few",  # a list of fewer than params.min items
    "too_small",  # a number below params.min
    "too_large",  # a number above params.max
    "out_of_range",  # a number, time or day outside params.min .. params.max
    "invalid_format",  # not a time, a day, an address, a phone number...
    "not_allowed",  # a field or value this request does not take
    "not_storable",  # text with a NUL character or a lone surrogate
]
REASONS: tuple[str, ...] = get_args(Reason)
Params = dict[str, str | int | float]


class RefusedRequest(Exception):
    """A request the edge cannot read, refused before any use case runs::

    RefusedRequest
    ├── BadRequest    422 invalid_input: a body, field or query parameter is wrong
    ├── BodyTooLarge  413 body_too_large
    └── BodyTimedOut  408 body_timeout: the body stopped arriving

    ``field``, ``reason`` and ``params``: see the module's docstring.
    """

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        reason: Reason | None = None,
        params: Params | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.reason = reason
        self.params = params


class BadRequest(RefusedRequest):
    status = 422
    code = "invalid_input"


class BodyTooLarge(RefusedRequest):
    status = 413
    code = "body_too_large"


class BodyTimedOut(RefusedRequest):
    status = 408
    code = "body_timeout"


def error_response(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    *,
    field: str | None = None,
    reason: Reason | None = None,
    params: Params | None = None,
) -> JSONResponse:
    error: dict[str, object] = {"code": code, "message": message}
    optional = {"field": field, "reason": reason, "params": params}
    error.update({name: value for name, value in optional.items() if value is not None})
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def refused_response(refused: RefusedRequest) -> JSONResponse:
    return error_response(
        refused.status,
        refused.code,
        refused.message,
        field=refused.field,
        reason=refused.reason,
        params=refused.params,
    )


def domain_error_response(error: DomainError) -> JSONResponse:
    status = next((code for family, code in _STATUS_BY_FAMILY if isinstance(error, family)), 400)
    return error_response(status, error.code, error.message, field=error.field)


def _allowed_methods(request: Request) -> str:
    """Every method the request's path answers to. Starlette's own ``Allow`` names only the
    first route whose path matched, but one path may have a route per method (GET and PUT
    ``whatsapp``, POST ``/login`` and the GET page)."""
    methods = {
        method
        for route in request.app.routes
        if isinstance(route, Route) and route.matches(request.scope)[0] is not Match.NONE
        for method in route.methods or ()
    }
    return ", ".join(sorted(methods))


HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}
"""The codes of Starlette's own errors (no route, no such method); others are ``http_error``."""


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return error_response(exc.status_code, code, str(exc.detail), headers)


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    return error_response(500, "internal_error", "an unexpected error occurred; it was logged")


async def refused_request_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RefusedRequest)
    return refused_response(exc)
