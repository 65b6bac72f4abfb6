"""Browser sessions, API tokens, disabled agents and password changes, on the memory adapters."""

from __future__ import annotations

import functools

from returns.result import Failure, Success

from wa_crm.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from wa_crm.domain.model.association import Association
from wa_crm.domain.model.errors import (
    InvalidCredentials,
    InvalidInput,
    UnknownAgent,
    UnknownToken,
)
from wa_crm.domain.model.job_commands import PruneSessions
from wa_crm.domain.model.jobs import JobStatus
from wa_crm.domain.model.people import Agent, AgentRole
from wa_crm.domain.usecases.access.auth import Authenticate, Identity
from wa_crm.domain.usecases.access.browser_sessions import (
    BrowserSessions,
    PruneExpiredSessions,
    prune_sessions_job,
)
from wa_crm.domain.usecases.access.credentials import (
    AgentAccess,
    ApiTokens,
    ChangePassword,
    NewToken,
    PasswordChange,
)
from wa_crm.domain.usecases.runtime.runner import JobRunner
from wa_crm.testing.clock import FakeClock, SequentialIds

A = "assoc-a"
DAY = 24 * 3600


class PlainPasswords:
    """Hashes that are the password with a prefix: the rules, not argon2, are under test."""

    async def hash(self, password: str) -> str:
        return f"plain:{password}"

    async def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == f"plain:{password}"


class World:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.store = InMemoryStore()
        self.uow_factory = functools.partial(InMemoryUnitOfWork, self.store)
        self.passwords = PlainPasswords()
        self.authenticate = Authenticate(self.uow_factory, self.passwords, self.clock)
        self.sessions = BrowserSessions(self.uow_factory, self.clock)
        self.tokens = ApiTokens(self.uow_factory, self.clock, SequentialIds("token"))
        self.access = AgentAccess(self.uow_factory, self.clock)
        self.association = Association(A, "a", "A", self.clock.now())
        self.ana = self._agent("ana", AgentRole.AGENT)
        self.ada = self._agent("ada", AgentRole.ADMIN)

    def _agent(self, name: str, role: AgentRole) -> Agent:
        return Agent(
            name, A, f"{name}@a.org", name, role, f"plain:{name}-password", self.clock.now()
        )

    async def seed(self) -> None:
        async with self.uow_factory() as uow:
            await uow.associations.add(self.association)
            await uow.agents.add(self.ana)
            await uow.agents.add(self.ada)
            await uow.commit()

    def identity(self, agent: Agent) -> Identity:
        return Identity(agent, self.association)

    async def token_for(self, agent: Agent, days: int | None = None) -> str:
        issued = await self.tokens.issue(A, agent.id, NewToken("ci", days))
        return issued.unwrap().token


async def test_a_session_lasts_until_it_expires_or_ends() -> None:
    world = World()
    await world.seed()
    kept, ended = [await world.sessions.open(world.identity(world.ana)) for _ in range(2)]
    assert (await world.authenticate.with_session(kept)) == world.identity(world.ana)
    await world.sessions.close(ended)
    assert await world.authenticate.with_session(ended) is None
    assert await world.authenticate.with_session("made-up") is None
    world.clock.advance(12 * 3600)
    assert await world.authenticate.with_session(kept) is None


async def test_expired_sessions_are_pruned_by_a_job_that_runs_again() -> None:
    world = World()
    await world.seed()
    await world.sessions.open(world.identity(world.ana))
    world.clock.advance(12 * 3600)
    fresh = await world.sessions.open(world.identity(world.ana))
    prune = PruneExpiredSessions(world.uow_factory, world.clock)
    runner = JobRunner(world.uow_factory, world.clock, {PruneSessions: prune}, "worker")
    async with world.uow_factory() as uow:
        await uow.jobs.schedule(prune_sessions_job(A, world.clock.now()), world.clock.now())
        await uow.commit()
    assert await runner.run_due() == 1
    assert len(world.store.tables.browser_sessions) == 1
    assert await world.authenticate.with_session(fresh) is not None
    async with world.uow_factory() as uow:
        job = await uow.jobs.get_by_key(f"{PruneSessions.kind}:{A}")
    assert job is not None and job.status is JobStatus.PENDING
    assert job.run_after == world.clock.now() + prune.every


