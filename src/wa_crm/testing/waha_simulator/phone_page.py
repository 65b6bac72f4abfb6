"""`GET /_sim/phone`: a phone-like chat page where a person plays the patient."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


async def phone_page(request: Request) -> Response:
    params = request.query_params
    html = _TEMPLATES.get_template("phone.html").render(
        session=params.get("session", "default"),
        phone=params.get("phone", "5511999998888"),
        name=params.get("name", "Maria Silva"),
    )
    return HTMLResponse(html)
