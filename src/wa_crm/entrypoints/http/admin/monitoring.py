"""Monitoring reads: statistics, recent alerts, the agents and the audit log (read-only)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from wa_crm.domain.model.statistics import Statistics
from wa_crm.domain.usecases.monitoring.audit import READS, AuditPage
from wa_crm.domain.usecases.monitoring.statistics import StatisticsRequest
from wa_crm.entrypoints.http.auth import Caller, agent_route
from wa_crm.entrypoints.http.handlers import container_of, handles_bad_requests, respond
from wa_crm.entrypoints.http.query_values import numeric_cursor, page_limit, query_day, query_time
from wa_crm.ports.queries import AuditQuery


def _statistics_view(stats: Statistics) -> dict[str, Any]:
    return {
        "from": stats.first_day.isoformat(),
        "to": stats.last_day.isoformat(),
        "timezone": stats.timezone,
        "messages_by_day": [
            {"day": day.day.isoformat(), "inbound": day.inbound, "outbound": day.outbound}
            for day in stats.messages_by_day
        ],
        "answered": {
            "by_bot_only": stats.answered.by_bot_only,
            "by_humans": stats.answered.by_humans,
        },
        "handoffs_by_reason": stats.handoffs_by_reason,
        "first_response": {
            "answered": stats.first_response.answered,
            "waiting": stats.first_response.waiting,
            "median_seconds": stats.first_response.median_seconds,
        },
        "delivery_failures": stats.delivery_failures,
        "labels": stats.conversations_by_label,
        "satisfaction": {
            "ratings": stats.satisfaction.ratings,
            "average": stats.satisfaction.average,
        },
        "by_agent": [
            {
                "agent_id": one.agent_id,
                "name": one.name,
                "handled": one.handled,
                "first_response_median_seconds": one.first_response_median_seconds,
                "resolution_median_seconds": one.resolution_median_seconds,
                "csat_average": one.csat_average,
                "csat_count": one.csat_count,
                "messages_sent": one.messages_sent,
            }
            for one in stats.by_agent
        ],
        "resolution": {
            "resolved": stats.resolution.resolved,
            "median_seconds": stats.resolution.median_seconds,
            "p90_seconds": stats.resolution.p90_seconds,
        },
    }


@agent_route(admin=True)
@handles_bad_requests
async def get_stats(request: Request, caller: Caller) -> Response:
    """Statistics for local days `from`..`to` (dates) in `tz` (IANA zone; default the
    business-hours zone, else the locale's: São Paulo for pt-BR); the default period is the
    last 30 days. With the reports: each agent's figures and the resolution time."""
    stats_request = StatisticsRequest(
        caller.identity.association,
        first_day=query_day(request, "from"),
        last_day=query_day(request, "to"),
        timezone=request.query_params.get("tz") or None,
    )
    result = await container_of(request).compute_statistics()(stats_request)
    return respond(result, _statistics_view)


@agent_route(admin=True)
@handles_bad_requests
async def list_alerts(request: Request, caller: Caller) -> Response:
    """Recent alerts (session down, dead letters), newest first."""
    limit = page_limit(request)
    monitoring = container_of(request).queries().monitoring
    alerts = await monitoring.recent_alerts(caller.association_id, limit)
    return JSONResponse(
        {
            "items": [
                {"kind": alert.kind, "message": alert.message, "at": alert.at.isoformat()}
                for alert in alerts
            ]
        }
    )


@agent_route()
async def list_agents(request: Request, caller: Caller) -> Response:
    """The association's agents: id, name, role, whether they are online (their inbox is
    open) and whether an admin disabled them; admins also see e-mails. Every agent may read
    it: the inbox offers it to assign a conversation."""
    agents = await container_of(request).list_agents()(caller.association_id)
    return JSONResponse(
        {
            "items": [
                {
                    "id": a.agent.id,
                    "name": a.agent.name,
                    "role": a.agent.role.value,
                    "online": a.online,
                    "disabled": a.agent.is_disabled,
                    **({"email": a.agent.email} if caller.agent.is_admin else {}),
                }
                for a in agents
            ]
        }
    )


def _audit_query(request: Request) -> AuditQuery:
    return AuditQuery(
        start=query_time(request, "from"),
        end=query_time(request, "to"),
        actor=request.query_params.get("actor") or None,
        before_id=numeric_cursor(request),
        limit=page_limit(request),
    )


def _audit_view(page: AuditPage) -> dict[str, Any]:
    return {
        "items": [
            {
                "actor": entry.actor,
                "actor_name": page.agent_names.get(entry.actor),
                "action": entry.action.value,
                "read": entry.action in READS,
                "target_type": entry.target_type,
                "target_id": entry.target_id,
                "target_name": page.target_names.get(entry.target_id)
                if entry.target_type in ("contact", "conversation")
                else None,
                "at": entry.at.isoformat(),
                "details": entry.details,
            }
            for _, entry in page.entries
        ],
        "next_cursor": str(page.next_before_id) if page.next_before_id else None,
    }


@agent_route(admin=True)
@handles_bad_requests
async def list_audit(request: Request, caller: Caller) -> Response:
    """The audit log, newest first: `from` (inclusive) and `to` (exclusive) are ISO times with
    a time zone, `actor` an agent id (or `system`); cursor pagination. No route changes it."""
    query = _audit_query(request)
    page = await container_of(request).read_audit_log()(caller.association_id, query)
    return JSONResponse(_audit_view(page))
