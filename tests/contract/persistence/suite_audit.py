"""The audit log: append-only, read newest first by id, filtered by time and actor, per
association."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from wa_crm.domain.model.association import Association
from wa_crm.domain.model.audit import SYSTEM_ACTOR, AuditAction, AuditEntry
from wa_crm.ports.queries import AuditQuery, Queries

from .base import PersistenceContract, UowFactory
from .builders import SAO_PAULO, a_contact, a_conversation, an_association, at


def an_entry(association: Association, seconds: float, **overrides: object) -> AuditEntry:
    values: dict[str, object] = {
        "association_id": association.id,
        "actor": "agent-ana",
        "action": AuditAction.CONVERSATION_VIEWED,
        "target_type": "conversation",
        "target_id": f"conversation-{seconds:g}",
        "at": at(seconds),
        "details": {"message_ids": ["m1", "m2"], "count": 2},
    }
    return AuditEntry(**values | overrides)  # type: ignore[arg-type]


class AuditContract(PersistenceContract):
    async def _associations(self, uow_factory: UowFactory) -> tuple[Association, Association]:
        mine, other = an_association(), an_association()
        async with uow_factory() as uow:
            await uow.associations.add(mine)
            await uow.associations.add(other)
            await uow.commit()
        return mine, other

    async def _append(self, uow_factory: UowFactory, *entries: AuditEntry) -> None:
        async with uow_factory() as uow:
            for entry in entries:
                await uow.audit.add(entry)
            await uow.commit()

    async def _list(
        self, queries: Queries, association: Association, **query: object
    ) -> list[AuditEntry]:
        found = await queries.audit.entries(association.id, AuditQuery(**query))  # type: ignore[arg-type]
        return [entry for _, entry in found]

    async def test_entries_come_back_whole_newest_first(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        mine, other = await self._associations(uow_factory)
        first = an_entry(mine, 0, at=at(0).astimezone(SAO_PAULO))
        second = an_entry(
            mine,
            5,
            actor=SYSTEM_ACTOR,
            action=AuditAction.MESSAGES_PURGED,
            target_type="association",
            target_id=mine.id,
            details={},
        )
        await self._append(uow_factory, first, second, an_entry(other, 9))

        found = await self._list(queries, mine)

        assert found == [second, first]
        assert found[1].at.utcoffset() is not None
        assert isinstance(found[0].action, AuditAction)

    async def test_the_order_is_the_order_of_appending(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        """Newest by id, not by time: a clock that steps back does not reorder the log."""
        mine, _ = await self._associations(uow_factory)
        later, earlier = an_entry(mine, 10), an_entry(mine, 1)
        await self._append(uow_factory, later)
        await self._append(uow_factory, earlier)

        assert await self._list(queries, mine) == [earlier, later]

    async def test_ids_page_back_through_the_log(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        mine, other = await self._associations(uow_factory)
        entries = [an_entry(mine if n % 3 else other, n) for n in range(10)]
        await self._append(uow_factory, *entries)
        expected = [e for e in reversed(entries) if e.association_id == mine.id]

        pages: list[list[AuditEntry]] = []
        before: int | None = None
        while True:
            page = await queries.audit.entries(mine.id, AuditQuery(before_id=before, limit=2))
            if not page:
                break
            pages.append([entry for _, entry in page])
            ids = [entry_id for entry_id, _ in page]
            assert ids == sorted(ids, reverse=True)
            before = ids[-1]

        assert [len(page) for page in pages] == [2, 2, 2]
        assert [entry for page in pages for entry in page] == expected

    async def test_a_period_includes_its_start_and_excludes_its_end(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        mine, _ = await self._associations(uow_factory)
        entries = [an_entry(mine, n) for n in range(5)]
        await self._append(uow_factory, *entries)

        assert await self._list(queries, mine, start=at(1), end=at(3)) == entries[2:0:-1]
        assert await self._list(queries, mine, start=at(3)) == entries[:2:-1]
        assert await self._list(queries, mine, end=at(1).astimezone(SAO_PAULO)) == entries[:1]

    async def test_the_actor_filter_combines_with_the_others(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        mine, _ = await self._associations(uow_factory)
        entries = [an_entry(mine, n, actor=("ana", "bia")[n % 2]) for n in range(6)]
        await self._append(uow_factory, *entries)
        newest_first = await queries.audit.entries(mine.id, AuditQuery())
        cursor = newest_first[1][0]  # the id of entry 4

        assert await self._list(queries, mine, actor="bia") == [
            entries[5],
            entries[3],
            entries[1],
        ]
        assert await self._list(
            queries, mine, actor="ana", start=at(1), before_id=cursor, limit=5
        ) == [entries[2]]
        assert await self._list(queries, mine, actor="nobody") == []

    async def test_an_uncommitted_entry_is_not_kept(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        mine, _ = await self._associations(uow_factory)
        async with uow_factory() as uow:
            await uow.audit.add(an_entry(mine, 1))

        assert await self._list(queries, mine) == []

    async def test_the_log_can_only_be_added_to_and_read(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        async with uow_factory() as uow:
            public = {name for name in dir(uow.audit) if not name.startswith("_")}
        assert public == {"add"}
        readers = {name for name in dir(queries.audit) if not name.startswith("_")}
        assert readers == {"entries", "agent_names", "target_names"}

    async def test_targets_are_named_by_their_contacts_display_name(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        mine, other = await self._associations(uow_factory)
        maria = a_contact(mine.id, id="contact-maria", display_name="Maria")
        nameless = a_contact(mine.id, id="contact-nameless", display_name="")
        elsewhere = a_contact(other.id, id="contact-elsewhere", display_name="Eva")
        async with uow_factory() as uow:
            for contact in (maria, nameless, elsewhere):
                await uow.contacts.add(contact)
            for conversation_id, contact in (
                ("conv-maria", maria),
                ("conv-nameless", nameless),
                ("conv-elsewhere", elsewhere),
            ):
                await uow.conversations.add(
                    a_conversation(contact.association_id, contact.id, id=conversation_id)
                )
            await uow.commit()

        names = await queries.audit.target_names(
            mine.id,
            ["contact-maria", "contact-nameless", "contact-elsewhere", "contact-none"],
            ["conv-maria", "conv-nameless", "conv-elsewhere", "conv-none"],
        )

        assert names == {"contact-maria": "Maria", "conv-maria": "Maria"}
        assert await queries.audit.target_names(mine.id, [], []) == {}


class SqlAuditContract(PersistenceContract):
    """The SQL adapter's statements on ``audit_log`` are INSERTs and SELECTs, nothing else."""

    @pytest.fixture
    def engine(self) -> AsyncEngine:
        raise NotImplementedError

    @pytest.fixture
    def read_engine(self) -> AsyncEngine:
        raise NotImplementedError

    @contextmanager
    def _statements(self, *engines: AsyncEngine) -> Iterator[list[str]]:
        seen: list[str] = []

        def remember(*args: object) -> None:
            seen.append(str(args[2]))

        for engine in engines:
            event.listen(engine.sync_engine, "before_cursor_execute", remember)
        try:
            yield seen
        finally:
            for engine in engines:
                event.remove(engine.sync_engine, "before_cursor_execute", remember)

    async def test_the_adapter_only_inserts_and_selects(
        self,
        engine: AsyncEngine,
        read_engine: AsyncEngine,
        uow_factory: UowFactory,
        queries: Queries,
    ) -> None:
        mine = an_association()
        async with uow_factory() as uow:
            await uow.associations.add(mine)
            await uow.commit()
        with self._statements(engine, read_engine) as seen:
            async with uow_factory() as uow:
                await uow.audit.add(an_entry(mine, 1))
                await uow.commit()
            await queries.audit.entries(mine.id, AuditQuery())
            query = AuditQuery(start=at(0), end=at(2), actor="x", before_id=9, limit=3)
            await queries.audit.entries(mine.id, query)

        on_the_log = [s.split()[0].upper() for s in seen if "audit_log" in s]
        assert on_the_log == ["INSERT", "SELECT", "SELECT"]
