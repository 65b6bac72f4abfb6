"""Failed logins per client address and e-mail, kept in memory by each process.

After ``attempts`` failures within ``window`` seconds the key is locked for ``cool_down``
seconds from its last failure, even for the right password: guessing then goes no faster than
one try per cool-down. Once the cool-down has passed the next try is allowed, so the real agent
is locked out for a short while only, whatever an attacker keeps doing. A success forgets the
key.

The table is pruned as it is used: keys whose last failure left the window go, and it never
holds more than ``max_keys`` (those failed longest ago go first), so a flood of made-up e-mails
or addresses cannot make it grow without bound.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable


class LoginThrottle:
    def __init__(
        self,
        cool_down: float = 60.0,
        attempts: int = 5,
        window: float = 300.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cool_down, self._attempts, self._window = cool_down, attempts, window
        self._max_keys, self._clock = max_keys, clock
        # Ordered by last failure, oldest first, so pruning stops at the first key still fresh.
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def blocked(self, key: str) -> bool:
        failures, now = self._failures.get(key), self._clock()
        if not failures:
            return False
        recent = [at for at in failures if at > now - self._window]
        return len(recent) >= self._attempts and now - failures[-1] < self._cool_down

    def failed(self, key: str) -> None:
        now = self._clock()
        failures = self._failures.setdefault(key, deque(maxlen=self._attempts))
        failures.append(now)
        self._failures.move_to_end(key)
        self._prune(now)

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)

    def __len__(self) -> int:
        return len(self._failures)

    def _prune(self, now: float) -> None:
        while self._failures:
            oldest = next(iter(self._failures.values()))
            if oldest[-1] > now - self._window and len(self._failures) <= self._max_keys:
                return
            self._failures.popitem(last=False)
