"""``ScriptedProvider``: an AIProvider for use-case tests that answers from a script."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from wa_crm.ports.ai import AIProviderError, BotReply, TurnRequest


class ScriptExhausted(AssertionError):
    """The test asked for more turns than it scripted; not an ``AIProviderError``, so that the
    orchestrator's fallback cannot hide it."""


class ScriptedProvider:
    """Returns (or raises) the scripted items in order and records every request, in
    ``requests``."""

    def __init__(self, replies: Iterable[BotReply | AIProviderError] = ()) -> None:
        self._script: deque[BotReply | AIProviderError] = deque(replies)
        self.requests: list[TurnRequest] = []

    def push(self, *replies: BotReply | AIProviderError) -> None:
        self._script.extend(replies)

    @property
    def remaining(self) -> int:
        return len(self._script)

    async def reply(self, request: TurnRequest) -> BotReply:
        self.requests.append(request)
        if not self._script:
            raise ScriptExhausted(f"no scripted reply left for turn {len(self.requests)}")
        item = self._script.popleft()
        if isinstance(item, AIProviderError):
            raise item
        return item

    async def aclose(self) -> None:
        return None
