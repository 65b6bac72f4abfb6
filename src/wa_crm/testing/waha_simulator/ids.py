"""Identifiers as WAHA and WhatsApp write them: ULIDs, message ids, chat ids, QR strings."""

from __future__ import annotations

import base64
import secrets
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid(now_ms: int | None = None) -> str:
    """A ULID (uppercase, 26 chars): 48-bit ms timestamp then 80 random bits."""
    stamp = int(time.time() * 1000) if now_ms is None else now_ms
    value = (stamp << 80) | int.from_bytes(secrets.token_bytes(10), "big")
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def event_id(now_ms: int | None = None) -> str:
    """Webhook event id: `evt_` + lowercase ULID."""
    return "evt_" + ulid(now_ms).lower()


def message_hex_id() -> str:
    """A bare WhatsApp message id: random uppercase hex, 20 to 32 characters."""
    return secrets.token_hex(10 + secrets.randbelow(7)).upper()


def serialized_message_id(
    from_me: bool, chat_id: str, hex_id: str, participant: str | None = None
) -> str:
    """WAHA's id: `{fromMe}_{chatId}_{id}`, plus `_{participant}` in groups."""
    base = f"{'true' if from_me else 'false'}_{chat_id}_{hex_id}"
    return f"{base}_{participant}" if participant and is_group(chat_id) else base


def chat_of_message_id(message_id: str) -> str:
    """The chat a serialized id names (``{fromMe}_{chatId}_{id}``); "" for a bare id."""
    fields = message_id.split("_")
    return fields[1] if len(fields) >= 3 else ""


def is_group(chat_id: str) -> bool:
    return chat_id.endswith("@g.us")


def is_lid(chat_id: str) -> bool:
    return chat_id.endswith("@lid")


def digits(value: str) -> str:
    return "".join(ch for ch in value.split("@", 1)[0] if ch.isdigit())


def to_chat_id(value: str) -> str:
    """`5511...` or `5511...@s.whatsapp.net` -> `5511...@c.us`; other ids are kept."""
    if "@" not in value:
        return digits(value) + "@c.us"
    if value.endswith("@s.whatsapp.net"):
        return value.split("@", 1)[0].split(":", 1)[0] + "@c.us"
    return value


def to_jid(chat_id: str) -> str:
    """The Baileys / whatsmeow form: `@c.us` becomes `@s.whatsapp.net`."""
    if chat_id.endswith("@c.us"):
        return chat_id[: -len("@c.us")] + "@s.whatsapp.net"
    return chat_id


def qr_value() -> str:
    """Something shaped like WhatsApp's pairing string (`2@ref,noiseKey,identityKey,adv`)."""
    parts = [base64.b64encode(secrets.token_bytes(n)).decode() for n in (48, 32, 32, 32)]
    return "2@" + ",".join(parts)
