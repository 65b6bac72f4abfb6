"""An admin's team, managed from the browser: agents created, their role or name changed,
their password reset. (Disabling and enabling are in ``credentials``.)

- The admin types the new agent's first password, or leaves it to wa_crm, which generates one
  and returns it this once, to hand over; either way the password rules apply
  (``setup.check_password``) and only its hash is stored.
- The association always keeps an active admin: demoting or disabling the last one is a
  ``LastAdmin`` conflict. Changes that could take the last admin away hold the association's
  lock, so two admins demoting each other at once cannot both succeed.
- A reset password ends the agent's browser sessions (they were opened with the old one, and a
  reset is what an admin does when it may be known to someone else) but keeps the agent's API
  tokens: a token is not derived from the password, it belongs to an integration an admin can
  see and revoke one by one on the same page, and revoking them all would break scripts the
  reset was not about. An admin resets their own password with the current one
  (``POST me/password``), never here, so a session left open cannot take over the account.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from returns.result import Failure, Result, Success

from wa_crm.domain.model.errors import (
    AlreadyExists,
    DomainError,
    InvalidInput,
    LastAdmin,
    UnknownAgent,
)
from wa_crm.domain.model.people import Agent, AgentRole
from wa_crm.domain.usecases.access.setup import (
    check_agent_name,
    check_email,
    check_password,
    check_role,
)
from wa_crm.ports.system import Clock, IdGenerator, PasswordHasher
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

GENERATED_PASSWORD_BYTES = 12
"""16 URL-safe characters: far past the rules, and short enough to type from a phone."""


def generated_password() -> str:
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


@dataclass(frozen=True)
class NewTeamMember:
    email: str
    name: str
    role: str
    password: str | None = None
    """None: generate one (returned once, in ``WithPassword.generated``)."""


@dataclass(frozen=True)
class AgentChanges:
    """None keeps the current value."""

    role: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class WithPassword:
    agent: Agent
    generated: str | None
    """The password wa_crm generated, shown this once; None when the admin typed one."""


async def is_last_active_admin(uow: UnitOfWork, agent: Agent) -> bool:
    if not agent.is_admin or agent.is_disabled:
        return False
    others = [
        other
        for other in await uow.agents.list(agent.association_id)
        if other.id != agent.id and other.is_admin and not other.is_disabled
    ]
    return not others


def _last_admin() -> LastAdmin:
    return LastAdmin("the association needs at least one active admin")


def _password(given: str | None) -> Result[tuple[str, str | None], DomainError]:
    """The password to hash and, when generated, the one to show."""
    if given is None:
        password = generated_password()
        return Success((password, password))
    match check_password(given):
        case Failure(weak):
            return Failure(weak)
    return Success((given, None))


@dataclass(frozen=True)
class Team:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    ids: IdGenerator
    passwords: PasswordHasher

    async def create(
        self, association_id: str, member: NewTeamMember
    ) -> Result[WithPassword, DomainError]:
        checked = check_email(member.email).bind(
            lambda email: check_role(member.role).bind(
                lambda role: check_agent_name(member.name).map(lambda name: (email, role, name))
            )
        )
        match checked:
            case Failure(invalid):
                return Failure(invalid)
            case Success((email, role, name)):
                pass
        match _password(member.password):
            case Failure(weak):
                return Failure(weak)
            case Success((password, generated)):
                pass
        password_hash = await self.passwords.hash(password)
        agent = Agent(
            id=self.ids.new_id(),
            association_id=association_id,
            email=email,
            name=name or email,
            role=role,
            password_hash=password_hash,
            created_at=self.clock.now(),
        )
        async with self.uow_factory() as uow:
            if await uow.agents.get_by_email(association_id, email):
                return Failure(AlreadyExists(f"an agent with the e-mail {email} exists already"))
            await uow.agents.add(agent)
            await uow.commit()
        return Success(WithPassword(agent, generated))

    async def update(
        self, association_id: str, agent_id: str, changes: AgentChanges
    ) -> Result[Agent, DomainError]:
        role: AgentRole | None = None
        if changes.role is not None:
            match check_role(changes.role):
                case Failure(invalid):
                    return Failure(invalid)
                case Success(role):
                    pass
        name: str | None = None
        if changes.name is not None:
            match check_agent_name(changes.name):
                case Failure(invalid):
                    return Failure(invalid)
                case Success(name):
                    if not name:
                        return Failure(InvalidInput("a name must not be empty"))
        async with self.uow_factory() as uow:
            await uow.associations.lock(association_id)
            agent = await uow.agents.get(association_id, agent_id)
            if agent is None:
                return Failure(UnknownAgent("no such agent"))
            if role is AgentRole.AGENT and await is_last_active_admin(uow, agent):
                return Failure(_last_admin())
            changed = replace(agent, role=role or agent.role, name=name or agent.name)
            await uow.agents.update(changed)
            await uow.commit()
        return Success(changed)

    async def reset_password(
        self, association_id: str, agent_id: str, password: str | None, by_agent_id: str
    ) -> Result[WithPassword, DomainError]:
        """``password`` None: generate one. The agent's browser sessions end."""
        if agent_id == by_agent_id:
            return Failure(
                InvalidInput("change your own password with the current one (me/password)")
            )
        match _password(password):
            case Failure(weak):
                return Failure(weak)
            case Success((new_password, generated)):
                pass
        new_hash = await self.passwords.hash(new_password)
        async with self.uow_factory() as uow:
            agent = await uow.agents.get(association_id, agent_id)
            if agent is None:
                return Failure(UnknownAgent("no such agent"))
            agent = agent.with_password_hash(new_hash)
            await uow.agents.update(agent)
            await uow.agents.end_sessions(agent.id)
            await uow.commit()
        return Success(WithPassword(agent, generated))
