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

from datetime import timedelta

from wa_crm.domain.model.breaker import BreakerState, CircuitBreaker
from wa_crm.ports.ai import AIProvider, AIProviderError, AIProviderErrorKind, BotReply, TurnRequest
from wa_crm.ports.system import Clock


class CircuitBreakerProvider:
    def __init__(
        self,
        inner: AIProvider,
        clock: Clock,
        failure_threshold: int = 5,
        cooldown_seconds: float = 30.0,
    ) -> None:
        self.inner = inner
        self._clock = clock
        self._breaker = CircuitBreaker(failure_threshold, timedelta(seconds=cooldown_seconds))

    @property
    def state(self) -> str:
        return self._breaker.state(self._clock.now()).value

    @property
    def consecutive_failures(self) -> int:
        return self._breaker.failures

    async def reply(self, request: TurnRequest) -> BotReply:
        breaker = self._breaker
        if not breaker.allow(self._clock.now()):
            retry_at = breaker.retry_at
            under_way = breaker.state(self._clock.now()) is BreakerState.HALF_OPEN
            raise AIProviderError(
                AIProviderErrorKind.CIRCUIT_OPEN,
                f"the AI provider failed {breaker.failures} times in a row; "
                + ("a retry is under way" if under_way else f"next try at {retry_at:%X} UTC"),
            )
        try:
            reply = await self.inner.reply(request)
        except AIProviderError:
            breaker.record_failure(self._clock.now())
            raise
        except BaseException:
            breaker.release_probe()
            raise
        breaker.record_success()
        return reply

    async def aclose(self) -> None:
        """Closes the inner provider, when it has anything to close."""
        close = getattr(self.inner, "aclose", None)
        if close is not None:
            await close()
