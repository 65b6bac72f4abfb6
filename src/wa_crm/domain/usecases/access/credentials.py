"""Withdrawing access: API tokens listed and revoked, agents disabled, passwords changed.

- A token may have an expiry (from one day to ten years); without one it lasts until revoked.
  It is shown once, when issued; lists show its id, name, times and last use, never the token.
- Revoking names one token by id, or every token of the agent.
- Disabling an agent ends all its browser sessions; its tokens stop working while it is
  disabled (they work again if it is enabled). An admin cannot disable themselves, so an
  association cannot lose its last admin by a slip.
- A password change needs the current password and a new one the rules accept
  (``setup.check_password``); it
  ends the agent's other browser sessions (the one that changed it stays).
- Agents are named by association and id (the API) or by association slug and e-mail (the CLI);
  another association's agent is unknown, as everywhere.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from returns.result import Failure, Result, Success

from wa_crm.domain.model.credentials import ApiToken
from wa_crm.domain.model.errors import (
    InvalidCredentials,
    InvalidInput,
    LastAdmin,
    UnknownAgent,
    UnknownAssociation,
    UnknownToken,
)
from wa_crm.domain.model.people import Agent
from wa_crm.domain.usecases.access.setup import check_password, hash_token
from wa_crm.domain.usecases.access.team import is_last_active_admin
from wa_crm.ports.system import Clock, IdGenerator, PasswordHasher
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

MAX_TOKEN_DAYS = 3650
MAX_TOKEN_NAME = 100


@dataclass(frozen=True)
class NewToken:
    name: str = ""
    expires_in_days: int | None = None
    """None: the token lasts until revoked."""


@dataclass(frozen=True)
class IssuedToken:
    token: str
    """The bearer token itself: shown this once, only its digest is stored."""
    details: ApiToken


async def _agent(uow: UnitOfWork, association_id: str, agent_id: str) -> Agent | None:
    return await uow.agents.get(association_id, agent_id)


@dataclass(frozen=True)
class ApiTokens:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    ids: IdGenerator

    async def issue(
        self, association_id: str, agent_id: str, command: NewToken
    ) -> Result[IssuedToken, InvalidInput | UnknownAgent]:
        name = command.name.strip()
        if len(name) > MAX_TOKEN_NAME:
            return Failure(InvalidInput(f"a token name has at most {MAX_TOKEN_NAME} characters"))
        days = command.expires_in_days
        if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
            return Failure(InvalidInput(f"expires_in_days must be from 1 to {MAX_TOKEN_DAYS}"))
        now = self.clock.now()
        token = "wac_" + secrets.token_urlsafe(32)
        details = ApiToken(
            id=self.ids.new_id(),
            agent_id=agent_id,
            name=name,
            created_at=now,
            expires_at=None if days is None else now + timedelta(days=days),
        )
        async with self.uow_factory() as uow:
            if await _agent(uow, association_id, agent_id) is None:
                return Failure(UnknownAgent("no such agent"))
            await uow.agents.add_token(hash_token(token), details)
            await uow.commit()
        return Success(IssuedToken(token, details))

    async def list(
        self, association_id: str, agent_id: str
    ) -> Result[Sequence[ApiToken], UnknownAgent]:
        async with self.uow_factory() as uow:
            if await _agent(uow, association_id, agent_id) is None:
                return Failure(UnknownAgent("no such agent"))
            return Success(await uow.agents.list_tokens(agent_id))

    async def revoke(
        self, association_id: str, agent_id: str, token_id: str | None = None
    ) -> Result[int, UnknownAgent | UnknownToken]:
        """Revoke one token, or every token of the agent when ``token_id`` is None; returns
        how many were revoked."""
        async with self.uow_factory() as uow:
            if await _agent(uow, association_id, agent_id) is None:
                return Failure(UnknownAgent("no such agent"))
            if token_id is None:
                revoked = await uow.agents.revoke_tokens(agent_id)
            elif await uow.agents.revoke_token(agent_id, token_id):
                revoked = 1
            else:
                return Failure(UnknownToken(f"the agent has no token {token_id!r}"))
            await uow.commit()
        return Success(revoked)


@dataclass(frozen=True)
class AgentAccess:
    uow_factory: UnitOfWorkFactory
    clock: Clock

    async def disable(
        self, association_id: str, agent_id: str, by_agent_id: str | None = None
    ) -> Result[Agent, InvalidInput | UnknownAgent | LastAdmin]:
        """``by_agent_id``: the admin who asks (None: an operator, from the CLI). The last
        active admin stays (``team``)."""
        if agent_id == by_agent_id:
            return Failure(InvalidInput("an admin cannot disable themselves"))
        async with self.uow_factory() as uow:
            await uow.associations.lock(association_id)
            agent = await _agent(uow, association_id, agent_id)
            if agent is None:
                return Failure(UnknownAgent("no such agent"))
            if await is_last_active_admin(uow, agent):
                return Failure(LastAdmin("the association needs at least one active admin"))
            agent = agent.disabled(self.clock.now())
            await uow.agents.update(agent)
            await uow.agents.end_sessions(agent.id)
            await uow.commit()
        return Success(agent)

    async def enable(self, association_id: str, agent_id: str) -> Result[Agent, UnknownAgent]:
        async with self.uow_factory() as uow:
            agent = await _agent(uow, association_id, agent_id)
            if agent is None:
                return Failure(UnknownAgent("no such agent"))
            agent = agent.enabled()
            await uow.agents.update(agent)
            await uow.commit()
        return Success(agent)


@dataclass(frozen=True)
class PasswordChange:
    association_id: str
    agent_id: str
    current_password: str
    new_password: str
    keep_session: str | None = None
    """The id of the browser session that asked, which stays open."""


@dataclass(frozen=True)
class ChangePassword:
    uow_factory: UnitOfWorkFactory
    passwords: PasswordHasher

    async def __call__(self, change: PasswordChange) -> Result[Agent, InvalidInput | UnknownAgent]:
        match check_password(change.new_password):
            case Failure(weak):
                return Failure(weak)
        async with self.uow_factory() as uow:
            agent = await _agent(uow, change.association_id, change.agent_id)
        if agent is None:
            return Failure(UnknownAgent("no such agent"))
        if not await self.passwords.verify(agent.password_hash, change.current_password):
            return Failure(InvalidCredentials("the current password is wrong"))
        new_hash = await self.passwords.hash(change.new_password)
        keep = None if change.keep_session is None else hash_token(change.keep_session)
        async with self.uow_factory() as uow:
            agent = await _agent(uow, change.association_id, change.agent_id)
            if agent is None:
                return Failure(UnknownAgent("no such agent"))
            agent = agent.with_password_hash(new_hash)
            await uow.agents.update(agent)
            await uow.agents.end_sessions(agent.id, keep=keep)
            await uow.commit()
        return Success(agent)


@dataclass(frozen=True)
class LocateAgent:
    """The agent an operator names by association slug and e-mail (the CLI's way)."""

    uow_factory: UnitOfWorkFactory

    async def __call__(
        self, association_slug: str, email: str
    ) -> Result[Agent, UnknownAssociation | UnknownAgent]:
        async with self.uow_factory() as uow:
            association = await uow.associations.get_by_slug(association_slug)
            if association is None:
                return Failure(UnknownAssociation(f"no association {association_slug!r}"))
            agent = await uow.agents.get_by_email(association.id, email.strip().lower())
        if agent is None:
            return Failure(UnknownAgent(f"no agent {email} in {association_slug}"))
        return Success(agent)


@dataclass(frozen=True)
class IssueApiToken:
    """A new token for the agent an operator names (``wa-crm agent token``); only the token."""

    locate: LocateAgent
    tokens: ApiTokens

    async def __call__(
        self, association_slug: str, email: str, command: NewToken | None = None
    ) -> Result[str, InvalidInput | UnknownAssociation | UnknownAgent]:
        match await self.locate(association_slug, email):
            case Failure(error):
                return Failure(error)
            case Success(agent):
                pass
        issued = await self.tokens.issue(agent.association_id, agent.id, command or NewToken())
        return issued.map(lambda issued: issued.token)
