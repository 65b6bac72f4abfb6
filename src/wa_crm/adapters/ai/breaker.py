"""``CircuitBreakerProvider``: stop calling a provider that keeps failing, then try it again.

    closed ──(failure_threshold AIProviderErrors in a row)──▶ open
    open ──(cooldown_seconds pass; the next call is the probe)──▶ half_open
    half_open ──(the probe succeeds)──▶ closed
    half_open ──(the probe fails)──▶ open, for another cool-down

While open, and while a probe is in flight, calls fail at once with ``CIRCUIT_OPEN`` and the
inner provider is not touched, so a turn does not wait out a timeout on a provider known to be
down: the orchestrator hands off with ``ai_unavailable`` straight away. Only
``AIProviderError``s count as failures; anything else is a bug and passes through untouched.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from wa_crm.ports.ai import AIProvider, AIProviderError, AIProviderErrorKind, BotReply, TurnRequest
from wa_crm.ports.system import Clock

State = Literal["closed", "open", "half_open"]


class CircuitBreakerProvider:
    def __init__(
        self,
        inner: AIProvider,
        clock: Clock,
        failure_threshold: int = 5,
        cooldown_seconds: float = 30.0,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if cooldown_seconds < 0:
            raise ValueError("cooldown_seconds must not be negative")
        self.inner = inner
        self._clock = clock
        self._threshold = failure_threshold
        self._cooldown = timedelta(seconds=cooldown_seconds)
        self._failures = 0  # consecutive
        self._opened_at: datetime | None = None
        self._probing = False

    @property
    def state(self) -> State:
        """``half_open`` once the cool-down is over (the next call probes) and during a probe."""
        if self._opened_at is None:
            return "closed"
        if self._probing or self._clock.now() >= self._opened_at + self._cooldown:
            return "half_open"
        return "open"

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    async def reply(self, request: TurnRequest) -> BotReply:
        if self._opened_at is not None:
            return await self._probe(request, self._opened_at)
        try:
            reply = await self.inner.reply(request)
        except AIProviderError:
            self._failures += 1
            if self._failures >= self._threshold:
                self._opened_at = self._clock.now()
            raise
        self._failures = 0
        return reply

    async def _probe(self, request: TurnRequest, opened_at: datetime) -> BotReply:
        retry_at = opened_at + self._cooldown
        if self._probing or self._clock.now() < retry_at:
            raise AIProviderError(
                AIProviderErrorKind.CIRCUIT_OPEN,
                f"the AI provider failed {self._failures} times in a row; "
                + ("a retry is under way" if self._probing else f"next try at {retry_at:%X} UTC"),
            )
        self._probing = True
        try:
            reply = await self.inner.reply(request)
        except AIProviderError:
            self._failures += 1
            self._opened_at = self._clock.now()
            raise
        finally:
            self._probing = False
        self._failures = 0
        self._opened_at = None
        return reply

    async def aclose(self) -> None:
        """Closes the inner provider, when it has anything to close."""
        close = getattr(self.inner, "aclose", None)
        if close is not None:
            await close()
