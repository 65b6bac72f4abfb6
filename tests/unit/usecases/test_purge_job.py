"""The daily purge job and the privacy settings on the memory adapters."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

import pytest

from wa_crm.adapters.memory import InMemoryMediaStore, InMemoryStore, InMemoryUnitOfWork
from wa_crm.adapters.memory.knowledge import InMemoryKnowledgeBase
from wa_crm.adapters.memory.queries import in_memory_queries
from wa_crm.domain.model.association import Association, PrivacySettings
from wa_crm.domain.model.audit import SYSTEM_ACTOR, AuditAction
from wa_crm.domain.model.errors import InvalidInput, UnknownAssociation
from wa_crm.domain.model.job_commands import PurgeExpired
from wa_crm.domain.model.jobs import JobStatus
from wa_crm.domain.model.knowledge import DocumentKind, KnowledgeDocument
from wa_crm.domain.model.message import (
    Author,
    Direction,
    Media,
    Message,
    MessageStatus,
    MessageType,
)
from wa_crm.domain.usecases.privacy.privacy_settings import UpdatePrivacySettings
from wa_crm.domain.usecases.privacy.retention import (
    PurgeExpiredMessages,
)
from wa_crm.domain.usecases.runtime.periodic import StartPeriodicJobs, retention_purge
from wa_crm.domain.usecases.runtime.runner import JobRunner
from wa_crm.ports.queries import AuditQuery
from wa_crm.testing.clock import FakeClock

A, B = "assoc-a", "assoc-b"
DAYS = 30
T = FakeClock().now()


class World:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.store = InMemoryStore()
        self.uow_factory = functools.partial(InMemoryUnitOfWork, self.store)
        self.queries = in_memory_queries(self.store)
        self.media = InMemoryMediaStore()
        self.knowledge = InMemoryKnowledgeBase()
        purge = PurgeExpiredMessages(
            self.uow_factory, self.media, self.clock, self.knowledge, batch_size=2
        )
        self.runner = JobRunner(self.uow_factory, self.clock, {PurgeExpired: purge}, "worker")
        self.cutoff = self.clock.now() - timedelta(days=DAYS)

    async def seed(self, retention_days: int | None) -> list[Message]:
        privacy = PrivacySettings(retention_days=retention_days)
        ages = [-timedelta(days=400), -timedelta(seconds=1), -timedelta(microseconds=1)]
        kept_ages = [timedelta(0), timedelta(microseconds=1), timedelta(days=DAYS)]
        messages = [
            self._message(f"m{n}", A, self.cutoff + age, with_file=n % 2 == 0)
            for n, age in enumerate(ages + kept_ages)
        ]
        messages.append(self._message("other", B, self.cutoff - timedelta(days=1), True))
        async with self.uow_factory() as uow:
            await uow.associations.add(Association(A, A, "A", self.clock.now(), privacy=privacy))
            await uow.associations.add(Association(B, B, "B", self.clock.now()))
            for item in messages:
                await uow.messages.add(item)
            await uow.commit()
        return messages

    def _message(
        self, message_id: str, association_id: str, at: datetime, with_file: bool
    ) -> Message:
        media = None
        if with_file:
            media = Media(
                f"{association_id}/inbound/{message_id}", "image/png", "x.png", stored=True
            )
            self.media.files[media.url or ""] = (b"png", "image/png")
        return Message(
            message_id,
            association_id,
            "c1",
            Direction.IN,
            Author.CONTACT,
            MessageType.IMAGE if with_file else MessageType.TEXT,
            "text",
            MessageStatus.RECEIVED,
            at,
            media=media,
        )

    async def remaining(self) -> set[str]:
        return set(self.store.tables.messages)

    async def ask(self, association_id: str, text: str, age: timedelta) -> str:
        """A question the documents could not answer, last asked ``age`` after the cutoff."""
        asked = await self.knowledge.record_unanswered(
            association_id, text, "c1", self.cutoff + age
        )
        return asked.id

    async def questions_left(self, association_id: str) -> set[str]:
        return {q.text for q in await self.knowledge.unanswered(association_id, 100)}

    async def audited(self, association_id: str) -> list[dict[str, object]]:
        entries = await self.queries.audit.entries(association_id, AuditQuery())
        return [entry.details for _, entry in entries]


@pytest.fixture
def world() -> World:
    return World()


async def test_a_run_purges_exactly_what_is_older_than_the_period(world: World) -> None:
    messages = await world.seed(DAYS)
    await StartPeriodicJobs(world.uow_factory, world.clock, (retention_purge,))()

    assert await world.runner.run_due() == 2  # both associations' jobs

    assert await world.remaining() == {"m3", "m4", "m5", "other"}  # m3 is exactly at the cut-off
    assert set(world.media.files) == {
        m.media.url for m in messages if m.media and m.id in {"m4", "other"}
    }
    async with world.uow_factory() as uow:
        job = await uow.jobs.get_by_key(f"{PurgeExpired.kind}:{A}")
    audit = await world.queries.audit.entries(A, AuditQuery())
    nothing_audited = await world.queries.audit.entries(B, AuditQuery())
    assert job is not None and job.status is JobStatus.PENDING
    assert job.run_after == world.clock.now() + timedelta(days=1)
    assert [(e.actor, e.action, e.target_id, e.details) for _, e in audit] == [
        (
            SYSTEM_ACTOR,
            AuditAction.MESSAGES_PURGED,
            A,
            {
                "messages": 3,
                "media_files": 2,
                "unanswered_questions": 0,
                "before": world.cutoff.isoformat(),
            },
        )
    ]
    assert nothing_audited == []


async def test_without_a_period_nothing_is_purged_and_the_job_comes_back_daily(
    world: World,
) -> None:
    await world.seed(None)
    await StartPeriodicJobs(world.uow_factory, world.clock, (retention_purge,))()

    await world.runner.run_due()
    world.clock.advance(timedelta(days=1).total_seconds())
    assert await world.runner.run_due() == 2

    assert len(await world.remaining()) == 7
    async with world.uow_factory() as uow:
        job = await uow.jobs.get_by_key(f"{PurgeExpired.kind}:{A}")
    assert job is not None and job.run_after == world.clock.now() + timedelta(days=1)


async def test_start_up_gives_each_association_one_job_and_keeps_its_time(world: World) -> None:
    await world.seed(DAYS)
    start = StartPeriodicJobs(world.uow_factory, world.clock, (retention_purge,))
    first = world.clock.now()
    await start()
    world.clock.advance(3600)
    await start()

    async with world.uow_factory() as uow:
        jobs = [await uow.jobs.get_by_key(f"{PurgeExpired.kind}:{a}") for a in (A, B)]
    assert [job.run_after if job else None for job in jobs] == [first, first]


async def test_settings_are_checked_and_a_new_period_purges_now(world: World) -> None:
    await world.seed(None)
    update = UpdatePrivacySettings(world.uow_factory, world.clock)

    for wrong in (
        PrivacySettings(opt_out_keywords=()),
        PrivacySettings(opt_in_keywords=("VOLTAR", " ")),
        PrivacySettings(retention_days=0),
        PrivacySettings(retention_days=3651),
    ):
        assert isinstance((await update(A, wrong)).failure(), InvalidInput), wrong
    assert isinstance((await update("nobody", PrivacySettings())).failure(), UnknownAssociation)
    async with world.uow_factory() as uow:
        assert await uow.jobs.get_by_key(f"{PurgeExpired.kind}:{A}") is None

    same = (await update(A, PrivacySettings(opt_out_keywords=("CHEGA",)))).unwrap()
    assert same.privacy.opt_out_keywords == ("CHEGA",)
    async with world.uow_factory() as uow:
        assert await uow.jobs.get_by_key(f"{PurgeExpired.kind}:{A}") is None

    (await update(A, PrivacySettings(retention_days=3650))).unwrap()
    async with world.uow_factory() as uow:
        stored = await uow.associations.get(A)
        job = await uow.jobs.get_by_key(f"{PurgeExpired.kind}:{A}")
    assert stored is not None and stored.privacy.retention_days == 3650
    assert job is not None and (job.status, job.run_after) == (JobStatus.PENDING, world.clock.now())


async def test_a_run_purges_the_questions_first_asked_before_the_period_in_batches(
    world: World,
) -> None:
    await world.seed(DAYS)
    await world.ask(A, "Aceitam Pix?", -timedelta(days=400))
    answered = await world.ask(A, "Tem café?", -timedelta(days=2))
    faq = KnowledgeDocument("faq-1", A, "Tem café?", "Sim.", DocumentKind.FAQ, T, T)
    await world.knowledge.save(faq, [faq.text])
    assert await world.knowledge.mark_answered(A, answered, faq.id)
    await world.ask(A, "Tem wifi?", -timedelta(microseconds=1))
    await world.ask(A, "Abrem sábado?", -timedelta(days=100))
    await world.ask(A, "abrem sabado", timedelta(0))  # asked again: its first wording still goes
    await world.ask(A, "Tem estacionamento?", timedelta(days=1))
    await world.ask(B, "Aceitam Pix?", -timedelta(days=400))  # B keeps everything
    await StartPeriodicJobs(world.uow_factory, world.clock, (retention_purge,))()

    assert await world.runner.run_due() == 2

    assert await world.questions_left(A) == {"Tem estacionamento?"}
    assert await world.knowledge.get_unanswered(A, answered) is None
    assert await world.knowledge.get(A, faq.id) is not None
    assert await world.questions_left(B) == {"Aceitam Pix?"}
    assert await world.audited(A) == [
        {
            "messages": 3,
            "media_files": 2,
            "unanswered_questions": 4,
            "before": world.cutoff.isoformat(),
        }
    ]


async def test_a_run_that_purges_only_questions_is_audited(world: World) -> None:
    async with world.uow_factory() as uow:
        privacy = PrivacySettings(retention_days=DAYS)
        await uow.associations.add(Association(A, A, "A", world.clock.now(), privacy=privacy))
        await uow.commit()
    await world.ask(A, "Aceitam Pix?", -timedelta(days=1))
    await StartPeriodicJobs(world.uow_factory, world.clock, (retention_purge,))()

    assert await world.runner.run_due() == 1

    assert await world.questions_left(A) == set()
    assert await world.audited(A) == [
        {
            "messages": 0,
            "media_files": 0,
            "unanswered_questions": 1,
            "before": world.cutoff.isoformat(),
        }
    ]
