"""Unit-of-work semantics: commit, rollback, isolation of uncommitted work, events."""

from __future__ import annotations

import asyncio

import pytest

from wa_crm.domain.model.events import AlertRaised, ConversationChanged, MessageAdded
from wa_crm.domain.model.statistics import Alert
from wa_crm.ports.queries import Queries

from .base import PersistenceContract, PublishedFacts, UowFactory
from .builders import T0, a_conversation, a_job, a_message, an_association


class UnitOfWorkContract(PersistenceContract):
    async def test_commit_persists(self, uow_factory: UowFactory) -> None:
        association = an_association()
        async with uow_factory() as uow:
            await uow.associations.add(association)
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.associations.get(association.id) == association

    async def test_leaving_without_commit_rolls_back(self, uow_factory: UowFactory) -> None:
        association = an_association()
        async with uow_factory() as uow:
            await uow.associations.add(association)
            assert await uow.associations.get(association.id) == association  # sees its own
        async with uow_factory() as uow:
            assert await uow.associations.get(association.id) is None

    async def test_an_exception_rolls_back(self, uow_factory: UowFactory) -> None:
        association = an_association()
        with pytest.raises(LookupError):
            async with uow_factory() as uow:
                await uow.associations.add(association)
                raise LookupError("boom")
        async with uow_factory() as uow:
            assert await uow.associations.get(association.id) is None

    async def test_rollback_discards_and_the_unit_stays_usable(
        self, uow_factory: UowFactory
    ) -> None:
        discarded, kept = an_association(), an_association()
        async with uow_factory() as uow:
            await uow.associations.add(discarded)
            await uow.rollback()
            assert await uow.associations.get(discarded.id) is None
            await uow.associations.add(kept)
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.associations.get(discarded.id) is None
            assert await uow.associations.get(kept.id) == kept

    async def test_work_after_a_commit_needs_its_own_commit(self, uow_factory: UowFactory) -> None:
        first, second = an_association(), an_association()
        async with uow_factory() as uow:
            await uow.associations.add(first)
            await uow.commit()
            await uow.associations.add(second)
        async with uow_factory() as uow:
            assert await uow.associations.get(first.id) == first
            assert await uow.associations.get(second.id) is None

    async def test_uncommitted_work_is_invisible_to_others(self, uow_factory: UowFactory) -> None:
        association = an_association()
        added = asyncio.Event()

        async def writer() -> None:
            async with uow_factory() as uow:
                await uow.associations.add(association)
                added.set()
                await asyncio.sleep(0.05)  # give the reader its chance to peek
                await uow.rollback()

        async def reader() -> object:
            await added.wait()
            async with uow_factory() as uow:  # some adapters wait for the writer here
                return await uow.associations.get(association.id)

        _, seen = await asyncio.gather(writer(), reader())
        assert seen is None

    async def test_concurrent_units_lose_no_writes(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        jobs = [a_job() for _ in range(12)]

        async def schedule(index: int) -> None:
            async with uow_factory() as uow:
                await uow.jobs.schedule(jobs[index], T0)
                await asyncio.sleep(0)
                await uow.commit()

        await asyncio.gather(*(schedule(i) for i in range(len(jobs))))
        assert (await queries.monitoring.job_counts())["pending"] == len(jobs)

    async def test_committed_facts_are_published_once_when_the_block_ends(
        self, uow_factory: UowFactory, published: PublishedFacts
    ) -> None:
        association = an_association()
        conversation = a_conversation(association.id, "contact-1")
        message = a_message(association.id, conversation.id)
        conversation.receive(message.id, message.created_at)
        async with uow_factory() as uow:
            await uow.associations.add(association)
            await uow.conversations.add(conversation)
            await uow.messages.add(message)
            assert published == []
            await uow.commit()
            assert published == [], "after the block: the writer is free and the state safe"
        assert [type(fact) for fact in published] == [ConversationChanged, MessageAdded]
        changed = published[0]
        assert isinstance(changed, ConversationChanged) and changed.conversation == conversation
        async with uow_factory() as uow:
            await uow.commit()
        assert len(published) == 2, "handed out once"

    async def test_facts_of_rolled_back_work_are_dropped(
        self, uow_factory: UowFactory, published: PublishedFacts
    ) -> None:
        association = an_association()
        alert = Alert("dead_letter", "a message could not be delivered", T0)
        async with uow_factory() as uow:
            await uow.associations.add(association)
            await uow.conversations.add(a_conversation(association.id, "contact-1"))
            await uow.rollback()
            await uow.associations.add(association)
            await uow.alerts.add(association.id, alert)
            await uow.commit()
            await uow.alerts.add(association.id, alert)  # never committed
        assert published == [AlertRaised(association.id, alert)]

    async def test_nothing_is_published_when_the_block_fails_before_commit(
        self, uow_factory: UowFactory, published: PublishedFacts
    ) -> None:
        association = an_association()
        with pytest.raises(RuntimeError):
            async with uow_factory() as uow:
                await uow.associations.add(association)
                await uow.conversations.add(a_conversation(association.id, "contact-1"))
                raise RuntimeError("the use case failed")
        assert published == []
