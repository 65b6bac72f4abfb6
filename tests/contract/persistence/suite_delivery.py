"""Send slots (rate limits), session status history and dead letters."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime, timedelta

from wa_crm.domain.model.message import OPTED_OUT, SUPERSEDED, Author, Direction, MessageStatus
from wa_crm.ports.queries import Queries

from .base import PersistenceContract, UowFactory
from .builders import T0, a_message, an_association, at

SECOND = timedelta(seconds=1)


class DeliveryStateContract(PersistenceContract):
    async def test_send_slots_space_sends_by_the_interval(self, uow_factory: UowFactory) -> None:
        slots = []
        for _ in range(3):
            async with uow_factory() as uow:
                slots.append(await uow.send_slots.reserve("session:x", T0, SECOND))
                await uow.commit()
        assert slots == [T0, T0 + SECOND, T0 + 2 * SECOND]
        async with uow_factory() as uow:
            later = T0 + timedelta(minutes=5)
            assert await uow.send_slots.reserve("session:x", later, SECOND) == later
            assert await uow.send_slots.reserve("chat:y", T0, SECOND) == T0

    async def test_concurrent_reservations_never_share_a_slot(
        self, uow_factory: UowFactory
    ) -> None:
        async def reserve() -> object:
            async with uow_factory() as uow:
                slot = await uow.send_slots.reserve("session:busy", T0, SECOND)
                await uow.commit()
            return slot

        slots = await asyncio.gather(*(reserve() for _ in range(20)))
        assert sorted(slots) == [T0 + n * SECOND for n in range(20)]  # type: ignore[type-var]

    async def test_a_rolled_back_reservation_is_forgotten(self, uow_factory: UowFactory) -> None:
        async with uow_factory() as uow:
            await uow.send_slots.reserve("session:z", T0, SECOND)
        async with uow_factory() as uow:
            assert await uow.send_slots.reserve("session:z", T0, SECOND) == T0

    async def test_session_history_is_newest_first_and_knows_the_previous_status(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        association = an_association()
        async with uow_factory() as uow:
            await uow.associations.add(association)
            session = association.whatsapp.session

            def record(status: str, moment: datetime) -> Awaitable[str | None]:
                return uow.session_events.record(association.id, status, moment, session=session)

            assert await record("STARTING", at(1)) is None
            assert await record("WORKING", at(2)) == "STARTING"
            assert await record("FAILED", at(3)) == "WORKING"
            await uow.commit()
        history = await queries.monitoring.session_history(association.id, 2)
        assert [(change.status, change.at) for change in history] == [
            ("FAILED", at(3)),
            ("WORKING", at(2)),
        ]
        assert await queries.monitoring.session_history("another", 5) == []

    async def test_dead_letters_are_failed_outbound_messages_newest_first(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        def outbound(second: int, status: MessageStatus, association: str = "a1"):  # type: ignore[no-untyped-def]
            return a_message(
                association,
                "c1",
                direction=Direction.OUT,
                author=Author.BOT,
                status=status,
                external_id=None,
                created_at=at(second),
            )

        older, newer = outbound(1, MessageStatus.FAILED), outbound(2, MessageStatus.FAILED)
        async with uow_factory() as uow:
            for message in (older, newer, outbound(3, MessageStatus.SENT)):
                await uow.messages.add(message)
            await uow.messages.add(outbound(4, MessageStatus.FAILED, association="a2"))
            await uow.messages.add(a_message("a1", "c1", created_at=at(5)))
            await uow.commit()
        assert await queries.monitoring.failed_messages("a1", 10) == [newer, older]
        assert await queries.monitoring.failed_messages("a1", 1) == [newer]

    async def test_messages_withheld_on_purpose_are_not_dead_letters(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        """A bot message a person took over from, or one the contact opted out of, was never
        tried: nothing to send again."""

        def failed(second: int, error: str | None):  # type: ignore[no-untyped-def]
            return a_message(
                "a1",
                "c1",
                direction=Direction.OUT,
                author=Author.BOT,
                status=MessageStatus.FAILED,
                error=error,
                external_id=None,
                created_at=at(second),
            )

        dead, rejected = failed(1, None), failed(2, "rejected")
        async with uow_factory() as uow:
            for message in (dead, rejected, failed(3, SUPERSEDED), failed(4, OPTED_OUT)):
                await uow.messages.add(message)
            await uow.commit()
        assert await queries.monitoring.failed_messages("a1", 10) == [rejected, dead]
