"""The ceiling for webhook ingestion: a bare Starlette endpoint that only parses the JSON."""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def webhook(request: Request) -> JSONResponse:
    json.loads(await request.body())
    return JSONResponse({"status": "stored", "detail": ""})


app = Starlette(routes=[Route("/api/webhooks/whatsapp", webhook, methods=["POST"])])
