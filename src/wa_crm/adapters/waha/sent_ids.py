"""The WhatsApp id of a message WAHA just sent: each engine answers in its own shape.

- WEBJS: the whatsapp-web.js message, id at ``id._serialized``.
- NOWEB: the Baileys message, bare id at ``key.id`` (serialized here like WAHA's webhooks do).
- GOWS and others: ``id`` as a serialized string.
- Some builds answer with an empty body: None, and the ``message.any`` echo tells the id later.
"""

from __future__ import annotations

import json
from typing import Any


def _chat_of(remote_jid: str, fallback: str) -> str:
    user, _, server = (remote_jid or fallback).partition("@")
    user = user.split(":", 1)[0]
    return f"{user}@{'c.us' if server in ('s.whatsapp.net', '') else server}"


def sent_message_id(content: bytes, chat_id: str) -> str | None:
    try:
        data: Any = json.loads(content) if content.strip() else None
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    identifier = data.get("id")
    if isinstance(identifier, dict) and isinstance(identifier.get("_serialized"), str):
        return str(identifier["_serialized"])
    if isinstance(identifier, str) and identifier:
        return identifier
    key = data.get("key")
    if isinstance(key, dict) and isinstance(key.get("id"), str):
        from_me = "true" if key.get("fromMe", True) else "false"
        return f"{from_me}_{_chat_of(str(key.get('remoteJid') or ''), chat_id)}_{key['id']}"
    return None
