"""Forgetting processed webhook event ids once WAHA can no longer retry their events.

- Every event id (acks and presence included) is remembered so that WAHA's retries have no
  second effect; remembered forever, the table would only grow.
- The service has one ``prune_event_ids`` job (``StartPeriodicJobs`` at start-up); each run
  forgets the ids remembered more than ``keep`` ago, then schedules the next run.
- Ids go in batches, one transaction each, so webhooks never wait behind a long delete.
- ``keep`` is at least the replay window's ``max_age`` (settings): an event whose id is
  forgotten is refused as too old, and a message is stored once by its WhatsApp id anyway.
- Acks kept for a WhatsApp id no message took (``early_acks``) go with them: by then no send
  that could store that id is still in flight.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from wa_crm.domain.model.job_codec import new_job
from wa_crm.domain.model.job_commands import PruneEventIds
from wa_crm.domain.model.jobs import Attempt, NewJob
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWorkFactory

BATCH_SIZE = 1000

_log = logging.getLogger("wa_crm.event_ids")


def prune_event_ids_job(at: datetime) -> NewJob:
    return new_job(PruneEventIds(), key=PruneEventIds.kind, run_after=at)


@dataclass(frozen=True)
class PruneProcessedEvents:
    """The ``prune_event_ids`` job."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    keep: timedelta
    batch_size: int = BATCH_SIZE
    every: timedelta = timedelta(hours=1)

    async def __call__(self, command: PruneEventIds, attempt: Attempt) -> None:
        now = self.clock.now()
        forgotten = 0
        while True:
            async with self.uow_factory() as uow:
                batch = await uow.processed_events.forget_before(now - self.keep, self.batch_size)
                batch += await uow.pending_acks.forget_before(now - self.keep, self.batch_size)
                await uow.commit()
            forgotten += batch
            if batch < self.batch_size:
                break
        if forgotten:
            _log.info("processed event ids forgotten", extra={"forgotten": forgotten})
        async with self.uow_factory() as uow:
            await uow.jobs.schedule(prune_event_ids_job(now + self.every), now)
            await uow.commit()
