"""CircuitBreakerProvider: closed → open after N failures in a row → half-open probe after the
cool-down → closed on success, open again on failure. Time comes from a FakeClock."""

from __future__ import annotations

import asyncio

import pytest

from wa_crm.adapters.ai.breaker import CircuitBreakerProvider
from wa_crm.adapters.ai.fake import ScriptedProvider, ScriptExhausted
from wa_crm.ports.ai import (
    AIProviderError,
    AIProviderErrorKind,
    BotReply,
    Speaker,
    TurnMessage,
    TurnRequest,
)
from wa_crm.testing.clock import FakeClock

REQUEST = TurnRequest("prompt", "objective", (TurnMessage(Speaker.CONTACT, "oi"),))
OK = BotReply(text="Olá!")
THRESHOLD = 3
COOLDOWN = 30.0


def down(kind: AIProviderErrorKind = AIProviderErrorKind.SERVER_ERROR) -> AIProviderError:
    return AIProviderError(kind, "the provider is down")


def breaker_over(inner: ScriptedProvider, clock: FakeClock) -> CircuitBreakerProvider:
    return CircuitBreakerProvider(
        inner, clock, failure_threshold=THRESHOLD, cooldown_seconds=COOLDOWN
    )


def state(breaker: CircuitBreakerProvider) -> str:
    return breaker.state  # a str, so that mypy does not narrow it between checks


async def fail(breaker: CircuitBreakerProvider, times: int) -> list[AIProviderErrorKind]:
    kinds = []
    for _ in range(times):
        with pytest.raises(AIProviderError) as caught:
            await breaker.reply(REQUEST)
        kinds.append(caught.value.kind)
    return kinds


async def open_circuit(clock: FakeClock) -> tuple[CircuitBreakerProvider, ScriptedProvider]:
    inner = ScriptedProvider([down()] * THRESHOLD)
    breaker = breaker_over(inner, clock)
    await fail(breaker, THRESHOLD)
    assert state(breaker) == "open"
    return breaker, inner


async def test_closed_passes_replies_through() -> None:
    inner = ScriptedProvider([OK, BotReply(text="again")])
    breaker = breaker_over(inner, FakeClock())

    assert await breaker.reply(REQUEST) == OK
    assert await breaker.reply(REQUEST) == BotReply(text="again")
    assert state(breaker) == "closed"
    assert inner.requests == [REQUEST, REQUEST]


async def test_failures_below_the_threshold_pass_through_and_keep_it_closed() -> None:
    inner = ScriptedProvider([down(AIProviderErrorKind.TIMEOUT), down()])
    breaker = breaker_over(inner, FakeClock())

    kinds = await fail(breaker, THRESHOLD - 1)

    assert kinds == [AIProviderErrorKind.TIMEOUT, AIProviderErrorKind.SERVER_ERROR]
    assert state(breaker) == "closed"
    assert breaker.consecutive_failures == THRESHOLD - 1


async def test_opens_after_threshold_failures_in_a_row_and_fails_fast() -> None:
    clock = FakeClock()
    breaker, inner = await open_circuit(clock)
    inner.push(OK)  # would succeed, were it asked

    kinds = await fail(breaker, 5)

    assert kinds == [AIProviderErrorKind.CIRCUIT_OPEN] * 5
    assert len(inner.requests) == THRESHOLD  # the inner provider was not called again
    assert inner.remaining == 1
    assert state(breaker) == "open"


async def test_a_success_resets_the_count() -> None:
    inner = ScriptedProvider([down(), down(), OK, down(), down(), OK])
    breaker = breaker_over(inner, FakeClock())

    for _ in range(2):
        await fail(breaker, 2)
        assert await breaker.reply(REQUEST) == OK

    assert state(breaker) == "closed"
    assert breaker.consecutive_failures == 0


async def test_still_open_just_before_the_cooldown_ends() -> None:
    clock = FakeClock()
    breaker, inner = await open_circuit(clock)
    inner.push(OK)

    clock.advance(COOLDOWN - 0.001)

    assert state(breaker) == "open"
    assert await fail(breaker, 1) == [AIProviderErrorKind.CIRCUIT_OPEN]
    assert len(inner.requests) == THRESHOLD


async def test_after_the_cooldown_a_successful_probe_closes_it() -> None:
    clock = FakeClock()
    breaker, inner = await open_circuit(clock)
    inner.push(OK, BotReply(text="and again"))

    clock.advance(COOLDOWN)
    assert state(breaker) == "half_open"

    assert await breaker.reply(REQUEST) == OK
    assert state(breaker) == "closed"
    assert await breaker.reply(REQUEST) == BotReply(text="and again")
    assert len(inner.requests) == THRESHOLD + 2


