"""Unit-of-work semantics: commit, rollback, isolation of uncommitted work, events."""

from __future__ import annotations

import asyncio

import pytest

from wa_crm.domain.model.events import DomainEvent, EventType

from .base import PersistenceContract, UowFactory
from .builders import T0, a_job, an_association

CREATED = DomainEvent(EventType.CONVERSATION_CREATED, "assoc-1", {"id": "c1"})
UPDATED = DomainEvent(EventType.CONVERSATION_UPDATED, "assoc-1", {"id": "c1"})


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

    async def test_concurrent_units_lose_no_writes(self, uow_factory: UowFactory) -> None:
        jobs = [a_job() for _ in range(12)]

        async def schedule(index: int) -> None:
            async with uow_factory() as uow:
                await uow.jobs.schedule(jobs[index], T0)
                await asyncio.sleep(0)
                await uow.commit()

        await asyncio.gather(*(schedule(i) for i in range(len(jobs))))
        async with uow_factory() as uow:
            assert (await uow.jobs.count_by_status())["pending"] == len(jobs)

    async def test_committed_events_are_handed_out_once(self, uow_factory: UowFactory) -> None:
        async with uow_factory() as uow:
            uow.record(CREATED)
            uow.record(UPDATED)
            assert uow.committed_events() == []
            await uow.commit()
        assert uow.committed_events() == [CREATED, UPDATED]
        assert uow.committed_events() == []

    async def test_events_of_rolled_back_work_are_dropped(self, uow_factory: UowFactory) -> None:
        async with uow_factory() as uow:
            uow.record(CREATED)
            await uow.rollback()
            uow.record(UPDATED)
            await uow.commit()
            uow.record(CREATED)  # never committed
        assert uow.committed_events() == [UPDATED]
