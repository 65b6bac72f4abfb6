"""What the API handlers share: reading the request, and answering with a result."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from returns.result import Failure, Result, Success
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from wa_crm.container import Container
from wa_crm.domain.model.errors import DomainError
from wa_crm.entrypoints.http.auth import Caller
from wa_crm.entrypoints.http.errors import domain_error_response, error_response

MAX_PAGE = 100


class BadRequest(Exception):
    """A query parameter or body field the caller got wrong: 422 with this message."""


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def page_limit(request: Request, default: int = 50) -> int:
    raw = request.query_params.get("limit", str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_PAGE}")
    return int(raw)


def query_time(request: Request, name: str) -> datetime | None:
    """An ISO 8601 time with a time zone from the query string, if given."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise BadRequest(f"{name} must be an ISO 8601 time with a time zone")
    return moment


async def json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as error:
        raise BadRequest("the body must be a JSON object") from error
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def respond(result: Result[Any, DomainError], render: Any, status: int = 200) -> Response:
    match result:
        case Success(value):
            return JSONResponse(render(value), status_code=status)
        case Failure(error):
            return domain_error_response(error)
    raise AssertionError("unreachable")


def handles_bad_requests(handler: Any) -> Any:
    @functools.wraps(handler)
    async def wrapped(request: Request, caller: Caller) -> Response:
        try:
            return await handler(request, caller)  # type: ignore[no-any-return]
        except BadRequest as problem:
            return error_response(422, "invalid_input", str(problem))

    return wrapped
