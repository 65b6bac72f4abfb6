"""Retention, export and erasure reads and writes: messages deleted into anonymous rollups that
keep every statistic as it was, notes, patients deleted with phones and orders, send slots
forgotten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wa_crm.domain.model.message import Author, Direction, Message, MessageStatus
from wa_crm.domain.model.note import Note
from wa_crm.domain.model.statistics import AnsweredConversations, HourlyMessages
from wa_crm.ports.queries import Queries, StatisticsQueries

from .base import PersistenceContract, UowFactory
from .builders import SAO_PAULO, a_message, a_patient, an_order

A, OTHER = "assoc-privacy", "assoc-privacy-other"
DAY = datetime(2026, 3, 2, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def minutes(n: float) -> datetime:
    return DAY + timedelta(minutes=n)


def message(
    conversation_id: str,
    author: Author,
    at: datetime,
    status: MessageStatus | None = None,
    association_id: str = A,
) -> Message:
    inbound = author is Author.CONTACT
    return a_message(
        association_id,
        conversation_id,
        direction=Direction.IN if inbound else Direction.OUT,
        author=author,
        status=status or (MessageStatus.RECEIVED if inbound else MessageStatus.SENT),
        created_at=at,
    )


def history() -> list[Message]:
    """Three conversations over three hours: the bot alone, the bot then an agent, an agent in
    one hour and the bot in another; failures and system messages among them."""
    failed = MessageStatus.FAILED
    return [
        message("bot-only", Author.CONTACT, minutes(0)),
        message("bot-only", Author.BOT, minutes(1)),
        message("bot-only", Author.BOT, minutes(59), failed),
        message("mixed", Author.CONTACT, minutes(30)),
        message("mixed", Author.BOT, minutes(31).astimezone(SAO_PAULO)),
        message("mixed", Author.SYSTEM, minutes(32), failed),
        message("mixed", Author.AGENT, minutes(70)),
        message("mixed", Author.CONTACT, minutes(75)),
        message("split", Author.AGENT, minutes(20), failed),
        message("split", Author.BOT, minutes(150)),
        message("split", Author.CONTACT, minutes(179)),
        message("elsewhere", Author.AGENT, minutes(5), association_id=OTHER),
    ]


async def figures(stats: StatisticsQueries, start: datetime, end: datetime) -> tuple[object, ...]:
    mine, other = await stats.period(A, start, end), await stats.period(OTHER, start, end)
    return (
        list(mine.hourly_messages),
        mine.answered_conversations,
        mine.delivery_failures,
        other.delivery_failures,
    )


# Whole-hour periods: all three hours, each one alone, and the second and third together.
PERIODS = [
    (DAY, DAY + timedelta(hours=3)),
    *((DAY + timedelta(hours=n), DAY + timedelta(hours=n + 1)) for n in range(3)),
    (DAY + timedelta(hours=1), DAY + timedelta(hours=3)),
]


class PrivacyContract(PersistenceContract):
    async def _store(self, uow_factory: UowFactory, messages: list[Message]) -> None:
        async with uow_factory() as uow:
            for stored in messages:
                await uow.messages.add(stored)
            await uow.commit()

    async def _figures(self, queries: Queries) -> list[tuple[object, ...]]:
        return [await figures(queries.statistics, start, end) for start, end in PERIODS]

    async def _remaining(self, uow_factory: UowFactory, association_id: str = A) -> set[str]:
        async with uow_factory() as uow:
            ids: set[str] = set()
            for conversation in ("bot-only", "mixed", "split", "elsewhere"):
                found = await uow.messages.all_of_conversation(association_id, conversation)
                ids |= {m.id for m in found}
            return ids

    async def test_purge_deletes_exactly_what_is_older_oldest_first(
        self, uow_factory: UowFactory
    ) -> None:
        messages = history()
        await self._store(uow_factory, messages)
        cutoff = minutes(31)  # "mixed"'s bot message is exactly at the cut-off: kept
        older = sorted(
            (m for m in messages if m.association_id == A and m.created_at < cutoff),
            key=lambda m: m.created_at,
        )
        async with uow_factory() as uow:
            first = await uow.messages.purge_before(A, cutoff, limit=2)
            rest = await uow.messages.purge_before(A, cutoff, limit=100)
            nothing = await uow.messages.purge_before(A, cutoff, limit=100)
            await uow.commit()
        assert [m.id for m in first] == [m.id for m in older[:2]]
        assert [m.id for m in rest] == [m.id for m in older[2:]]
        assert nothing == []
        assert first[0] == older[0]  # the whole message comes back (its media, for one)
        kept = {m.id for m in messages} - {m.id for m in older}
        assert (
            await self._remaining(uow_factory) | await self._remaining(uow_factory, OTHER) == kept
        )

    async def test_purged_messages_leave_every_statistic_unchanged(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        await self._store(uow_factory, history())
        before = await self._figures(queries)
        # In steps that cut hours in two, so that an hour's rollup is added to.
        for cutoff in (minutes(10), minutes(31), minutes(75), minutes(200)):
            async with uow_factory() as uow:
                await uow.messages.purge_before(A, cutoff, limit=3)
                await uow.messages.purge_before(A, cutoff, limit=100)
                await uow.commit()
            assert await self._figures(queries) == before, cutoff
        assert await self._remaining(uow_factory) == set()
        hours = (await queries.statistics.period(A, PERIODS[0][0], PERIODS[0][1])).hourly_messages
        answered = (await queries.statistics.period(A, *PERIODS[0])).answered_conversations
        assert hours == [
            HourlyMessages(DAY, inbound=2, outbound=5),
            HourlyMessages(DAY + timedelta(hours=1), inbound=1, outbound=1),
            HourlyMessages(DAY + timedelta(hours=2), inbound=1, outbound=1),
        ]
        assert answered == AnsweredConversations(by_bot_only=1, by_humans=2)

    async def test_rollups_count_only_in_their_association_and_hours(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        await self._store(uow_factory, history())
        async with uow_factory() as uow:
            await uow.messages.purge_before(A, minutes(200), limit=100)
            await uow.messages.purge_before(OTHER, minutes(200), limit=100)
            await uow.commit()
        stats = queries.statistics
        before_day = await figures(stats, DAY - timedelta(hours=1), DAY)
        after = await figures(stats, DAY + timedelta(hours=3), DAY + timedelta(hours=4))
        other = (await stats.period(OTHER, *PERIODS[0])).answered_conversations
        empty = ([], AnsweredConversations(0, 0), 0, 0)
        assert before_day == after == empty
        assert other == AnsweredConversations(by_bot_only=0, by_humans=1)

    async def test_deleting_a_conversations_messages_keeps_the_statistics(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        messages = history()
        await self._store(uow_factory, messages)
        before = await self._figures(queries)
        async with uow_factory() as uow:
            deleted = await uow.messages.delete_of_conversation(A, "mixed")
            elsewhere = await uow.messages.delete_of_conversation(OTHER, "mixed")
            await uow.commit()
        mixed = sorted(
            (m for m in messages if m.conversation_id == "mixed"), key=lambda m: m.created_at
        )
        assert [m.id for m in deleted] == [m.id for m in mixed]
        assert elsewhere == []
        assert await self._figures(queries) == before
        assert await self._remaining(uow_factory) == {
            m.id for m in messages if m.conversation_id in ("bot-only", "split")
        }

    async def test_messages_of_a_conversation_oldest_first(self, uow_factory: UowFactory) -> None:
        messages = history()
        await self._store(uow_factory, messages)
        async with uow_factory() as uow:
            split = await uow.messages.all_of_conversation(A, "split")
            none = await uow.messages.all_of_conversation(OTHER, "split")
        assert split == [m for m in messages if m.conversation_id == "split"]
        assert none == []

    async def test_a_deleted_patient_takes_its_phones_and_orders(
        self, uow_factory: UowFactory
    ) -> None:
        erased, kept = a_patient(A), a_patient(A, phones=("+5511977776666",))
        async with uow_factory() as uow:
            for patient in (erased, kept):
                await uow.patients.upsert(patient)
                await uow.patients.add_order(A, patient.id, an_order())
            await uow.commit()
        async with uow_factory() as uow:
            await uow.patients.delete(A, erased.id)
            await uow.patients.delete(A, "nobody")
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.patients.get(A, erased.id) is None
            assert await uow.patients.find_by_phone(A, erased.phones[0]) == []
            survivor = await uow.patients.get(A, kept.id)
        assert survivor is not None and len(survivor.orders) == 1
        # A patient imported again with the same id starts without the old orders.
        async with uow_factory() as uow:
            await uow.patients.upsert(erased)
            await uow.commit()
        async with uow_factory() as uow:
            again = await uow.patients.get(A, erased.id)
        assert again is not None and again.orders == ()

    async def test_a_forgotten_send_slot_starts_afresh(self, uow_factory: UowFactory) -> None:
        later = minutes(10)
        async with uow_factory() as uow:
            await uow.send_slots.reserve("chat:a:5511@c.us", later, timedelta(0))
            await uow.send_slots.reserve("session:x", later, timedelta(0))
            await uow.send_slots.forget("chat:a:5511@c.us")
            await uow.commit()
        async with uow_factory() as uow:
            fresh = await uow.send_slots.reserve("chat:a:5511@c.us", DAY, timedelta(0))
            kept = await uow.send_slots.reserve("session:x", DAY, timedelta(0))
        assert (fresh, kept) == (DAY, later)

    async def test_a_conversations_notes_are_read_and_deleted_with_it(
        self, uow_factory: UowFactory
    ) -> None:
        notes = [
            Note(f"n{n}", A, conversation, "agent-1", f"note {n}", minutes(10 - n))
            for n, conversation in enumerate(["c1", "c1", "c2", "c1"])
        ]
        elsewhere = Note("n9", OTHER, "c1", "agent-2", "not ours", minutes(0))
        async with uow_factory() as uow:
            for note in [*notes, elsewhere]:
                await uow.notes.add(note)
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.notes.all_of_conversation(A, "c1") == [notes[3], notes[1], notes[0]]
            assert await uow.notes.delete_of_conversation(A, "c1") == 3
            assert await uow.notes.delete_of_conversation(A, "c1") == 0
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.notes.all_of_conversation(A, "c1") == []
            assert await uow.notes.all_of_conversation(A, "c2") == [notes[2]]
            assert await uow.notes.all_of_conversation(OTHER, "c1") == [elsewhere]
