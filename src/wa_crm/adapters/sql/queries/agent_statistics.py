"""The reports' per-agent figures and the resolution time, computed by the database.

Medians and the 90th percentile are taken with window functions (both SQLite and PostgreSQL
have them): each value is ranked within its agent (or among all), and the middle one or two
ranks, or the nearest rank to 90%, are kept. Ranks are compared in integers only, so that no
dialect's division rounds differently: the middle of ``total`` values are the ranks with
``total <= 2 * rank <= total + 2``, and the nearest rank to 90% is the one with
``9 * total <= 10 * rank < 9 * total + 10``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Executable,
    Float,
    Integer,
    Row,
    Subquery,
    and_,
    bindparam,
    cast,
    extract,
    func,
    literal_column,
    or_,
    select,
    union,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql.execution import execute, per_dialect
from wa_crm.adapters.sql.tables import agents, conversations, handoffs, messages
from wa_crm.domain.model.message import Author
from wa_crm.domain.model.statistics import AgentFigures, Resolution

_IN_ASSOCIATION: BindParameter[str] = bindparam("association_id")


def _in_period(column: ColumnElement[Any]) -> ColumnElement[bool]:
    return and_(column >= bindparam("start"), column < bindparam("end"))


def _seconds(
    dialect: str, later: ColumnElement[Any], earlier: ColumnElement[Any]
) -> ColumnElement[Any]:
    """``later - earlier`` in seconds; SQLite's ``julianday`` keeps milliseconds."""
    if dialect == "postgresql":
        return cast(extract("epoch", later - earlier), Float)
    days = func.julianday(later) - func.julianday(earlier)
    return func.round(days * literal_column("86400000")) / literal_column("1000.0")


_AGENT_MESSAGES_IN_PERIOD = and_(
    messages.c.association_id == _IN_ASSOCIATION,
    _in_period(messages.c.created_at),
    messages.c.author == Author.AGENT.value,
    messages.c.agent_id.is_not(None),
)

_RESOLVED_IN_PERIOD = and_(
    conversations.c.association_id == _IN_ASSOCIATION,
    conversations.c.resolved_at.is_not(None),
    _in_period(conversations.c.resolved_at),
)

_SENT = (
    select(messages.c.agent_id, func.count().label("sent"))
    .where(_AGENT_MESSAGES_IN_PERIOD)
    .group_by(messages.c.agent_id)
)

_HANDLED_PAIRS = union(
    select(messages.c.agent_id, messages.c.conversation_id).where(_AGENT_MESSAGES_IN_PERIOD),
    select(conversations.c.assignee_id, conversations.c.id).where(
        _RESOLVED_IN_PERIOD, conversations.c.assignee_id.is_not(None)
    ),
).subquery()
_HANDLED = select(_HANDLED_PAIRS.c.agent_id, func.count().label("handled")).group_by(
    _HANDLED_PAIRS.c.agent_id
)

_CSAT = (
    select(
        conversations.c.assignee_id.label("agent_id"),
        func.count().label("ratings"),
        func.avg(cast(conversations.c.rating, Float)).label("average"),
    )
    .where(
        conversations.c.association_id == _IN_ASSOCIATION,
        conversations.c.rated_at.is_not(None),
        _in_period(conversations.c.rated_at),
        conversations.c.assignee_id.is_not(None),
    )
    .group_by(conversations.c.assignee_id)
)

_AGENTS = select(agents.c.id, agents.c.name, agents.c.disabled_at).where(
    agents.c.association_id == _IN_ASSOCIATION
)


def _first_response_waits(dialect: str) -> Subquery:
    """Each answered handoff of the period with the agent whose message answered it (the
    answer's time is that message's creation time)."""
    return (
        select(
            messages.c.agent_id,
            _seconds(dialect, handoffs.c.answered_at, handoffs.c.at).label("seconds"),
        )
        .distinct()
        .add_columns(handoffs.c.id)
        .select_from(handoffs)
        .join(
            messages,
            and_(
                messages.c.conversation_id == handoffs.c.conversation_id,
                messages.c.created_at == handoffs.c.answered_at,
                messages.c.association_id == handoffs.c.association_id,
                messages.c.author == Author.AGENT.value,
                messages.c.agent_id.is_not(None),
            ),
        )
        .where(
            handoffs.c.association_id == _IN_ASSOCIATION,
            _in_period(handoffs.c.at),
            handoffs.c.answered_at.is_not(None),
        )
        .subquery()
    )


