"""``GET /openapi.json``: the HTTP contract, generated from the app's own route table, so a
route cannot be added without appearing here (a test checks every route is documented)."""

from __future__ import annotations

import inspect
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import wa_crm

_ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def _operation(route: Route, method: str) -> dict[str, Any]:
    doc = inspect.getdoc(route.endpoint) or route.name or ""
    summary, _, description = doc.partition("\n\n")
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", route.path)
    ]
    operation: dict[str, Any] = {
        "operationId": f"{method.lower()}_{route.name}",
        "summary": " ".join(summary.split()),
        "parameters": parameters,
        "responses": {
            "200": {"description": "OK"},
            "4XX": {
                "description": "A clear error",
                "content": {"application/json": {"schema": _ERROR}},
            },
        },
    }
    if description:
        operation["description"] = description
    if route.path.startswith("/api/associations/"):
        operation["security"] = [{"bearer": []}, {"cookie": []}]
        operation["responses"]["401"] = {"description": "Not logged in"}
        operation["responses"]["404"] = {"description": "Not found, or another association's"}
        if getattr(route.endpoint, "requires_admin", False):
            operation["responses"]["403"] = {"description": "Admins only"}
    elif route.path == "/api/webhooks/whatsapp":
        operation["security"] = [{"wahaHmac": []}]
    return operation


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
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "wa_crm_session"},
                "wahaHmac": {"type": "apiKey", "in": "header", "name": "X-Webhook-Hmac"},
            }
        },
    }


async def document(request: Request) -> Response:
    """This document."""
    return JSONResponse(build(request.app.routes))
