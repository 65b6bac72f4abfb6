"""The service's job that forgets processed event ids, on the memory adapters."""

from __future__ import annotations

import functools
from datetime import timedelta

from wa_crm.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from wa_crm.domain.model.job_commands import PruneEventIds
from wa_crm.domain.model.jobs import JobStatus
from wa_crm.domain.usecases.inbound.event_ids import PruneProcessedEvents
from wa_crm.domain.usecases.runtime.periodic import StartPeriodicJobs
from wa_crm.domain.usecases.runtime.runner import JobRunner
from wa_crm.testing.clock import FakeClock

KEEP = timedelta(days=8)


class World:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.store = InMemoryStore()
        self.uow_factory = functools.partial(InMemoryUnitOfWork, self.store)
        prune = PruneProcessedEvents(self.uow_factory, self.clock, KEEP, batch_size=2)
        self.runner = JobRunner(self.uow_factory, self.clock, {PruneEventIds: prune}, "worker")
        self.start = StartPeriodicJobs(self.uow_factory, self.clock, jobs=())

    async def remember(self, *ages: timedelta) -> None:
        async with self.uow_factory() as uow:
            for n, age in enumerate(ages):
                await uow.processed_events.remember("assoc", f"evt-{n}", self.clock.now() - age)
            await uow.commit()

    def remembered(self) -> set[str]:
        return {event_id for _, event_id in self.store.tables.processed_events}


async def test_ids_older_than_kept_are_forgotten_batch_after_batch_and_the_job_comes_back() -> None:
    world = World()
    await world.start()
    expired = [KEEP + timedelta(seconds=n + 1) for n in range(5)]  # more than two batches
    await world.remember(*expired, KEEP, timedelta(0))

    assert await world.runner.run_due() == 1

    assert world.remembered() == {"evt-5", "evt-6"}
    async with world.uow_factory() as uow:
        job = await uow.jobs.get_by_key(PruneEventIds.kind)
    assert job is not None and job.status is JobStatus.PENDING
    assert job.run_after == world.clock.now() + timedelta(hours=1)


async def test_the_service_has_one_prune_job_even_without_associations() -> None:
    world = World()

    await world.start()
    world.clock.advance(60)
    await world.start()  # a pending job keeps its time

    async with world.uow_factory() as uow:
        job = await uow.jobs.get_by_key(PruneEventIds.kind)
    assert job is not None and job.association_id is None
    assert job.run_after == world.clock.now() - timedelta(seconds=60)
