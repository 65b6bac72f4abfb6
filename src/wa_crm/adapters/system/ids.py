"""Time-ordered ids (UUIDv7 layout), so that ids generated later sort after earlier ones."""

from __future__ import annotations

import os
import threading
import time
import uuid


class TimeOrderedIdGenerator:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._last_sequence = 0

    def new_id(self) -> str:
        with self._lock:
            ms = max(time.time_ns() // 1_000_000, self._last_ms)
            if ms == self._last_ms:
                sequence = self._last_sequence + 1  # same millisecond: count up to keep order
            else:
                sequence = int.from_bytes(os.urandom(10)) >> 7  # 73 random bits, headroom to count
            self._last_ms, self._last_sequence = ms, sequence
        rand_a, rand_b = sequence >> 62, sequence & ((1 << 62) - 1)
        value = ms << 80 | 0x7 << 76 | rand_a << 64 | 0x2 << 62 | rand_b
        return str(uuid.UUID(int=value))
