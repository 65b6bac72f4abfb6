"""``GET /openapi.json``: the HTTP contract, generated from the app's own route table, so a
route cannot be added without appearing here. What each route takes and answers comes from
``openapi_operations.py`` (a test checks every route is described there), the shapes from
``openapi_shapes.py``; errors are one schema everywhere."""

from __future__ import annotations

import inspect
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import wa_crm
from wa_crm.entrypoints.http.openapi_operations import HTML, JSON, OPERATIONS, Operation
from wa_crm.entrypoints.http.openapi_shapes import COMPONENTS, ERROR, STRING, Schema

AGENT_API = "/api/associations/"


def _error(description: str, *media: str) -> Schema:
    """An error answer: the JSON error object, or a page (``text/html``)."""
    content = {kind: {"schema": STRING if kind == HTML else ERROR} for kind in media or (JSON,)}
    return {"description": description, "content": content}


def _responses(route: Route, method: str, operation: Operation) -> dict[str, Schema]:
    success: Schema = {"description": "OK"}
    if operation.answer:
        success["content"] = {media: {"schema": s} for media, s in operation.answer.items()}
    responses = {str(operation.status): success}
    if operation.redirects:
        responses["303"] = {
            "description": "See the page in Location",
            "headers": {"Location": {"schema": STRING}},
        }
    # A page's own refusals are pages; the edge's (a malformed URL, say) are JSON everywhere.
    responses["4XX"] = _error("A clear error", *((HTML, JSON) if operation.html_errors else ()))
    if route.path.startswith(AGENT_API):
        responses["401"] = _error("Not logged in")
        responses["404"] = _error("Not found, or another association's")
        if getattr(route.endpoint, "requires_admin", False):
            responses["403"] = _error("Admins only")
        elif method != "GET":
            responses["403"] = _error("A cookie write without its X-CSRF-Token")
    elif operation.html_errors:
        responses["403"] = _error("Admins only", HTML)
        responses["404"] = _error("Not found, or another association's", HTML)
    if operation.upstream:
        responses["502"] = _error("WAHA failed or refused")
    return {**responses, **operation.others}


def _operation(route: Route, method: str) -> dict[str, Any]:
    doc = inspect.getdoc(route.endpoint) or route.name or ""
    summary, _, description = doc.partition("\n\n")
    described = OPERATIONS.get((method, route.path), Operation())
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": STRING}
        for name in re.findall(r"{(\w+)}", route.path)
    ] + [
        {"name": q.name, "in": "query", "schema": q.schema, "description": q.description}
        for q in described.query
    ]
    operation: dict[str, Any] = {
        "operationId": re.sub(r"[^a-z0-9]+", "_", f"{method} {route.path}".lower()).strip("_"),
        "summary": " ".join(summary.split()),
        "parameters": parameters,
        "responses": _responses(route, method, described),
    }
    if described.body:
        operation["requestBody"] = {
            "required": not described.body_optional,
            "content": {media: {"schema": s} for media, s in described.body.items()},
        }
    if description:
        operation["description"] = description
    if route.path.startswith(AGENT_API):
        operation["security"] = [{"bearer": []}, {"cookie": []}]
    elif route.path == "/api/webhooks/whatsapp":
        operation["security"] = [{"wahaHmac": []}]
    return operation


def undescribed(routes: list[Any]) -> list[tuple[str, str]]:
    """The routes ``openapi_operations.OPERATIONS`` has no entry for."""
    return [
        (method, route.path)
        for route in routes
        if isinstance(route, Route)
        for method in sorted((route.methods or set()) - {"HEAD"})
        if (method, route.path) not in OPERATIONS
    ]


def build(routes: list[Any]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if not isinstance(route, Route):
            continue
        for method in sorted((route.methods or set()) - {"HEAD"}):
            paths.setdefault(route.path, {})[method.lower()] = _operation(route, method)
    return {
        "openapi": "3.1.0",
        "info": {"title": "wa_crm", "version": wa_crm.__version__},
        "paths": paths,
        "components": {
            "schemas": COMPONENTS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "wa_crm_session"},
                "wahaHmac": {"type": "apiKey", "in": "header", "name": "X-Webhook-Hmac"},
            },
        },
    }


async def document(request: Request) -> Response:
    """This document."""
    return JSONResponse(build(request.app.routes))
