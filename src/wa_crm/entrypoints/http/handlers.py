"""What the API handlers share: reading the request, and answering with a result."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from returns.result import Failure, Result, Success
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from wa_crm.container import Container
from wa_crm.domain.model.errors import DomainError
from wa_crm.entrypoints.http.auth import Caller, Handler
from wa_crm.entrypoints.http.errors import BadRequest, domain_error_response, refused_response


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


Value = TypeVar("Value")


def respond(
    result: Result[Value, DomainError], render: Callable[[Value], object], status: int = 200
) -> Response:
    match result:
        case Success(value):
            return JSONResponse(render(value), status_code=status)
        case Failure(error):
            return domain_error_response(error)
    raise AssertionError("unreachable")


def handles_bad_requests(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapped(request: Request, caller: Caller) -> Response:
        try:
            return await handler(request, caller)
        except BadRequest as problem:
            return refused_response(problem)

    return wrapped
