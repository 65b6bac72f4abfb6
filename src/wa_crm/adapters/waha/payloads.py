"""WAHA webhook bodies as pydantic models.

The wire is looser than WAHA's spec: engines omit keys or send explicit nulls (NOWEB omits
``to`` in direct chats, GOWS sends nulls), so everything not needed to route an event is
optional, and unknown keys are kept rather than refused.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class WahaMe(_Lenient):
    id: str | None = None
    push_name: str | None = Field(None, alias="pushName")
    lid: str | None = None


class WahaEnvelope(_Lenient):
    """The envelope every webhook shares; ``payload`` is read per event type."""

    id: str = Field(min_length=1, max_length=200)
    timestamp: float | None = None
    event: str = Field(min_length=1, max_length=100)
    session: str = Field(min_length=1, max_length=200)
    me: WahaMe | None = None
    payload: dict[str, Any]
    engine: str | None = None


class WahaMedia(_Lenient):
    url: str | None = None
    mimetype: str | None = None
    filename: str | None = None
    error: Any = None


class WahaReplyTo(_Lenient):
    id: str | None = None
    body: str | None = None


class WahaLocation(_Lenient):
    latitude: float | str | None = None
    longitude: float | str | None = None
    description: str | None = None


class WahaMessage(_Lenient):
    id: str = Field(min_length=1, max_length=300)
    timestamp: float | None = None
    from_: str | None = Field(None, alias="from")
    from_me: bool = Field(False, alias="fromMe")
    source: str | None = None
    to: str | None = None
    participant: str | None = None
    body: str | None = None
    has_media: bool | None = Field(None, alias="hasMedia")
    media: WahaMedia | None = None
    reply_to: WahaReplyTo | None = Field(None, alias="replyTo")
    location: WahaLocation | None = None
    v_cards: list[str] | None = Field(None, alias="vCards")
    data: dict[str, Any] | None = Field(None, alias="_data")


class WahaAck(_Lenient):
    id: str = Field(min_length=1, max_length=300)
    ack: int
    from_: str | None = Field(None, alias="from")
    to: str | None = None
    from_me: bool | None = Field(None, alias="fromMe")


class WahaRevoked(_Lenient):
    revoked_message_id: str | None = Field(None, alias="revokedMessageId")
    after: WahaMessage | None = None
    before: WahaMessage | None = None


class WahaEdited(WahaMessage):
    edited_message_id: str | None = Field(None, alias="editedMessageId")


class WahaReactionBody(_Lenient):
    text: str = Field(max_length=64)
    message_id: str = Field(alias="messageId", min_length=1, max_length=300)


class WahaReaction(_Lenient):
    """``message.reaction`` (spec ``WAMessageReaction``): ``reaction.text`` "" removes."""

    id: str | None = None
    timestamp: float | None = None
    from_: str | None = Field(None, alias="from")
    from_me: bool = Field(False, alias="fromMe")
    to: str | None = None
    reaction: WahaReactionBody


class WahaPresence(_Lenient):
    participant: str
    last_known_presence: str = Field(alias="lastKnownPresence")


class WahaChatPresences(_Lenient):
    id: str
    presences: list[WahaPresence] = []


class WahaSessionStatus(_Lenient):
    name: str | None = None
    status: str
