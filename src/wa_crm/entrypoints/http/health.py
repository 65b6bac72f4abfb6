"""Liveness and readiness probes for orchestrators and load balancers."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wa_crm.container import Container, ping_database

_log = logging.getLogger("wa_crm.health")


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready or not, nothing more: anyone may ask, and association or session names would tell
    an attacker which WAHA session to aim at. Operators read the details in the logs and in
    ``/metrics``, which stays on an internal network."""
    container: Container = request.app.state.container
    try:
        await ping_database(container)
    except Exception as error:
        _log.warning("not ready: the database is unreachable (%s)", type(error).__name__)
        return JSONResponse({"status": "not_ready"}, status_code=503)
    # WAHA being down does not make this service unready: it still accepts webhooks and
    # agents' work, and delivery catches up.
    return JSONResponse({"status": "ready"})


async def metrics(request: Request) -> Response:
    container: Container = request.app.state.container
    exposition = container.metrics()
    counts = await container.queries().monitoring.job_counts()
    for status, count in counts.items():
        exposition.job_queue_depth.labels(status=status).set(count)
    for session, state in container.gateway_breakers().states().items():
        exposition.circuit_open.labels(session=session).set(0 if state == "closed" else 1)
    return Response(exposition.render(), media_type=exposition.content_type)


routes = [Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics)]
