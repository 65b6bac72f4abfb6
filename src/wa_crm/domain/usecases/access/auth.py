"""Who is asking: agents log in with a password (browser session) or present an API token.

- Credentials are checked against the association the agent belongs to; a wrong e-mail and a
  wrong password fail alike, so logins cannot be used to find out who works where.
- A disabled agent is refused with the right password (and told so), and neither its tokens
  nor its browser sessions let it in.
- Tokens and sessions are stored as digests; an unknown, expired or revoked one is simply no
  agent. A token's last use is recorded at most once a minute, so reads stay cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from returns.result import Failure, Result, Success

from wa_crm.domain.model.association import Association
from wa_crm.domain.model.errors import AgentDisabled, InvalidCredentials
from wa_crm.domain.model.people import Agent
from wa_crm.domain.usecases.access.setup import hash_token
from wa_crm.ports.system import Clock, PasswordHasher
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

LAST_USE_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Identity:
    agent: Agent
    association: Association


@dataclass(frozen=True)
class Authenticate:
    uow_factory: UnitOfWorkFactory
    passwords: PasswordHasher
    clock: Clock

    async def with_password(
        self, association_slug: str, email: str, password: str
    ) -> Result[Identity, InvalidCredentials]:
        refused = Failure(InvalidCredentials("wrong association, e-mail or password"))
        async with self.uow_factory() as uow:
            association = await uow.associations.get_by_slug(association_slug)
            agent = (
                await uow.agents.get_by_email(association.id, email.strip().lower())
                if association
                else None
            )
        if association is None or agent is None:
            await self.passwords.verify(_DUMMY_HASH, password)  # same work as a real check
            return refused
        if not await self.passwords.verify(agent.password_hash, password):
            return refused
        if agent.is_disabled:
            return Failure(AgentDisabled("this agent is disabled; ask an admin"))
        return Success(Identity(agent, association))

    async def with_token(self, token: str) -> Identity | None:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            found = await uow.agents.find_by_token(hash_token(token))
            if found is None:
                return None
            agent, api_token = found
            if not api_token.valid_at(now):
                return None
            used = api_token.last_used_at
            if used is None or now - used >= LAST_USE_RESOLUTION:
                await uow.agents.token_used(api_token.id, now)
                await uow.commit()
            return await _enabled_identity(uow, agent)

    async def with_session(self, session_id: str) -> Identity | None:
        """The agent a browser session belongs to, while it lasts (see ``BrowserSessions``)."""
        async with self.uow_factory() as uow:
            session = await uow.agents.find_session(hash_token(session_id))
            if session is None or not session.valid_at(self.clock.now()):
                return None
            agent = await uow.agents.get(session.association_id, session.agent_id)
            return None if agent is None else await _enabled_identity(uow, agent)


async def _enabled_identity(uow: UnitOfWork, agent: Agent) -> Identity | None:
    if agent.is_disabled:
        return None
    association = await uow.associations.get(agent.association_id)
    return None if association is None else Identity(agent, association)


# An argon2 hash of a random password, verified when the agent does not exist.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$BCNxhRhH9jJowAGLNuLIkg$"
    "6iR6wsBpFDEeWpQekgePZhXEm0rbKxCivXlokHitN9A"
)
