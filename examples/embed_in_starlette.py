"""Embedding wa_crm in another Starlette backend.

What it shows:

- The host application keeps its own routes (``GET /hello``) and mounts the whole wa_crm app
  (``wa_crm.entrypoints.http.create_app``) under its own prefix, ``/crm``. Mounting the app,
  rather than copying its routes, keeps what wa_crm needs around its routes: the session cookie
  middleware, its error handlers and ``app.state.container``.
- Everything wa_crm serves honours the prefix (the ASGI ``root_path`` the mount sets): the API
  (``/crm/api/...``), the pages (``/crm/login``, ``/crm/dashboard/{slug}/inbox``), their
  scripts and styles, redirects, the event stream and the media links in the API's answers.
- Starlette does not run a mounted app's lifespan, so the host's lifespan enters wa_crm's
  (``crm.router.lifespan_context(crm)``): that checks the database is migrated, starts the
  in-process job workers (``WA_CRM_WORKERS``) and closes connection pools at shut-down.
- The host creates an association, an admin agent and an API token in code, with the
  container's use cases (``create_association``, ``create_agent``, ``issue_api_token``): what
  ``wa-crm association create`` and ``wa-crm agent create|token`` do from the command line.

Set ``WA_CRM_PUBLIC_URL`` to ``https://host/crm`` so that WAHA calls the webhook under the
prefix. Mounting at ``/`` works too (after the host's routes, which win on equal paths).

FastAPI is Starlette underneath and works the same way (FastAPI is not a dependency of wa_crm):

    app = FastAPI(lifespan=lifespan)      # the same lifespan as below
    app.get("/hello")(hello)
    app.mount("/crm", crm)

Run it:

    .venv/bin/python examples/embed_in_starlette.py            # serves on http://127.0.0.1:8000
    .venv/bin/python examples/embed_in_starlette.py --check    # start, call a few routes, stop

then open http://127.0.0.1:8000/hello (the host) and http://127.0.0.1:8000/crm/ (wa_crm;
association ``clinic``, ``admin@clinic.example`` / ``admin-password``). Data goes to a
temporary folder unless ``--data-dir`` names one; SQLite, no other server needed.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import uvicorn
from returns.result import Failure, Success
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from wa_crm.adapters.sql import upgrade
from wa_crm.container import Container, build_container
from wa_crm.domain.model.errors import AlreadyExists
from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation
from wa_crm.entrypoints.http import create_app
from wa_crm.entrypoints.logs import configure_logging
from wa_crm.settings import Settings
from wa_crm.testing import serve_app

PREFIX = "/crm"
SLUG = "clinic"
ADMIN_EMAIL = "admin@clinic.example"
ADMIN_PASSWORD = "admin-password"


async def hello(request: Request) -> Response:
    """The host application's own route."""
    return JSONResponse({"app": "host", "message": "hello from the host application"})


async def set_up_association(container: Container) -> str:
    """Create the association and its admin (once), and return a new API token for the admin."""
    created = await container.create_association()(NewAssociation(SLUG, "Clínica Exemplo"))
    match created:
        case Success(association):
            print(f"created association {association.slug} ({association.id})")
            agent = await container.create_agent()(
                NewAgent(SLUG, ADMIN_EMAIL, "Admin", "admin", ADMIN_PASSWORD)
            )
            print(f"created admin {agent.unwrap().email}")
        case Failure(AlreadyExists()):
            print(f"association {SLUG} already exists")
        case Failure(error):
            raise RuntimeError(error.message)
    token: str = (await container.issue_api_token()(SLUG, ADMIN_EMAIL)).unwrap()
    return token


def build_host_app(settings: Settings) -> Starlette:
    """The host application, with wa_crm mounted in it."""
    container = build_container(settings)
    crm = create_app(container)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await upgrade(settings.database_url)  # or `wa-crm db upgrade` when deploying
        async with crm.router.lifespan_context(crm):  # wa_crm's start-up and shut-down
            app.state.api_token = await set_up_association(container)
            yield

    return Starlette(
        routes=[Route("/hello", hello), Mount(PREFIX, app=crm)],
        lifespan=lifespan,
    )


def settings_for(data_dir: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{data_dir / 'wa_crm.db'}",
        media_dir=str(data_dir / "media"),
        secret_key="example-secret-key-change-me-0123456789",  # WA_CRM_SECRET_KEY in production
        log_level="WARNING",
    )


async def check(app: Starlette) -> None:
    """Serve the host app on a free port, call the host's route and wa_crm's, and sign in to
    wa_crm's pages as a browser does."""
    async with serve_app(app) as url, httpx.AsyncClient(base_url=url) as http:
        bearer = {"Authorization": f"Bearer {app.state.api_token}"}
        for path, headers in [
            ("/hello", {}),
            (f"{PREFIX}/healthz", {}),
            (f"{PREFIX}/api/associations/{SLUG}/conversations", bearer),
            (f"{PREFIX}/api/associations/{SLUG}/bot", bearer),
        ]:
            response = await http.get(path, headers=headers)
            response.raise_for_status()
            print(f"GET {path} -> {response.status_code} {str(response.json())[:70]}")
        inbox = f"{PREFIX}/dashboard/{SLUG}/inbox"
        to_login = await http.get(inbox)
        print(f"GET {inbox} -> {to_login.status_code} {to_login.headers['location']}")
        credentials = {"association": SLUG, "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        signed_in = await http.post(f"{PREFIX}/login", data=credentials)
        print(f"POST {PREFIX}/login -> {signed_in.status_code} {signed_in.headers['location']}")
        page = await http.get(inbox)
        scripts = sorted(set(re.findall(r'<script src="([^"]+?)/v/[^"]*"', page.text)))
        print(f"GET {inbox} -> {page.status_code}, scripts from {', '.join(scripts)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="where the SQLite file goes")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--check", action="store_true", help="start, call a few routes, stop")
    args = parser.parse_args(argv)
    # wa_crm's logging masks phone numbers and redacts secrets; a host with its own logging
    # setup should keep those processors (see wa_crm.entrypoints.logs).
    configure_logging("console", "WARNING")
    with tempfile.TemporaryDirectory(prefix="wa_crm_embed_") as scratch:
        data_dir = args.data_dir or Path(scratch)
        app = build_host_app(settings_for(data_dir))
        if args.check:
            asyncio.run(check(app))
        else:
            uvicorn.run(app, host="127.0.0.1", port=args.port, log_config=None)


if __name__ == "__main__":
    main()
