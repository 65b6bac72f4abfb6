"""The monitoring page's aggregates, computed by the database.

Each reads one range of an index that holds every column it needs (see ``tables``), never the
table rows, and adds what the rollups of deleted messages hold for the period (one range of
``message_rollups``' key; see ``MessageRepository.purge_before``). Constants that appear both
in the select list and in ``GROUP BY`` are SQL literals: PostgreSQL matches a grouped
expression only when it is written the same way, and two bind parameters never are.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    Float,
    Integer,
    Row,
    bindparam,
    cast,
    extract,
    func,
    literal_column,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql.execution import execute, per_dialect
from wa_crm.adapters.sql.json_arrays import json_array_values
from wa_crm.adapters.sql.queries.agent_statistics import agent_figures
from wa_crm.adapters.sql.queries.read_only import ReadOnlyQueries
from wa_crm.adapters.sql.tables import (
    FAILED_OUTBOUND,
    NOT_WITHHELD,
    conversations,
    handoffs,
    message_rollups,
    messages,
)
from wa_crm.adapters.sql.types import UtcDateTime
from wa_crm.domain.model.message import Author, Direction
from wa_crm.domain.model.statistics import (
    AnsweredConversations,
    FirstResponse,
    HourlyMessages,
    Satisfaction,
)
from wa_crm.ports.queries import PeriodFigures

_CREATED_IN_PERIOD = [
    messages.c.association_id == bindparam("association_id"),
    messages.c.created_at >= bindparam("start"),
    messages.c.created_at < bindparam("end"),
]

_ROLLED_UP_IN_PERIOD = [
    message_rollups.c.association_id == bindparam("association_id"),
    message_rollups.c.hour >= bindparam("start"),
    message_rollups.c.hour < bindparam("end"),
]

_HANDED_OFF_IN_PERIOD = [
    handoffs.c.association_id == bindparam("association_id"),
    handoffs.c.at >= bindparam("start"),
    handoffs.c.at < bindparam("end"),
]


def _utc_hour(dialect: str, moment: ColumnElement[Any]) -> ColumnElement[Any]:
    """The UTC hour ``moment`` is in. SQLite stores naive UTC text (``YYYY-MM-DD
    HH:MM:SS.ffffff``), so its hour is the first 13 characters, which groups about twice as fast
    as ``strftime``."""
    if dialect == "postgresql":
        utc = func.timezone(literal_column("'UTC'"), moment)
        return func.date_trunc(literal_column("'hour'"), utc)
    prefix = func.substr(moment, literal_column("1"), literal_column("13"))
    return prefix.concat(literal_column("':00:00'"))


def _total(column: ColumnElement[Any], name: str) -> ColumnElement[int]:
    """A sum as an integer (PostgreSQL sums integers as ``numeric``)."""
    return cast(func.sum(column), Integer).label(name)


@per_dialect
def _hourly(dialect: str) -> Executable:
    """Messages per UTC hour: the messages' counts, then the rollups' hours written the same
    way, so that both group together."""
    hour = _utc_hour(dialect, messages.c.created_at).label("hour")
    live = (
        select(
            hour,
            func.count().filter(messages.c.direction == Direction.IN.value).label("inbound"),
            func.count().filter(messages.c.direction == Direction.OUT.value).label("outbound"),
        )
        .where(*_CREATED_IN_PERIOD)
        .group_by(hour)
    )
    rolled_up = select(
        _utc_hour(dialect, message_rollups.c.hour).label("hour"),
        message_rollups.c.inbound,
        message_rollups.c.outbound,
    ).where(*_ROLLED_UP_IN_PERIOD)
    both = union_all(live, rolled_up).subquery()
    return (
        select(
            type_coerce(both.c.hour, UtcDateTime).label("hour"),
            _total(both.c.inbound, "inbound"),
            _total(both.c.outbound, "outbound"),
        )
        .group_by(both.c.hour)
        .order_by(both.c.hour)
    )


_LIVE_AGENT_MESSAGES = (
    select(
        messages.c.conversation_id,
        func.count().filter(messages.c.author == Author.AGENT.value).label("agent_messages"),
    )
    .where(
        *_CREATED_IN_PERIOD,
        messages.c.author.in_([Author.BOT.value, Author.AGENT.value]),
    )
    .group_by(messages.c.conversation_id)
)
_ROLLED_UP_AGENT_MESSAGES = select(
    message_rollups.c.conversation_id, message_rollups.c.agent.label("agent_messages")
).where(*_ROLLED_UP_IN_PERIOD, or_(message_rollups.c.bot > 0, message_rollups.c.agent > 0))
_ANSWERING = union_all(_LIVE_AGENT_MESSAGES, _ROLLED_UP_AGENT_MESSAGES).subquery()
_AGENT_MESSAGES = (
    select(_total(_ANSWERING.c.agent_messages, "agent_messages"))
    .group_by(_ANSWERING.c.conversation_id)
    .subquery()
)
_ANSWERED = select(
    func.count().filter(_AGENT_MESSAGES.c.agent_messages > 0).label("by_humans"),
    func.count().filter(_AGENT_MESSAGES.c.agent_messages == 0).label("by_bot_only"),
)

_BY_REASON = (
    select(handoffs.c.reason, func.count().label("handoffs"))
    .where(*_HANDED_OFF_IN_PERIOD)
    .group_by(handoffs.c.reason)
)

_HANDOFF_COUNTS = select(
    func.count().filter(handoffs.c.answered_at.is_not(None)).label("answered"),
    func.count().filter(handoffs.c.answered_at.is_(None)).label("waiting"),
).where(*_HANDED_OFF_IN_PERIOD)


@per_dialect
def _middle_waits(dialect: str) -> Executable:
    """The one or two middle waits (seconds) of the answered handoffs, sorted in the database.

    SQLite's ``julianday`` has millisecond precision, so its waits are rounded to milliseconds.
    """
    wait: ColumnElement[Any]
    if dialect == "postgresql":
        wait = cast(extract("epoch", handoffs.c.answered_at - handoffs.c.at), Float)
    else:
        days = func.julianday(handoffs.c.answered_at) - func.julianday(handoffs.c.at)
        wait = func.round(days * literal_column("86400000")) / literal_column("1000.0")
    wait = wait.label("wait")
    return (
        select(wait)
        .where(*_HANDED_OFF_IN_PERIOD, handoffs.c.answered_at.is_not(None))
        .order_by(wait)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )


# The partial index's own condition: both databases then count from that small index alone.
_LIVE_FAILURES = select(func.count()).where(*_CREATED_IN_PERIOD, FAILED_OUTBOUND, NOT_WITHHELD)
_ROLLED_UP_FAILURES = select(func.coalesce(func.sum(message_rollups.c.failed), 0)).where(
    *_ROLLED_UP_IN_PERIOD
)
_FAILURES = select(_LIVE_FAILURES.scalar_subquery() + _ROLLED_UP_FAILURES.scalar_subquery())

# Labelled and rated conversations are read through their partial indexes (``tables``).
_LABELS = json_array_values(conversations.c.labels).table_valued("value").alias("label")
_BY_LABEL = (
    select(_LABELS.c.value.label("label"), func.count().label("conversations"))
    .select_from(conversations)
    .join(_LABELS, true())
    .where(
        conversations.c.association_id == bindparam("association_id"),
        conversations.c.created_at >= bindparam("start"),
        conversations.c.created_at < bindparam("end"),
        conversations.c.labels.is_not(None),
    )
    .group_by(_LABELS.c.value)
)
_SATISFACTION = select(
    func.count().label("ratings"), func.avg(cast(conversations.c.rating, Float)).label("average")
).where(
    conversations.c.association_id == bindparam("association_id"),
    conversations.c.rated_at >= bindparam("start"),
    conversations.c.rated_at < bindparam("end"),
    conversations.c.rated_at.is_not(None),
)


class SqlStatisticsQueries(ReadOnlyQueries):
    async def period(self, association_id: str, start: datetime, end: datetime) -> PeriodFigures:
        parameters = {"association_id": association_id, "start": start, "end": end}
        async with self._reading() as connection:
            run = functools.partial(_run, connection, parameters)
            hours = await run(_hourly(connection))
            [answered] = await run(_ANSWERED)
            by_reason = await run(_BY_REASON)
            [failures] = await run(_FAILURES)
            by_label = await run(_BY_LABEL)
            [satisfaction] = await run(_SATISFACTION)
            first_response = await _first_response(connection, parameters)
            by_agent, resolution = await agent_figures(connection, parameters)
        average = None if satisfaction.average is None else float(satisfaction.average)
        return PeriodFigures(
            hourly_messages=[HourlyMessages(row.hour, row.inbound, row.outbound) for row in hours],
            answered_conversations=AnsweredConversations(
                by_bot_only=answered.by_bot_only, by_humans=answered.by_humans
            ),
            handoffs_by_reason={row.reason: row.handoffs for row in by_reason},
            first_response=first_response,
            delivery_failures=int(failures[0]),
            conversations_by_label={row.label: row.conversations for row in by_label},
            satisfaction=Satisfaction(ratings=satisfaction.ratings, average=average),
            by_agent=by_agent,
            resolution=resolution,
        )


async def _first_response(connection: AsyncConnection, parameters: dict[str, Any]) -> FirstResponse:
    [counts] = await _run(connection, parameters, _HANDOFF_COUNTS)
    median = None
    if counts.answered:
        middle = {"offset": (counts.answered - 1) // 2, "limit": 2 - counts.answered % 2}
        rows = await _run(connection, parameters | middle, _middle_waits(connection))
        waits = [row[0] for row in rows]
        median = sum(waits) / len(waits)
    return FirstResponse(counts.answered, counts.waiting, median)


async def _run(
    connection: AsyncConnection, parameters: dict[str, Any], statement: Executable
) -> Sequence[Row[Any]]:
    return (await execute(connection, statement, parameters)).all()
