"""Circuit breakers per WAHA server and session (architecture.md section 5).

Delivery asks before each send and reports the outcome; bot turns ask whether the session is
down, and hand off to people instead of answering into a dead line; readiness and monitoring
show the state. State lives in the process: each worker learns for itself, quickly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from wa_crm.domain.model.breaker import BreakerState, CircuitBreaker
from wa_crm.ports.system import Clock
from wa_crm.ports.whatsapp import Connection, GatewayError, GatewayErrorCode

# Failures that say the WAHA server is unwell. A refused request (4xx, 463) is an answer from
# a healthy server; 429 is WAHA's rate limit, handled by waiting; a session that is missing or
# not WORKING (restarting) is waited for by ``SessionOutages``, and must not make bot turns
# hand off during a restart of a few seconds.
_UNHEALTHY = frozenset(
    {
        GatewayErrorCode.UNREACHABLE,
        GatewayErrorCode.TIMEOUT,
        GatewayErrorCode.SERVER_ERROR,
    }
)


def _key(connection: Connection) -> str:
    return f"{connection.base_url.rstrip('/')}#{connection.session}"


@dataclass
class GatewayBreakers:
    clock: Clock
    failure_threshold: int = 5
    cooldown: timedelta = timedelta(seconds=30)
    _breakers: dict[str, CircuitBreaker] = field(default_factory=dict)

    def _breaker(self, connection: Connection) -> CircuitBreaker:
        key = _key(connection)
        if key not in self._breakers:
            self._breakers[key] = CircuitBreaker(self.failure_threshold, self.cooldown)
        return self._breakers[key]

    def allow(self, connection: Connection) -> bool:
        return self._breaker(connection).allow(self.clock.now())

    def wait(self, connection: Connection) -> timedelta:
        """How long until the breaker lets a probe through (zero when it would now)."""
        retry_at = self._breaker(connection).retry_at
        return max(retry_at - self.clock.now(), timedelta(0)) if retry_at else timedelta(0)

    def state(self, connection: Connection) -> str:
        return self._breaker(connection).state(self.clock.now()).value

    def is_down(self, connection: Connection) -> bool:
        return self.state(connection) != BreakerState.CLOSED.value

    def succeeded(self, connection: Connection) -> None:
        self._breaker(connection).record_success()

    def released(self, connection: Connection) -> None:
        """A call let through ended without WAHA's answer (postponed, cancelled): the probe it
        may have been is given back, so the next call can probe."""
        self._breaker(connection).release_probe()

    def failed(self, connection: Connection, error: GatewayError) -> None:
        breaker = self._breaker(connection)
        if error.code in _UNHEALTHY:
            breaker.record_failure(self.clock.now())
        elif error.code is GatewayErrorCode.RATE_LIMITED or error.session_down:
            breaker.release_probe()
        else:
            breaker.record_success()  # a refusal is an answer: the server is up

    def states(self) -> dict[str, str]:
        now = self.clock.now()
        return {key: breaker.state(now).value for key, breaker in self._breakers.items()}
