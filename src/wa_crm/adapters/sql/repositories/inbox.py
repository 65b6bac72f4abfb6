"""The inbox list: conversations filtered and paged by activity, and counts per status.

Built per call (the filters vary), read-only and without row locks. The order (activity, id)
uses the index on (association_id, status, last_message_at) for the common status filters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, literal, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql import mappers
from wa_crm.adapters.sql.execution import execute
from wa_crm.adapters.sql.tables import contacts, conversations
from wa_crm.adapters.sql.types import UtcDateTime
from wa_crm.domain.model.conversation import Conversation, ConversationStatus
from wa_crm.domain.model.people import Contact
from wa_crm.ports.unit_of_work import ConversationQuery

_ACTIVITY: ColumnElement[datetime] = func.coalesce(
    conversations.c.last_message_at, conversations.c.created_at
)


def _conditions(association_id: str, query: ConversationQuery) -> list[ColumnElement[bool]]:
    where = [conversations.c.association_id == association_id]
    if query.statuses:
        where.append(conversations.c.status.in_([status.value for status in query.statuses]))
    if query.channel is not None:
        where.append(conversations.c.channel == query.channel.value)
    if query.assignee_id is not None:
        where.append(conversations.c.assignee_id == query.assignee_id)
    if query.unassigned:
        where.append(conversations.c.assignee_id.is_(None))
    text = query.text.strip().lower()
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        matching = select(contacts.c.id).where(
            contacts.c.association_id == association_id,
            or_(
                func.lower(contacts.c.display_name).like(pattern, escape="\\"),
                contacts.c.phone.like(pattern, escape="\\"),
            ),
        )
        where.append(conversations.c.contact_id.in_(matching))
    if query.after is not None:
        activity, last_id = query.after
        cursor = tuple_(literal(activity, UtcDateTime()), literal(last_id))
        where.append(tuple_(_ACTIVITY, conversations.c.id) < cursor)
    return where


async def search_conversations(
    connection: AsyncConnection, association_id: str, query: ConversationQuery
) -> Sequence[Conversation]:
    statement = (
        select(conversations)
        .where(*_conditions(association_id, query))
        .order_by(_ACTIVITY.desc(), conversations.c.id.desc())
        .limit(query.limit)
    )
    result = await execute(connection, statement)
    return [mappers.conversation_from_row(row) for row in result.mappings()]


async def count_conversations(
    connection: AsyncConnection, association_id: str, assignee_id: str | None
) -> dict[str, int]:
    where = [conversations.c.association_id == association_id]
    if assignee_id is not None:
        where.append(conversations.c.assignee_id == assignee_id)
    statement = (
        select(conversations.c.status, func.count().label("count"))
        .where(*where)
        .group_by(conversations.c.status)
    )
    counts = dict.fromkeys((status.value for status in ConversationStatus), 0)
    for row in (await execute(connection, statement)).mappings():
        counts[row["status"]] = row["count"]
    return counts


async def contacts_by_id(
    connection: AsyncConnection, association_id: str, contact_ids: Sequence[str]
) -> dict[str, Contact]:
    if not contact_ids:
        return {}
    statement = select(contacts).where(
        contacts.c.association_id == association_id, contacts.c.id.in_(list(set(contact_ids)))
    )
    result = await execute(connection, statement)
    return {row["id"]: mappers.contact_from_row(row) for row in result.mappings()}
