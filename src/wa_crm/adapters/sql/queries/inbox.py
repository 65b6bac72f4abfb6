"""The inbox: conversations filtered and paged by activity, counts per status, their contacts,
and the canned replies.

Read-only and without row locks. The list's statement depends on which filters are set: one is
built per combination, on first use, with bind parameters (see ``execution``).

The activity is the last message's time, else the creation's. Ordering by that ``coalesce``
directly would need an expression index, which SQLAlchemy cannot reflect on SQLite (the check
that the migrations match ``tables`` would lose sight of it). So a page merges two pages read in
index order, each stopping after ``limit`` rows: conversations with a message by
``last_message_at`` (index on association, last_message_at, id; or association, status,
last_message_at, id with a status filter), and the few without one by ``created_at``. A period
(``since``/``until``) bounds the same index ranges.

Sorted by waiting longest, the waiting conversations come first from their partial index
(``ix_conversations_waiting``: association, waiting_since, id, only the rows waiting), then the
others by activity as above; the cursor says which of the two the previous page ended in.

What the list shows beside each page is read by key, one query each: the last messages by the
conversations' ``last_message_id`` (primary key, with the agent's name), the contacts by id.
The search (``inbox_search``) adds a condition: LIKE over its contacts' normalized names and
phones, and the full-text index over what messages say, bounded (see that module).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
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
from wa_crm.adapters.sql.queries.inbox_search import (
    found_by_search,
    found_by_words,
    like_pattern,
    search_parameters,
)
from wa_crm.adapters.sql.queries.read_only import ReadOnlyQueries
from wa_crm.adapters.sql.tables import (
    URGENT,
    WAITING,
    agents,
    canned_replies,
    contacts,
    conversations,
    messages,
)
from wa_crm.adapters.sql.types import UtcDateTime
from wa_crm.domain.model.canned_reply import CannedReply
from wa_crm.domain.model.conversation import Conversation, ConversationStatus
from wa_crm.domain.model.inbox_search import InboxSearch, SearchMatch
from wa_crm.domain.model.message_preview import LastMessage
from wa_crm.domain.model.people import Contact
from wa_crm.ports.queries import ContactHistory, ConversationQuery, InboxPage, InboxSort


class _Filters(NamedTuple):
    """Which filters a query sets: the shape of its statement."""

    dialect: str
    statuses: bool
    channel: bool
    assignee: bool
    unassigned: bool
    search: bool
    phone: bool
    words: bool
    label: bool
    snoozed: bool | None
    urgent: bool | None
    since: bool
    until: bool
    waiting: bool | None
    """True: only conversations waiting (the partial index's own words); False: only the
    others; None: both."""
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
    if filters.search:
        where.append(found_by_search(filters.dialect, filters.phone, filters.words))
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
    if filters.waiting:
        where.append(and_(WAITING))
    elif filters.waiting is not None:
        where.append(conversations.c.waiting_since.is_(None))
    return where


def _in_period(activity: ColumnElement[Any], filters: _Filters) -> list[ColumnElement[bool]]:
    where = []
    if filters.since:
        where.append(activity >= bindparam("since", type_=UtcDateTime))
    if filters.until:
        where.append(activity < bindparam("until", type_=UtcDateTime))
    return where


def _page(filters: _Filters, *, messaged: bool) -> Subquery:
    """Conversations with a message (``messaged``) or without, newest activity first."""
    where = _conditions(filters)
    last_message_at = conversations.c.last_message_at
    if messaged:
        activity, where = last_message_at, [*where, last_message_at.is_not(None)]
    else:
        activity, where = conversations.c.created_at, [*where, last_message_at.is_(None)]
    where += _in_period(activity, filters)
    if filters.after:
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
def _newest(filters: _Filters) -> Select[Any]:
    pages = union_all(
        *(select(_page(filters, messaged=messaged)) for messaged in (True, False))
    ).subquery()
    activity = func.coalesce(pages.c.last_message_at, pages.c.created_at)
    return (
        select(pages)
        .order_by(activity.desc(), pages.c.id.desc())
        .limit(bindparam("limit", type_=Integer))
    )


@functools.cache
def _waiting_longest(filters: _Filters) -> Select[Any]:
    """The waiting conversations, waiting longest first, from ``ix_conversations_waiting``."""
    activity = func.coalesce(conversations.c.last_message_at, conversations.c.created_at)
    where = [*_conditions(filters), *_in_period(activity, filters)]
    if filters.after:
        cursor = tuple_(bindparam("after_at", type_=UtcDateTime), bindparam("after_id"))
        where.append(tuple_(conversations.c.waiting_since, conversations.c.id) > cursor)
    return (
        select(conversations)
        .where(*where)
        .order_by(conversations.c.waiting_since, conversations.c.id)
        .limit(bindparam("limit", type_=Integer))
    )


_LAST_MESSAGES = (
    select(messages, agents.c.name.label("agent_name"))
    .select_from(messages.outerjoin(agents, agents.c.id == messages.c.agent_id))
    .where(
        messages.c.association_id == bindparam("association_id"),
        messages.c.id.in_(bindparam("message_ids", expanding=True)),
    )
)
_CONTACT = select(contacts).where(
    contacts.c.association_id == bindparam("association_id"),
    contacts.c.id == bindparam("contact_id"),
)
_HISTORY = (
    select(conversations)
    .where(
        conversations.c.association_id == bindparam("association_id"),
        conversations.c.contact_id == bindparam("contact_id"),
    )
    .order_by(conversations.c.created_at.desc(), conversations.c.id.desc())
    .limit(bindparam("limit", type_=Integer))
)
_HISTORY_AFTER = _HISTORY.where(
    tuple_(conversations.c.created_at, conversations.c.id)
    < tuple_(bindparam("after_at", type_=UtcDateTime), bindparam("after_id"))
)
_UNASSIGNED = select(func.count()).where(
    conversations.c.association_id == bindparam("association_id"),
    conversations.c.status.in_([ConversationStatus.PENDING.value, ConversationStatus.HUMAN.value]),
    conversations.c.assignee_id.is_(None),
    conversations.c.snoozed_until.is_(None),
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


class SqlInboxQueries(ReadOnlyQueries):
    async def page(self, association_id: str, query: ConversationQuery, agent_id: str) -> InboxPage:
        search = InboxSearch.parse(query.text)
        async with self._reading() as connection:
            found = await _conversations(connection, association_id, query, search)
            contact_ids = [conversation.contact_id for conversation in found]
            return InboxPage(
                conversations=found,
                contacts=await _contacts(connection, association_id, contact_ids),
                counts=await _count_by_status(connection, association_id, None),
                mine=await _count_by_status(connection, association_id, agent_id),
                unassigned=(
                    await execute(connection, _UNASSIGNED, {"association_id": association_id})
                ).scalar_one(),
                last_messages=await _last_messages(connection, association_id, found),
                matches=await _matches(connection, association_id, search, found),
            )

    async def contact_history(
        self,
        association_id: str,
        contact_id: str,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> ContactHistory | None:
        parameters: dict[str, Any] = {
            "association_id": association_id,
            "contact_id": contact_id,
            "limit": limit,
        }
        async with self._reading() as connection:
            row = (await execute(connection, _CONTACT, parameters)).mappings().first()
            if row is None:
                return None
            if after is None:
                result = await execute(connection, _HISTORY, parameters)
            else:
                bounds = {"after_at": after[0], "after_id": after[1]}
                result = await execute(connection, _HISTORY_AFTER, parameters | bounds)
            found = [mappers.conversation_from_row(row) for row in result.mappings()]
            return ContactHistory(
                contact=mappers.contact_from_row(row),
                conversations=found,
                last_messages=await _last_messages(connection, association_id, found),
            )

    async def canned_replies(
        self, association_id: str, text: str, limit: int
    ) -> Sequence[CannedReply]:
        parameters: dict[str, Any] = {"association_id": association_id, "limit": limit}
        needle = text.strip().lower()
        if needle:
            rows = await self._mappings(
                _MATCHING_REPLIES, parameters | {"pattern": like_pattern(needle)}
            )
        else:
            rows = await self._mappings(_REPLIES, parameters)
        return [CannedReply(**row) for row in rows]


async def _conversations(
    connection: AsyncConnection,
    association_id: str,
    query: ConversationQuery,
    search: InboxSearch | None,
) -> list[Conversation]:
    dialect = connection.dialect.name
    filters = _Filters(
        dialect=dialect,
        statuses=bool(query.statuses),
        channel=query.channel is not None,
        assignee=query.assignee_id is not None,
        unassigned=query.unassigned,
        search=search is not None,
        phone=search is not None and search.phone_digits is not None,
        words=search is not None and bool(search.terms),
        label=query.label is not None,
        snoozed=query.snoozed,
        urgent=query.urgent,
        since=query.since is not None,
        until=query.until is not None,
        waiting=None,
        after=False,
    )
    parameters: dict[str, Any] = {"association_id": association_id, "limit": query.limit}
    if query.statuses:
        parameters["statuses"] = [status.value for status in query.statuses]
    if query.channel is not None:
        parameters["channel"] = query.channel.value
    if query.assignee_id is not None:
        parameters["assignee_id"] = query.assignee_id
    if search is not None:
        parameters |= search_parameters(search, dialect)
    if query.label is not None:
        parameters["label"] = query.label
    if query.since is not None:
        parameters["since"] = query.since
    if query.until is not None:
        parameters["until"] = query.until
    cursor = query.after
    if cursor is not None:
        parameters["after_at"], parameters["after_id"] = cursor.at, cursor.id
    if query.sort is InboxSort.NEWEST:
        statement = _newest(filters._replace(after=cursor is not None))
        return await _read(connection, statement, parameters)
    found: list[Conversation] = []
    if cursor is None or cursor.waiting:
        statement = _waiting_longest(filters._replace(waiting=True, after=cursor is not None))
        found = await _read(connection, statement, parameters)
        cursor = None
    if len(found) < query.limit:
        rest = filters._replace(waiting=False, after=cursor is not None)
        found += await _read(
            connection, _newest(rest), parameters | {"limit": query.limit - len(found)}
        )
    return found


async def _read(
    connection: AsyncConnection, statement: Select[Any], parameters: dict[str, Any]
) -> list[Conversation]:
    result = await execute(connection, statement, parameters)
    return [mappers.conversation_from_row(row) for row in result.mappings()]


async def _last_messages(
    connection: AsyncConnection, association_id: str, found: Sequence[Conversation]
) -> dict[str, LastMessage]:
    """In one query, by the conversations' ``last_message_id`` (primary key lookups)."""
    by_message = {c.last_message_id: c.id for c in found if c.last_message_id is not None}
    if not by_message:
        return {}
    parameters = {"association_id": association_id, "message_ids": list(by_message)}
    result = await execute(connection, _LAST_MESSAGES, parameters)
    return {
        by_message[row["id"]]: LastMessage.of(mappers.message_from_row(row), row["agent_name"])
        for row in result.mappings()
    }


async def _matches(
    connection: AsyncConnection,
    association_id: str,
    search: InboxSearch | None,
    found: Sequence[Conversation],
) -> dict[str, SearchMatch]:
    if search is None or not search.terms or not found:
        return {}
    dialect = connection.dialect.name
    parameters = {
        "association_id": association_id,
        "conversation_ids": [conversation.id for conversation in found],
        "terms_query": search_parameters(search, dialect)["terms_query"],
    }
    result = await execute(connection, _found_by_words(dialect), parameters)
    said = (mappers.message_from_row(row) for row in result.mappings())
    return {message.conversation_id: SearchMatch.of(message, search) for message in said}


_found_by_words = functools.cache(found_by_words)


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
