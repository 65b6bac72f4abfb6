"""Browser sessions kept server-side, so that they can end before their cookie does.

- A login opens a session for ``lifetime`` (12 hours by default). Its random id travels only in
  the signed session cookie; storage keeps its digest, so a copy of the database lets no one in.
- Logout ends the session; a password change ends the agent's other sessions and disabling the
  agent ends all of them (``credentials``). A copied cookie stops working with its session.
- Each association has a ``prune_sessions`` job that deletes expired sessions every hour, so the
  table holds only sessions that could still be used.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from wa_crm.domain.model.credentials import BrowserSession
from wa_crm.domain.model.job_codec import new_job
from wa_crm.domain.model.job_commands import PruneSessions
from wa_crm.domain.model.jobs import Attempt, NewJob
from wa_crm.domain.usecases.access.auth import Identity
from wa_crm.domain.usecases.access.setup import hash_token
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWorkFactory


@dataclass(frozen=True)
class BrowserSessions:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    lifetime: timedelta = timedelta(hours=12)

    async def open(self, identity: Identity) -> str:
        """A new session for the agent; returns its id, for the cookie only."""
        session_id = secrets.token_urlsafe(32)
        now = self.clock.now()
        session = BrowserSession(
            id_hash=hash_token(session_id),
            association_id=identity.association.id,
            agent_id=identity.agent.id,
            created_at=now,
            expires_at=now + self.lifetime,
        )
        async with self.uow_factory() as uow:
            await uow.agents.add_session(session)
            await uow.commit()
        return session_id

    async def close(self, session_id: str) -> None:
        async with self.uow_factory() as uow:
            await uow.agents.end_session(hash_token(session_id))
            await uow.commit()


def prune_sessions_job(association_id: str, at: datetime) -> NewJob:
    return new_job(
        PruneSessions(association_id), key=f"{PruneSessions.kind}:{association_id}", run_after=at
    )


@dataclass(frozen=True)
class PruneExpiredSessions:
    """The ``prune_sessions`` job of one association: delete, then run again ``every``."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    every: timedelta = timedelta(hours=1)

    async def __call__(self, command: PruneSessions, attempt: Attempt) -> None:
        association_id, now = command.association_id, self.clock.now()
        async with self.uow_factory() as uow:
            await uow.agents.prune_sessions(association_id, now)
            await uow.jobs.schedule(prune_sessions_job(association_id, now + self.every), now)
            await uow.commit()