def _resolution_times(dialect: str) -> Subquery:
    """Each conversation resolved in the period that people had, with its assignee and the time
    from its first handoff (else its creation) to the resolve."""
    first_handoffs = (
        select(handoffs.c.conversation_id, func.min(handoffs.c.at).label("at"))
        .where(handoffs.c.association_id == _IN_ASSOCIATION)
        .group_by(handoffs.c.conversation_id)
        .subquery()
    )
    began = func.coalesce(first_handoffs.c.at, conversations.c.created_at)
    return (
        select(
            conversations.c.assignee_id.label("agent_id"),
            _seconds(dialect, conversations.c.resolved_at, began).label("seconds"),
        )
        .select_from(conversations)
        .outerjoin(first_handoffs, first_handoffs.c.conversation_id == conversations.c.id)
        .where(
            _RESOLVED_IN_PERIOD,
            or_(conversations.c.assignee_id.is_not(None), first_handoffs.c.at.is_not(None)),
        )
        .subquery()
    )


def _percentiles(values: Subquery, by_agent: bool) -> Executable:
    """The count, median and 90th percentile of ``values.seconds``, per agent or overall."""
    partition = [values.c.agent_id] if by_agent else None
    ranked = select(
        values.c.agent_id,
        values.c.seconds,
        func.row_number().over(partition_by=partition, order_by=values.c.seconds).label("rank"),
        func.count().over(partition_by=partition).label("total"),
    )
    if by_agent:
        ranked = ranked.where(values.c.agent_id.is_not(None))
    r = ranked.subquery()
    two = literal_column("2", Integer)
    nine, ten = literal_column("9", Integer), literal_column("10", Integer)
    middle = and_(two * r.c.rank >= r.c.total, two * r.c.rank <= r.c.total + two)
    p90 = and_(ten * r.c.rank >= nine * r.c.total, ten * r.c.rank < nine * r.c.total + ten)
    columns = [
        func.max(r.c.total).label("total"),
        func.avg(r.c.seconds).filter(middle).label("median"),
        func.max(r.c.seconds).filter(p90).label("p90"),
    ]
    if by_agent:
        return select(r.c.agent_id, *columns).group_by(r.c.agent_id)
    return select(*columns)


@per_dialect
def _first_response_by_agent(dialect: str) -> Executable:
    return _percentiles(_first_response_waits(dialect), by_agent=True)


@per_dialect
def _resolution_by_agent(dialect: str) -> Executable:
    return _percentiles(_resolution_times(dialect), by_agent=True)


@per_dialect
def _resolution(dialect: str) -> Executable:
    return _percentiles(_resolution_times(dialect), by_agent=False)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


async def agent_figures(
    connection: AsyncConnection, parameters: dict[str, Any]
) -> tuple[list[AgentFigures], Resolution]:
    """Every agent who is enabled or has a figure, by name, and the resolution overall."""

    async def run(statement: Executable) -> Sequence[Row[Any]]:
        return (await execute(connection, statement, parameters)).all()

    sent = {row.agent_id: row.sent for row in await run(_SENT)}
    handled = {row.agent_id: row.handled for row in await run(_HANDLED)}
    csat = {row.agent_id: row for row in await run(_CSAT)}
    first = {row.agent_id: row.median for row in await run(_first_response_by_agent(connection))}
    resolving = {row.agent_id: row.median for row in await run(_resolution_by_agent(connection))}
    [overall] = await run(_resolution(connection))
    figures = []
    for agent in await run(_AGENTS):
        rated = csat.get(agent.id)
        one = AgentFigures(
            agent_id=agent.id,
            name=agent.name,
            handled=handled.get(agent.id, 0),
            first_response_median_seconds=_number(first.get(agent.id)),
            resolution_median_seconds=_number(resolving.get(agent.id)),
            csat_average=_number(rated.average) if rated else None,
            csat_count=rated.ratings if rated else 0,
            messages_sent=sent.get(agent.id, 0),
        )
        if agent.disabled_at is None or one != AgentFigures(agent.id, agent.name):
            figures.append(one)
    figures.sort(key=lambda one: (one.name.casefold(), one.agent_id))
    resolution = Resolution(
        resolved=overall.total or 0,
        median_seconds=_number(overall.median),
        p90_seconds=_number(overall.p90),
    )
    return figures, resolution
