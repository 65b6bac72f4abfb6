"""Writing to the audit log and reading it back (architecture.md section 11).

The HTTP edge records what agents do through ``RecordAudit``, in its own unit of work right
after the action's answer is ready (see ``entrypoints/http/auth.agent_route``). What wa_crm does
on its own (a retention purge, a contact's opt-out) appends its entry inside the unit of work of
the change itself, with ``uow.audit.add``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from wa_crm.domain.model.audit import AuditAction, AuditEntry
from wa_crm.ports.queries import AuditQueries, AuditQuery
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWorkFactory

_PHONE_CHARACTERS = re.compile(r"[\s+().\d-]+")


def _is_phone_like(name: str) -> bool:
    """A display name that is a phone number (WhatsApp shows the number when a contact has no
    name): the audit log never shows one."""
    return bool(_PHONE_CHARACTERS.fullmatch(name)) and sum(c.isdigit() for c in name) >= 6


READS = frozenset(
    {
        AuditAction.CONVERSATION_VIEWED,
        AuditAction.CONVERSATION_LISTED,
        AuditAction.NOTES_LISTED,
        AuditAction.MESSAGES_LISTED,
        AuditAction.MEDIA_VIEWED,
        AuditAction.CONTACT_VIEWED,
        AuditAction.EVENTS_SUBSCRIBED,
        AuditAction.DEAD_LETTERS_LISTED,
        AuditAction.IMPORTS_LISTED,
        AuditAction.IMPORT_VIEWED,
        AuditAction.CANNED_REPLY_RENDERED,
        AuditAction.UNANSWERED_LISTED,
        AuditAction.QUESTION_TRIED,
    }
)
"""Actions that change nothing: the audit log page groups their repeats, never a write's."""

AuditDetails = Mapping[str, str | int | list[str]]
"""Ids, counts and names of settings: never a phone number, a person's name or message text."""


@dataclass(frozen=True)
class AuditRecord:
    """What one agent did to one thing."""

    association_id: str
    actor: str
    action: AuditAction
    target_type: str
    """``conversation``, ``contact``, ``message`` or ``association``."""
    target_id: str
    details: AuditDetails | None = None


@dataclass(frozen=True)
class RecordAudit:
    uow_factory: UnitOfWorkFactory
    clock: Clock

    async def __call__(self, record: AuditRecord) -> None:
        entry = AuditEntry(
            association_id=record.association_id,
            actor=record.actor,
            action=record.action,
            target_type=record.target_type,
            target_id=record.target_id,
            at=self.clock.now(),
            details=dict(record.details or {}),
        )
        async with self.uow_factory() as uow:
            await uow.audit.add(entry)
            await uow.commit()


@dataclass(frozen=True)
class AuditPage:
    entries: Sequence[tuple[int, AuditEntry]]
    """Newest first, each with its id."""
    agent_names: Mapping[str, str]
    """The names of the association's agents, by id (actors that are agents)."""
    target_names: Mapping[str, str]
    """The display names of the contacts the entries are about (a contact, or a conversation's
    contact), by target id; never a phone number."""
    next_before_id: int | None
    """The cursor of the next page; None on the last one."""


@dataclass(frozen=True)
class ReadAuditLog:
    audit: AuditQueries

    async def __call__(self, association_id: str, query: AuditQuery) -> AuditPage:
        entries = await self.audit.entries(association_id, query)
        agent_names = await self.audit.agent_names(association_id)
        targets = {
            kind: sorted({e.target_id for _, e in entries if e.target_type == kind})
            for kind in ("contact", "conversation")
        }
        names = await self.audit.target_names(
            association_id, targets["contact"], targets["conversation"]
        )
        shown = {id_: name for id_, name in names.items() if not _is_phone_like(name)}
        full = len(entries) == query.limit
        return AuditPage(entries, agent_names, shown, entries[-1][0] if full and entries else None)
