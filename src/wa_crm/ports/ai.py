"""The AI provider: one bot turn in, one structured reply out."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class BotAction(StrEnum):
    NONE = "none"
    HANDOFF = "handoff"
    OBJECTIVE_COMPLETE = "objective_complete"


@dataclass(frozen=True)
class TurnMessage:
    role: str  # "contact" or "assistant"
    text: str


@dataclass(frozen=True)
class TurnRequest:
    system_prompt: str
    objective: str
    history: tuple[TurnMessage, ...]
    context: dict[str, Any] = field(default_factory=dict)
    model: str = ""


@dataclass(frozen=True)
class BotReply:
    text: str
    action: BotAction = BotAction.NONE
    reason: str = ""
    collected: dict[str, Any] = field(default_factory=dict)
    attachments: tuple[str, ...] = ()


class AIProviderError(Exception):
    """The provider failed (timeout, 429, 5xx, an answer that is not a reply)."""


class AIProvider(Protocol):
    async def reply(self, request: TurnRequest) -> BotReply:
        """Raises AIProviderError when no reply can be had; the caller hands off."""
        ...
