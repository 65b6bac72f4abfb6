"""A warning that may repeat thousands of times (WAHA retries every refused webhook up to 15
times, and a misconfigured server refuses them all) is logged once per key and minute, with how
many like it were left out since the last line."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

MAX_KEYS = 1000
"""Keys held at once: a flood of ever-new keys (sessions names are anyone's to make up) cannot
grow the memory; the oldest is dropped first."""


@dataclass
class _Window:
    started: datetime
    left_out: int = 0


class ThrottledLog:
    def __init__(self, logger: logging.Logger, window: timedelta = timedelta(minutes=1)) -> None:
        self._logger, self._window = logger, window
        self._windows: dict[tuple[str, ...], _Window] = {}

    def warning(
        self, key: tuple[str, ...], now: datetime, message: str, extra: dict[str, Any]
    ) -> bool:
        """Log unless ``key`` was logged less than a window ago; True when logged."""
        window = self._windows.get(key)
        if window is not None and now - window.started < self._window:
            window.left_out += 1
            return False
        left_out = window.left_out if window is not None else 0
        self._windows.pop(key, None)
        if len(self._windows) >= MAX_KEYS:
            del self._windows[next(iter(self._windows))]
        self._windows[key] = _Window(now)
        self._logger.warning(message, extra={**extra, "left_out_since_last": left_out})
        return True
