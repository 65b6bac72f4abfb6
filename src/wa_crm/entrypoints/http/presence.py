"""An agent's event stream keeps them present (``domain/usecases/inbox/presence.py``).

Best effort: a fault while recording presence is logged and the stream goes on, since the
events matter more; a missed record only makes the agent look offline for a while.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio

from wa_crm.domain.usecases.inbox.presence import PresenceTracker

CLOSE_TIMEOUT_SECONDS = 5.0

_log = logging.getLogger("wa_crm.presence")


@dataclass(frozen=True)
class StreamPresence:
    tracker: PresenceTracker
    association_id: str
    agent_id: str

    async def opened(self) -> None:
        await self._safely(self.tracker.opened)

    async def keep(self, every: float) -> None:
        """Runs beside the stream, with its keep-alive pings, until the stream ends."""
        while True:
            await anyio.sleep(every)
            await self._safely(self.tracker.still_open)

    async def closed(self) -> None:
        """Called while the stream is being cancelled: shielded, so the record is written."""
        with anyio.move_on_after(CLOSE_TIMEOUT_SECONDS, shield=True):
            await self._safely(self.tracker.closed)

    async def _safely(self, report: Callable[[str, str], Awaitable[None]]) -> None:
        try:
            await report(self.association_id, self.agent_id)
        except Exception:
            _log.warning("presence not recorded", exc_info=True, extra={"agent_id": self.agent_id})
