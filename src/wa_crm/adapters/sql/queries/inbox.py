"""The inbox: conversations filtered and paged by activity, counts per status, their contacts,
and the canned replies.

Read-only and without row locks. The list's statement depends on which filters are set: one is
built per combination, on first use, with bind parameters (see ``execution``).

The activity is the last message's time, else the creation's. Ordering by that ``coalesce``
directly would need an expression index, which SQLAlchemy cannot reflect on SQLite (the check
that the migrations match ``tables`` would lose sight of it). So a page merges two pages read in
index order, each stopping after ``limit`` rows: conversations with a message by
``last_message_at`` (index on association, last_message_at, id; or association, status,
last_message_at, id with a status filter), and the few without one by ``created_at``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    Subquery,
    and_,
    bindparam,
    exists,
    func,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql import mappers
from wa_crm.adapters.sql.execution import execute
from wa_crm.adapters.sql.json_arrays import json_array_values
from wa_crm.adapters.sql.queries.read_only import ReadOnlyQueries
from wa_crm.adapters.sql.tables import URGENT, canned_replies, contacts, conversations
from wa_crm.adapters.sql.types import UtcDateTime
from wa_crm.domain.model.canned_reply import CannedReply
from wa_crm.domain.model.conversation import Conversation, ConversationStatus
from wa_crm.domain.model.people import Contact
from wa_crm.ports.queries import ConversationQuery, InboxPage


class _Filters(NamedTuple):
    """Which filters a query sets: the shape of its statement."""

    statuses: bool
    channel: bool
    assignee: bool
    unassigned: bool
    text: bool
    label: bool
    snoozed: bool | None
    urgent: bool | None
    after: bool


def _conditions(filters: _Filters) -> list[ColumnElement[bool]]:
    association_id: BindParameter[str] = bindparam("association_id")
    where = [conversations.c.association_id == association_id]
    if filters.statuses:
        where.append(conversations.c.status.in_(bindparam("statuses", expanding=True)))
    if filters.channel:
        where.append(conversations.c.channel == bindparam("channel"))
    if filters.assignee:
        where.append(conversations.c.assignee_id == bindparam("assignee_id"))
    if filters.unassigned:
        where.append(conversations.c.assignee_id.is_(None))
    if filters.text:
        pattern: BindParameter[str] = bindparam("pattern")
        matching = select(contacts.c.id).where(
            contacts.c.association_id == association_id,
            or_(
                func.lower(contacts.c.display_name).like(pattern, escape="\\"),
                contacts.c.phone.like(pattern, escape="\\"),
            ),
        )
        where.append(conversations.c.contact_id.in_(matching))
    if filters.label:
        labels = json_array_values(conversations.c.labels).table_valued("value")
        labelled = select(literal_column("1", Integer)).select_from(labels)
        where.append(exists(labelled.where(labels.c.value == bindparam("label"))))
    if filters.snoozed is not None:
        snoozed_until = conversations.c.snoozed_until
        where.append(snoozed_until.is_not(None) if filters.snoozed else snoozed_until.is_(None))
    if filters.urgent:
        where.append(and_(URGENT))  # the partial index's own words
    elif filters.urgent is not None:
        where.append(conversations.c.urgent.is_(False))
    return where


def _page(where: list[ColumnElement[bool]], after: bool, *, messaged: bool) -> Subquery:
    """Conversations with a message (``messaged``) or without, newest activity first."""
    last_message_at = conversations.c.last_message_at
    if messaged:
        activity, where = last_message_at, [*where, last_message_at.is_not(None)]
    else:
        activity, where = conversations.c.created_at, [*where, last_message_at.is_(None)]
    if after:
        cursor = tuple_(bindparam("after_at", type_=UtcDateTime), bindparam("after_id"))
        where.append(tuple_(activity, conversations.c.id) < cursor)
    return (
        select(conversations)
        .where(*where)
        .order_by(activity.desc(), conversations.c.id.desc())
        .limit(bindparam("limit", type_=Integer))
        .subquery()
    )


@functools.cache
def _search(filters: _Filters) -> Select[Any]:
    where = _conditions(filters)
    pages = union_all(
        *(select(_page(where, filters.after, messaged=messaged)) for messaged in (True, False))
    ).subquery()
    activity = func.coalesce(pages.c.last_message_at, pages.c.created_at)
    return (
        select(pages)
        .order_by(activity.desc(), pages.c.id.desc())
        .limit(bindparam("limit", type_=Integer))
    )


_IN_ASSOCIATION = canned_replies.c.association_id == bindparam("association_id")
_REPLIES = (
    select(canned_replies)
    .where(_IN_ASSOCIATION)
    .order_by(canned_replies.c.shortcut)
    .limit(bindparam("limit", type_=Integer))
)
_PATTERN: BindParameter[str] = bindparam("pattern")
_MATCHING_REPLIES = _REPLIES.where(
    or_(
        *(
            func.lower(column).like(_PATTERN, escape="\\")
            for column in (canned_replies.c.shortcut, canned_replies.c.title, canned_replies.c.text)
        )
    )
)


def _like_pattern(text: str) -> str:
    """``text`` anywhere, its LIKE wildcards taken literally (escape character: backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqlInboxQueries(ReadOnlyQueries):
    async def page(self, association_id: str, query: ConversationQuery, agent_id: str) -> InboxPage:
        async with self._reading() as connection:
            found = await _conversations(connection, association_id, query)
            contact_ids = [conversation.contact_id for conversation in found]
            return InboxPage(
                conversations=found,
                contacts=await _contacts(connection, association_id, contact_ids),
                counts=await _count_by_status(connection, association_id, None),
                mine=await _count_by_status(connection, association_id, agent_id),
            )

    async def canned_replies(
        self, association_id: str, text: str, limit: int
    ) -> Sequence[CannedReply]:
        parameters: dict[str, Any] = {"association_id": association_id, "limit": limit}
        needle = text.strip().lower()
        if needle:
            rows = await self._mappings(
                _MATCHING_REPLIES, parameters | {"pattern": _like_pattern(needle)}
            )
        else:
            rows = await self._mappings(_REPLIES, parameters)
        return [CannedReply(**row) for row in rows]


async def _conversations(
    connection: AsyncConnection, association_id: str, query: ConversationQuery
) -> list[Conversation]:
    text = query.text.strip().lower()
    filters = _Filters(
        statuses=bool(query.statuses),
        channel=query.channel is not None,
        assignee=query.assignee_id is not None,
        unassigned=query.unassigned,
        text=bool(text),
        label=query.label is not None,
        snoozed=query.snoozed,
        urgent=query.urgent,
        after=query.after is not None,
    )
    parameters: dict[str, Any] = {"association_id": association_id, "limit": query.limit}
    if query.statuses:
        parameters["statuses"] = [status.value for status in query.statuses]
    if query.channel is not None:
        parameters["channel"] = query.channel.value
    if query.assignee_id is not None:
        parameters["assignee_id"] = query.assignee_id
    if text:
        parameters["pattern"] = _like_pattern(text)
    if query.label is not None:
        parameters["label"] = query.label
    if query.after is not None:
        parameters["after_at"], parameters["after_id"] = query.after
    result = await execute(connection, _search(filters), parameters)
    return [mappers.conversation_from_row(row) for row in result.mappings()]


async def _count_by_status(
    connection: AsyncConnection, association_id: str, assignee_id: str | None
) -> dict[str, int]:
    where = [conversations.c.association_id == association_id]
    if assignee_id is not None:
        where.append(conversations.c.assignee_id == assignee_id)
    statement = (
        select(conversations.c.status, func.count().label("total"))
        .where(*where)
        .group_by(conversations.c.status)
    )
    counts = dict.fromkeys((status.value for status in ConversationStatus), 0)
    for row in await execute(connection, statement):
        counts[row.status] = row.total
    return counts


async def _contacts(
    connection: AsyncConnection, association_id: str, contact_ids: Sequence[str]
) -> dict[str, Contact]:
    if not contact_ids:
        return {}
    statement = select(contacts).where(
        contacts.c.association_id == association_id, contacts.c.id.in_(list(set(contact_ids)))
    )
    result = await execute(connection, statement)
    return {row["id"]: mappers.contact_from_row(row) for row in result.mappings()}
