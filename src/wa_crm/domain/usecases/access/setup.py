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
    WeakPassword,
)
from wa_crm.domain.model.people import Agent, AgentRole
from wa_crm.domain.usecases.admin.session_ownership import session_claimed_elsewhere, session_taken
from wa_crm.domain.usecases.inbox.first_response import first_response_job
from wa_crm.domain.usecases.inbox.inactivity import close_inactive_job
from wa_crm.domain.usecases.monitoring.session_health import poll_job
from wa_crm.ports.system import Clock, IdGenerator, PasswordHasher
from wa_crm.ports.unit_of_work import DuplicateKey, UnitOfWorkFactory

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
MAX_EMAIL_LENGTH = 254
MAX_AGENT_NAME_LENGTH = 100


def check_password(password: str) -> Result[str, WeakPassword]:
    """The password rules, the same for every way a password is set."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return Failure(
            WeakPassword(
                f"the password must have at least {MIN_PASSWORD_LENGTH} characters",
                field="password",
            )
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        return Failure(
            WeakPassword(
                f"the password has more than {MAX_PASSWORD_LENGTH} characters", field="password"
            )
        )
    return Success(password)


def check_email(raw: str) -> Result[str, InvalidInput]:
    """Lowercase, trimmed; agents are found by it, case-insensitively."""
    email = raw.strip().lower()
    if (
        "@" not in email
        or email.startswith("@")
        or email.endswith("@")
        or len(email) > MAX_EMAIL_LENGTH
        or any(char.isspace() for char in email)
    ):
        return Failure(InvalidInput(f"{raw[:60]!r} is not an e-mail address"))
    return Success(email)


def check_role(raw: str) -> Result[AgentRole, InvalidInput]:
    if raw not in {role.value for role in AgentRole}:
        return Failure(InvalidInput(f"role {raw[:20]!r} is not one of agent, admin", field="role"))
    return Success(AgentRole(raw))


def check_agent_name(raw: str) -> Result[str, InvalidInput]:
    name = " ".join(raw.split())
    if len(name) > MAX_AGENT_NAME_LENGTH:
        return Failure(InvalidInput(f"a name has at most {MAX_AGENT_NAME_LENGTH} characters"))
    return Success(name)


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
        match check_email(command.email):
            case Failure(bad_email):
                return Failure(bad_email)
            case Success(email):
                pass
        match check_role(command.role):
            case Failure(bad_role):
                return Failure(bad_role)
        match check_password(command.password):
            case Failure(weak):
                return Failure(weak)
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
