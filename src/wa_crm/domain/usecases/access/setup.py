"""Setting an association up: the association itself and its agents (their API tokens are in
``credentials``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from returns.result import Failure, Result, Success

from wa_crm.domain.model.association import Association, WhatsAppSettings, valid_base_url
from wa_crm.domain.model.errors import (
    AlreadyExists,
    InvalidInput,
    SessionTaken,
    UnknownAssociation,
)
from wa_crm.domain.model.people import Agent, AgentRole
from wa_crm.domain.usecases.admin.session_ownership import session_claimed_elsewhere, session_taken
from wa_crm.domain.usecases.inbox.first_response import first_response_job
from wa_crm.domain.usecases.inbox.inactivity import close_inactive_job
from wa_crm.domain.usecases.monitoring.session_health import poll_job
from wa_crm.ports.system import Clock, IdGenerator, PasswordHasher
from wa_crm.ports.unit_of_work import DuplicateKey, UnitOfWorkFactory

MIN_PASSWORD_LENGTH = 8


def hash_token(token: str) -> str:
    """API tokens are stored as SHA-256 digests: they are long random values, not passwords."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewAssociation:
    slug: str
    name: str
    locale: str = "pt-BR"
    whatsapp: WhatsAppSettings = field(default_factory=WhatsAppSettings)


@dataclass(frozen=True)
class CreateAssociation:
    """- The slug is a DNS label and unique; a WAHA session name is unique per WAHA server,
      compared by server identity (``WahaServer``), not by the URL as typed.
    - Several associations may start without a WAHA server (set up later in the wizard)."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    ids: IdGenerator

    async def __call__(
        self, command: NewAssociation
    ) -> Result[Association, InvalidInput | AlreadyExists | SessionTaken]:
        created = Association.create(
            id=self.ids.new_id(),
            slug=command.slug,
            name=command.name,
            locale=command.locale,
            created_at=self.clock.now(),
            whatsapp=command.whatsapp,
        )
        match created:
            case Failure(error):
                return Failure(error)
            case Success(association):
                pass
        if association.whatsapp.base_url:
            match valid_base_url(association.whatsapp.base_url):
                case Failure(invalid):
                    return Failure(invalid)
        async with self.uow_factory() as uow:
            if await uow.associations.get_by_slug(association.slug):
                return Failure(AlreadyExists(f"association {association.slug!r} already exists"))
            if await session_claimed_elsewhere(uow, association):
                return Failure(session_taken(association.whatsapp))
            try:
                await uow.associations.add(association)
            except DuplicateKey:  # claimed meanwhile, or the slug taken meanwhile
                return Failure(AlreadyExists("the slug or the WAHA session was taken meanwhile"))
            now = self.clock.now()
            for job in (
                poll_job(association.id, now),
                close_inactive_job(association.id, now),
                first_response_job(association.id, now),
            ):
                await uow.jobs.schedule(job, now)
            await uow.commit()
        return Success(association)


@dataclass(frozen=True)
class NewAgent:
    association_slug: str
    email: str
    name: str
    role: str
    password: str


@dataclass(frozen=True)
class CreateAgent:
    """- E-mails are unique per association (case-insensitive); passwords are hashed."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    ids: IdGenerator
    passwords: PasswordHasher

    async def __call__(
        self, command: NewAgent
    ) -> Result[Agent, InvalidInput | UnknownAssociation | AlreadyExists]:
        email = command.email.strip().lower()
        if "@" not in email or email.startswith("@") or email.endswith("@"):
            return Failure(InvalidInput(f"{command.email!r} is not an e-mail address"))
        if command.role not in {role.value for role in AgentRole}:
            return Failure(InvalidInput(f"role {command.role!r} is not one of agent, admin"))
        if len(command.password) < MIN_PASSWORD_LENGTH:
            return Failure(
                InvalidInput(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
            )
        password_hash = await self.passwords.hash(command.password)
        async with self.uow_factory() as uow:
            association = await uow.associations.get_by_slug(command.association_slug)
            if association is None:
                return Failure(UnknownAssociation(f"no association {command.association_slug!r}"))
            if await uow.agents.get_by_email(association.id, email):
                return Failure(AlreadyExists(f"agent {email} already exists in {association.slug}"))
            agent = Agent(
                id=self.ids.new_id(),
                association_id=association.id,
                email=email,
                name=command.name.strip() or email,
                role=AgentRole(command.role),
                password_hash=password_hash,
                created_at=self.clock.now(),
            )
            await uow.agents.add(agent)
            await uow.commit()
        return Success(agent)
