"""Finding a send that may have gone: ids fixed before a send, and our messages in a chat.

- ``GET /api/{session}/new-message-id`` answers a bare id (``NewMessageIDResponse``) that
  ``sendText`` takes back as ``id``; the message then has WAHA's serialized id
  ``true_{chatId}_{id}``, the one its webhooks and acks carry. Only NOWEB and GOWS do this
  (notes.md section 9); the other engines answer 501 (WAHA's ``NotImplementedByEngineError``).
- ``GET /api/{session}/chats/{chatId}/messages`` lists a chat's ``WAMessage``s; NOWEB refuses it
  (400) unless its store is enabled in the session's config.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from wa_crm.ports.whatsapp import OwnMessage

OWN_MESSAGES_PAGE = 50
"""Our messages since a send began: one at a time per chat, so a page is plenty."""


def serialized_own_id(chat_id: str, bare_id: str) -> str:
    return f"true_{chat_id}_{bare_id}"


def bare_id(serialized: str) -> str:
    """``true_{chatId}_{id}`` -> ``id`` (a direct chat's id has no participant part)."""
    return serialized.rsplit("_", 1)[-1]


def own_messages_query(since: datetime) -> dict[str, str]:
    """WAHA filters by whole seconds; files are not downloaded for this."""
    return {
        "limit": str(OWN_MESSAGES_PAGE),
        "sortOrder": "desc",
        "downloadMedia": "false",
        "filter.fromMe": "true",
        "filter.timestamp.gte": str(int(since.timestamp())),
    }


def own_messages_of(data: Any) -> list[OwnMessage]:
    """Our messages in a listing, however much of each ``WAMessage`` the engine filled in."""
    found = []
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict) or item.get("fromMe") is not True:
            continue
        identifier = item.get("id")
        if not isinstance(identifier, str) or not identifier:
            continue
        body = item.get("body")
        found.append(
            OwnMessage(
                identifier, body if isinstance(body, str) else "", bool(item.get("hasMedia"))
            )
        )
    return found
