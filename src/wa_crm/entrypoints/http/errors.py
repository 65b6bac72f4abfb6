"""The one table that turns domain errors into HTTP statuses, and the JSON error shape."""

from __future__ import annotations

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


class RefusedRequest(Exception):
    """A request the edge cannot read, refused before any use case runs::

    RefusedRequest
    ├── BadRequest    422 invalid_input: a body, field or query parameter is wrong
    ├── BodyTooLarge  413 body_too_large
    └── BodyTimedOut  408 body_timeout: the body stopped arriving
    """

    status = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def domain_error_response(error: DomainError) -> JSONResponse:
    status = next((code for family, code in _STATUS_BY_FAMILY if isinstance(error, family)), 400)
    return error_response(status, error.code, error.message)


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


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return error_response(exc.status_code, code, str(exc.detail), headers)


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    return error_response(500, "internal_error", "an unexpected error occurred; it was logged")


async def refused_request_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RefusedRequest)
    return error_response(exc.status, exc.code, exc.message)
