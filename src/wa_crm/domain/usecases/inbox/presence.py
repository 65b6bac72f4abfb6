"""Agents' presence: an agent is online while their inbox (its event stream) is open.

The stream reports the agent when it opens and on each keep-alive, and when it closes. The
records are in the database, so every process (and the periodic reassignment) sees them; a
process that dies without saying goodbye leaves records that expire (``ONLINE_WINDOW``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from wa_crm.domain.model.people import Agent
from wa_crm.domain.usecases.inbox.assignment import request_pass
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWorkFactory

_Key = tuple[str, str]  # (association id, agent id)


@dataclass
class PresenceTracker:
    """One per process. It counts the process's open streams per agent, so closing one of two
    tabs does not make the agent offline, and writes an agent's record at most once per
    ``throttle`` however many streams they have open. An agent coming online asks for an
    assignment pass: conversations may be waiting for them."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    throttle: timedelta = timedelta(seconds=15)
    _streams: Counter[_Key] = field(default_factory=Counter, init=False, repr=False)
    _written: dict[_Key, datetime] = field(default_factory=dict, init=False, repr=False)

    async def opened(self, association_id: str, agent_id: str) -> None:
        self._streams[association_id, agent_id] += 1
        await self._seen((association_id, agent_id), throttled=False)

    async def still_open(self, association_id: str, agent_id: str) -> None:
        await self._seen((association_id, agent_id), throttled=True)

    async def closed(self, association_id: str, agent_id: str) -> None:
        key = (association_id, agent_id)
        self._streams[key] -= 1
        if self._streams[key] > 0:
            return
        del self._streams[key]
        self._written.pop(key, None)
        async with self.uow_factory() as uow:
            await uow.assignment.left(association_id, agent_id, self.clock.now())
            await uow.commit()

    async def _seen(self, key: _Key, throttled: bool) -> None:
        now = self.clock.now()
        last = self._written.get(key)
        if throttled and last is not None and now - last < self.throttle:
            return
        self._written[key] = now
        association_id, agent_id = key
        async with self.uow_factory() as uow:
            before = next(
                (
                    p
                    for p in await uow.assignment.presence(association_id)
                    if p.agent_id == agent_id
                ),
                None,
            )
            await uow.assignment.seen(association_id, agent_id, now)
            if before is None or not before.is_online(now):
                await request_pass(uow, association_id, now)
            await uow.commit()


@dataclass(frozen=True)
class AgentAvailability:
    agent: Agent
    online: bool


@dataclass(frozen=True)
class ListAgents:
    """The association's agents, by e-mail, each with whether they are online now."""

    uow_factory: UnitOfWorkFactory
    clock: Clock

    async def __call__(self, association_id: str) -> list[AgentAvailability]:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            agents = await uow.agents.list(association_id)
            online = {
                p.agent_id
                for p in await uow.assignment.presence(association_id)
                if p.is_online(now)
            }
        return [AgentAvailability(agent, agent.id in online) for agent in agents]
