"""The message bus: what follows from a committed fact, as handlers registered by fact type.

Units of work hand it the facts of what they committed (cosmicpython's message bus, for events
only). The table of handlers is wired in the container; a handler's fault is logged, not
raised: the state the fact tells of is already safe.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from wa_crm.domain.model.events import Fact

_log = logging.getLogger("wa_crm.events")

FactHandler = Callable[[Fact], Awaitable[None]]


class MessageBus:
    def __init__(self, handlers: Mapping[type[Fact], Sequence[FactHandler]]) -> None:
        self._handlers = handlers

    async def __call__(self, facts: Sequence[Fact]) -> None:
        for fact in facts:
            for handler in self._handlers.get(type(fact), ()):
                try:
                    await handler(fact)
                except Exception:
                    _log.exception("fact not handled", extra={"fact": type(fact).__name__})