async def test_a_failed_probe_reopens_it_for_another_cooldown() -> None:
    clock = FakeClock()
    breaker, inner = await open_circuit(clock)
    inner.push(down(AIProviderErrorKind.RATE_LIMITED), OK)
    clock.advance(COOLDOWN + 5)

    assert await fail(breaker, 1) == [AIProviderErrorKind.RATE_LIMITED]  # the probe's own error
    assert state(breaker) == "open"
    assert await fail(breaker, 1) == [AIProviderErrorKind.CIRCUIT_OPEN]
    clock.advance(COOLDOWN - 1)
    assert await fail(breaker, 1) == [AIProviderErrorKind.CIRCUIT_OPEN]
    assert len(inner.requests) == THRESHOLD + 1

    clock.advance(1)  # a full cool-down after the failed probe
    assert await breaker.reply(REQUEST) == OK
    assert state(breaker) == "closed"


class GatedProvider:
    """Answers only when the test opens the gate, to hold a probe in flight."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.calls = 0
        self.fail = True

    async def reply(self, request: TurnRequest) -> BotReply:
        self.calls += 1
        if self.fail:
            raise down()
        await self.gate.wait()
        return OK


async def test_only_one_probe_at_a_time() -> None:
    clock = FakeClock()
    inner = GatedProvider()
    breaker = CircuitBreakerProvider(inner, clock, failure_threshold=1, cooldown_seconds=10)
    with pytest.raises(AIProviderError):
        await breaker.reply(REQUEST)
    inner.fail = False
    clock.advance(10)

    probe = asyncio.create_task(breaker.reply(REQUEST))
    await asyncio.sleep(0)  # the probe is now waiting inside the inner provider
    assert state(breaker) == "half_open"
    with pytest.raises(AIProviderError) as caught:
        await breaker.reply(REQUEST)
    inner.gate.set()

    assert caught.value.kind is AIProviderErrorKind.CIRCUIT_OPEN
    assert await probe == OK
    assert inner.calls == 2
    assert state(breaker) == "closed"


async def test_a_cancelled_probe_lets_the_next_call_probe() -> None:
    clock = FakeClock()
    inner = GatedProvider()
    breaker = CircuitBreakerProvider(inner, clock, failure_threshold=1, cooldown_seconds=10)
    with pytest.raises(AIProviderError):
        await breaker.reply(REQUEST)
    inner.fail = False
    clock.advance(10)
    probe = asyncio.create_task(breaker.reply(REQUEST))
    await asyncio.sleep(0)

    probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe
    inner.gate.set()

    assert state(breaker) == "half_open"
    assert await breaker.reply(REQUEST) == OK
    assert state(breaker) == "closed"


class BuggyProvider:
    async def reply(self, request: TurnRequest) -> BotReply:
        raise RuntimeError("a bug, not an outage")


async def test_exceptions_other_than_provider_errors_do_not_count() -> None:
    breaker = CircuitBreakerProvider(BuggyProvider(), FakeClock(), failure_threshold=1)

    for _ in range(3):
        with pytest.raises(RuntimeError):
            await breaker.reply(REQUEST)

    assert state(breaker) == "closed"


@pytest.mark.parametrize(
    ("threshold", "cooldown"), [(0, 30.0), (-1, 30.0), (5, -1.0)], ids=["zero", "neg", "cool"]
)
def test_nonsense_settings_are_refused(threshold: int, cooldown: float) -> None:
    with pytest.raises(ValueError):
        CircuitBreakerProvider(ScriptedProvider(), FakeClock(), threshold, cooldown)


async def test_aclose_closes_the_inner_provider() -> None:
    class Closable(ScriptedProvider):
        closed = False

        async def aclose(self) -> None:
            self.closed = True

    inner = Closable()
    await CircuitBreakerProvider(inner, FakeClock()).aclose()
    await CircuitBreakerProvider(BuggyProvider(), FakeClock()).aclose()  # nothing to close

    assert inner.closed


async def test_the_scripted_provider_says_when_its_script_runs_out() -> None:
    inner = ScriptedProvider([OK])
    await inner.reply(REQUEST)

    with pytest.raises(ScriptExhausted, match="turn 2"):
        await inner.reply(REQUEST)