async def test_a_token_expires_and_records_its_last_use_once_a_minute() -> None:
    world = World()
    await world.seed()
    token = await world.token_for(world.ana, days=1)
    assert await world.authenticate.with_token(token) == world.identity(world.ana)
    first_use = world.clock.now()
    world.clock.advance(30)
    await world.authenticate.with_token(token)
    listed = (await world.tokens.list(A, world.ana.id)).unwrap()
    assert [t.last_used_at for t in listed] == [first_use]
    world.clock.advance(60)
    await world.authenticate.with_token(token)
    listed = (await world.tokens.list(A, world.ana.id)).unwrap()
    assert [t.last_used_at for t in listed] == [world.clock.now()]
    world.clock.advance(DAY)
    assert await world.authenticate.with_token(token) is None


async def test_tokens_are_revoked_one_by_one_or_all_and_only_the_agent_s_own() -> None:
    world = World()
    await world.seed()
    first, second = await world.token_for(world.ana), await world.token_for(world.ana)
    adas = await world.token_for(world.ada)
    first_id = (await world.tokens.list(A, world.ana.id)).unwrap()[-1].id
    not_adas = await world.tokens.revoke(A, world.ada.id, first_id)
    assert isinstance(not_adas.failure(), UnknownToken)
    assert await world.tokens.revoke(A, world.ana.id, first_id) == Success(1)
    assert await world.authenticate.with_token(first) is None
    assert await world.authenticate.with_token(second) is not None
    assert await world.tokens.revoke(A, world.ana.id) == Success(1)
    assert await world.authenticate.with_token(second) is None
    assert await world.authenticate.with_token(adas) is not None
    assert isinstance((await world.tokens.revoke("other", world.ana.id)).failure(), UnknownAgent)


async def test_token_names_and_expiries_are_bounded() -> None:
    world = World()
    await world.seed()
    for command in (NewToken("x" * 101), NewToken("", 0), NewToken("", 3651)):
        result = await world.tokens.issue(A, world.ana.id, command)
        assert isinstance(result.failure(), InvalidInput)


async def test_disabling_ends_sessions_and_stops_tokens_until_enabled() -> None:
    world = World()
    await world.seed()
    session = await world.sessions.open(world.identity(world.ana))
    token = await world.token_for(world.ana)
    disabled = (await world.access.disable(A, world.ana.id, by_agent_id=world.ada.id)).unwrap()
    assert disabled.disabled_at == world.clock.now()
    assert await world.authenticate.with_session(session) is None
    assert await world.authenticate.with_token(token) is None
    refused = await world.authenticate.with_password("a", "ana@a.org", "ana-password")
    assert isinstance(refused, Failure) and refused.failure().code == "agent_disabled"
    wrong = await world.authenticate.with_password("a", "ana@a.org", "wrong")
    assert wrong.failure().code == "invalid_credentials"  # the lock tells nothing to a guesser

    await world.access.enable(A, world.ana.id)
    assert await world.authenticate.with_token(token) is not None
    assert await world.authenticate.with_session(session) is None
    assert isinstance(
        await world.authenticate.with_password("a", "ana@a.org", "ana-password"), Success
    )


async def test_an_admin_cannot_disable_themselves() -> None:
    world = World()
    await world.seed()
    refused = await world.access.disable(A, world.ada.id, by_agent_id=world.ada.id)
    assert isinstance(refused.failure(), InvalidInput)
    assert isinstance((await world.access.disable(A, "ghost")).failure(), UnknownAgent)


async def test_a_password_change_ends_the_agent_s_other_sessions() -> None:
    world = World()
    await world.seed()
    here, elsewhere = [await world.sessions.open(world.identity(world.ana)) for _ in range(2)]
    adas = await world.sessions.open(world.identity(world.ada))
    change = ChangePassword(world.uow_factory, world.passwords)

    def asked(current: str, new: str) -> PasswordChange:
        return PasswordChange(A, world.ana.id, current, new, keep_session=here)

    assert isinstance((await change(asked("wrong", "long-enough"))).failure(), InvalidCredentials)
    assert isinstance((await change(asked("ana-password", "short"))).failure(), InvalidInput)
    assert await world.authenticate.with_session(elsewhere) is not None

    assert isinstance(await change(asked("ana-password", "long-enough")), Success)
    assert await world.authenticate.with_session(here) is not None
    assert await world.authenticate.with_session(elsewhere) is None
    assert await world.authenticate.with_session(adas) is not None
    assert isinstance(
        await world.authenticate.with_password("a", "ana@a.org", "long-enough"), Success
    )
