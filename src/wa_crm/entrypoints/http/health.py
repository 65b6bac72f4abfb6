"""Liveness and readiness probes for orchestrators and load balancers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wa_crm.container import Container, ping_database


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    container: Container = request.app.state.container
    checks: dict[str, object] = {}
    try:
        await ping_database(container)
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"unreachable: {type(error).__name__}"
    ready = checks["database"] == "ok"
    sessions = (
        [
            {
                "association": health.association,
                "session": health.session,
                "status": health.status,
                "since": health.since.isoformat() if health.since else None,
                "circuit": health.circuit,
                "degraded": health.degraded,
            }
            for health in await container.describe_sessions()()
        ]
        if ready
        else []
    )
    # WAHA being down does not make this service unready: it still accepts webhooks and
    # agents' work, and delivery catches up. The sessions are listed so operators see it.
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks, "sessions": sessions},
        status_code=200 if ready else 503,
    )


async def metrics(request: Request) -> Response:
    container: Container = request.app.state.container
    exposition = container.metrics()
    async with container.uow_factory()() as uow:
        counts = await uow.jobs.count_by_status()
    for status, count in counts.items():
        exposition.job_queue_depth.labels(status=status).set(count)
    for session, state in container.gateway_breakers().states().items():
        exposition.circuit_open.labels(session=session).set(0 if state == "closed" else 1)
    return Response(exposition.render(), media_type=exposition.content_type)


routes = [Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics)]
