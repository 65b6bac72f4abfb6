"""The inbox list's query parameters, cursors and rows (``GET conversations`` and a contact's
``GET contacts/{id}/conversations``; architecture.md section 7)."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, date, datetime, time

from returns.pipeline import is_successful
from starlette.requests import Request

from wa_crm.domain.model.conversation import Channel, Conversation, ConversationStatus
from wa_crm.domain.model.inbox_search import MAX_SEARCH_CHARS, SearchMatch
from wa_crm.domain.model.message_preview import LastMessage
from wa_crm.domain.model.people import Contact
from wa_crm.domain.usecases.monitoring.statistics import default_timezone, zone
from wa_crm.entrypoints.http.auth import Caller
from wa_crm.entrypoints.http.errors import BadRequest
from wa_crm.entrypoints.http.inbox_tools import label_filter, snoozed_filter, urgent_filter
from wa_crm.entrypoints.http.json_input import require_storable
from wa_crm.entrypoints.http.query_values import EARLIEST, LATEST, moment, page_limit
from wa_crm.entrypoints.http.views import conversation_view
from wa_crm.ports.queries import ConversationQuery, InboxCursor, InboxSort

_WAITING = "waiting"
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SORTS = {sort.value: sort for sort in InboxSort}


def encode_cursor(cursor: InboxCursor) -> str:
    """``at|id``, or ``waiting|at|id`` while a page sorted by waiting ends among the waiting."""
    parts = [cursor.at.isoformat(), cursor.id]
    if cursor.waiting:
        parts.insert(0, _WAITING)
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode()


def decode_cursor(cursor: str) -> InboxCursor:
    try:
        parts = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise BadRequest(
            "cursor is not one this API gave out", field="cursor", reason="invalid_format"
        ) from error
    waiting = len(parts) == 3 and parts[0] == _WAITING
    if waiting:
        parts = parts[1:]
    if len(parts) != 2:
        raise BadRequest(
            "cursor is not one this API gave out", field="cursor", reason="invalid_format"
        )
    at, conversation_id = parts
    require_storable("cursor", conversation_id)
    return InboxCursor(moment(at, "cursor"), conversation_id, waiting)


def period_bound(request: Request, name: str, caller: Caller) -> datetime | None:
    """A ``since``/``until`` parameter: a day (the start of that day in the association's
    time zone, the one its statistics use) or an ISO 8601 time with its offset."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    if _DAY.fullmatch(raw) is None:
        return moment(raw, name)
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or not EARLIEST.date() <= day < LATEST.date():
        raise BadRequest(
            f"`{name}` must be a day from {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d} or an ISO "
            "8601 time with a time zone",
            field=name,
            reason="invalid_format",
        )
    found = zone(default_timezone(caller.identity.association))
    tz = found.unwrap() if is_successful(found) else UTC  # zones are checked when saved
    return datetime.combine(day, time(), tz)


def _statuses(raw: str) -> tuple[ConversationStatus, ...]:
    statuses = []
    for name in filter(None, raw.split(",")):
        try:
            statuses.append(ConversationStatus(name))
        except ValueError as error:
            raise BadRequest(
                f"status {name!r} is not one of bot, pending, human, resolved",
                field="status",
                reason="not_allowed",
            ) from error
    return tuple(statuses)


def conversation_query(request: Request, caller: Caller) -> ConversationQuery:
    params = request.query_params
    channel = params.get("channel") or None
    if channel is not None and channel not in {c.value for c in Channel}:
        raise BadRequest(
            f"channel {channel!r} is not one of whatsapp, web",
            field="channel",
            reason="not_allowed",
        )
    sort = params.get("sort") or InboxSort.NEWEST.value
    if sort not in _SORTS:
        raise BadRequest("sort must be newest or waiting", field="sort", reason="not_allowed")
    assignee = params.get("assignee") or None
    since, until = period_bound(request, "since", caller), period_bound(request, "until", caller)
    return ConversationQuery(
        statuses=_statuses(params.get("status", "")),
        channel=Channel(channel) if channel else None,
        assignee_id=caller.agent.id
        if assignee == "me"
        else None
        if assignee == "none"
        else assignee,
        unassigned=assignee == "none",
        text=params.get("q", "")[:MAX_SEARCH_CHARS],
        label=label_filter(params),
        snoozed=snoozed_filter(params),
        urgent=urgent_filter(params),
        since=since,
        until=until,
        sort=_SORTS[sort],
        after=decode_cursor(params["cursor"]) if params.get("cursor") else None,
        limit=page_limit(request),
    )


def list_row(
    conversation: Conversation,
    contact: Contact | None,
    last_message: LastMessage | None,
    match: SearchMatch | None,
) -> dict[str, object]:
    """A conversation as the list shows it: its view with its last message and, for a search
    that found it by a message's words, that message."""
    return conversation_view(conversation, contact) | {
        "last_message": last_message.snapshot() if last_message else None,
        "match": match.snapshot() if match else None,
    }
