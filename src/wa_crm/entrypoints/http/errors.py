"""The one table that turns domain errors into HTTP statuses, and the JSON error shape."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from wa_crm.domain.model.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    UpstreamError,
)

_STATUS_BY_FAMILY: tuple[tuple[type[DomainError], int], ...] = (
    (InvalidInput, 422),
    (NotFound, 404),
    (Conflict, 409),
    (UpstreamError, 502),
)


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def domain_error_response(error: DomainError) -> JSONResponse:
    status = next((code for family, code in _STATUS_BY_FAMILY if isinstance(error, family)), 400)
    return error_response(status, error.code, error.message)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail))


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    return error_response(500, "internal_error", "an unexpected error occurred; it was logged")
