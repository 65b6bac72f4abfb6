"""Retention: messages and media older than the association's retention period are purged daily.

- Every association has one ``purge_expired`` job (``StartPeriodicJobs`` at start-up, and
  ``UpdatePrivacySettings`` when an admin sets a period); each run purges, then schedules the
  next run a day later. Without a period (the default) a run purges nothing.
- A message is purged when it was created strictly before ``now - retention_days``. Batches are
  one transaction each: the messages go into their anonymous rollups (statistics stay as they
  were), and their files leave the media store before the commit, so a failed commit leaves at
  worst a message whose file is already gone, never a file nobody can find any more.
- The knowledge base's unanswered questions first asked strictly before the same cutoff go too,
  answered ones with them (an admin's FAQ entry stays): they are patients' own words. The
  knowledge base is outside the unit of work, so they go in batches of their own, after the
  messages.
- What a run purged is logged and audited as counts, without any content.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from wa_crm.domain.model.audit import SYSTEM_ACTOR, AuditAction, AuditEntry
from wa_crm.domain.model.job_codec import new_job
from wa_crm.domain.model.job_commands import PurgeExpired
from wa_crm.domain.model.jobs import Attempt, NewJob
from wa_crm.domain.model.message import Message
from wa_crm.ports.knowledge import KnowledgeBase
from wa_crm.ports.media import MediaStore
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWorkFactory

BATCH_SIZE = 500

_log = logging.getLogger("wa_crm.retention")


def purge_job(association_id: str, at: datetime) -> NewJob:
    return new_job(
        PurgeExpired(association_id), key=f"{PurgeExpired.kind}:{association_id}", run_after=at
    )


def stored_files(messages: Iterable[Message]) -> list[str]:
    """The media store keys of the messages' files."""
    return [
        message.media.url
        for message in messages
        if message.media is not None and message.media.stored and message.media.url
    ]


async def delete_files(media: MediaStore, messages: Iterable[Message]) -> int:
    """Delete the messages' files from the media store; returns how many there were."""
    keys = stored_files(messages)
    for key in keys:
        await media.delete(key)
    return len(keys)


@dataclass(frozen=True)
class Purge:
    """What one run purged: counts only."""

    before: datetime
    messages: int = 0
    files: int = 0
    unanswered_questions: int = 0

    @property
    def empty(self) -> bool:
        """Nothing was purged: nothing to audit."""
        return not (self.messages or self.unanswered_questions)

    def audit_entry(self, association_id: str, at: datetime) -> AuditEntry:
        return AuditEntry(
            association_id,
            SYSTEM_ACTOR,
            AuditAction.MESSAGES_PURGED,
            "association",
            association_id,
            at,
            {
                "messages": self.messages,
                "media_files": self.files,
                "unanswered_questions": self.unanswered_questions,
                "before": self.before.isoformat(),
            },
        )


@dataclass(frozen=True)
class PurgeExpiredMessages:
    """The ``purge_expired`` job of one association."""

    uow_factory: UnitOfWorkFactory
    media: MediaStore
    clock: Clock
    knowledge: KnowledgeBase
    batch_size: int = BATCH_SIZE
    every: timedelta = timedelta(days=1)

    async def __call__(self, command: PurgeExpired, attempt: Attempt) -> None:
        association_id = command.association_id
        now = self.clock.now()
        async with self.uow_factory() as uow:
            association = await uow.associations.get(association_id)
        if association is None:
            return
        days = association.privacy.retention_days
        purge = None
        if days is not None:
            purge = await self._purge(association_id, now - timedelta(days=days))
            _log.info(
                "retention purge",
                extra={
                    "association_id": association_id,
                    "retention_days": days,
                    "messages": purge.messages,
                    "media_files": purge.files,
                    "unanswered_questions": purge.unanswered_questions,
                },
            )
        async with self.uow_factory() as uow:
            if purge is not None and not purge.empty:
                await uow.audit.add(purge.audit_entry(association_id, now))
            await uow.jobs.schedule(purge_job(association_id, now + self.every), now)
            await uow.commit()

    async def _purge(self, association_id: str, before: datetime) -> Purge:
        """Batch after batch until one comes back short: messages, then questions."""
        messages = files = 0
        while True:
            async with self.uow_factory() as uow:
                deleted = await uow.messages.purge_before(association_id, before, self.batch_size)
                files += await delete_files(self.media, deleted)
                await uow.commit()
            messages += len(deleted)
            if len(deleted) < self.batch_size:
                break
        questions = 0
        while True:
            batch = await self.knowledge.purge_unanswered_before(
                association_id, before, self.batch_size
            )
            questions += batch
            if batch < self.batch_size:
                return Purge(before, messages, files, questions)
