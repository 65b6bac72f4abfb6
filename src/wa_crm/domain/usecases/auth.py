"""Who is asking: agents log in with a password (browser) or present an API token.

- Credentials are checked against the association the agent belongs to; a wrong e-mail and a
  wrong password fail alike, so logins cannot be used to find out who works where.
- Tokens are stored as digests; an unknown token is simply no agent.
"""

from __future__ import annotations

from dataclasses import dataclass

from returns.result import Failure, Result, Success

from wa_crm.domain.model.association import Association
from wa_crm.domain.model.errors import InvalidCredentials
from wa_crm.domain.model.people import Agent
from wa_crm.domain.usecases.setup import hash_token
from wa_crm.ports.system import PasswordHasher
from wa_crm.ports.unit_of_work import UnitOfWorkFactory


@dataclass(frozen=True)
class Identity:
    agent: Agent
    association: Association


@dataclass(frozen=True)
class Authenticate:
    uow_factory: UnitOfWorkFactory
    passwords: PasswordHasher

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
            self.passwords.verify(_DUMMY_HASH, password)  # same work as a real check
            return refused
        if not self.passwords.verify(agent.password_hash, password):
            return refused
        return Success(Identity(agent, association))

    async def with_token(self, token: str) -> Identity | None:
        async with self.uow_factory() as uow:
            agent = await uow.agents.find_by_token(hash_token(token))
            association = await uow.associations.get(agent.association_id) if agent else None
        return Identity(agent, association) if agent and association else None

    async def by_id(self, association_id: str, agent_id: str) -> Identity | None:
        """The agent a session cookie names, if it still exists."""
        async with self.uow_factory() as uow:
            agent = await uow.agents.get(association_id, agent_id)
            association = await uow.associations.get(association_id) if agent else None
        return Identity(agent, association) if agent and association else None


# An argon2 hash of a random password, verified when the agent does not exist.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$BCNxhRhH9jJowAGLNuLIkg$"
    "6iR6wsBpFDEeWpQekgePZhXEm0rbKxCivXlokHitN9A"
)
