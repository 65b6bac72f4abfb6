"""``PendingAckRepository``: acks that overtook our send's WhatsApp id (issue 15)."""

from __future__ import annotations

from wa_crm.domain.model.message import MessageStatus

from .base import PersistenceContract, UowFactory
from .builders import T0, at

SENT_ID = "true_5511988887777@c.us_3EB0AAAA"


class PendingAckContract(PersistenceContract):
    async def test_an_ack_kept_is_taken_once(self, uow_factory: UowFactory) -> None:
        async with uow_factory() as uow:
            await uow.pending_acks.keep("assoc-1", SENT_ID, MessageStatus.SENT, T0)
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.pending_acks.take("assoc-2", SENT_ID) is None
            assert await uow.pending_acks.take("assoc-1", SENT_ID) is MessageStatus.SENT
            assert await uow.pending_acks.take("assoc-1", SENT_ID) is None
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.pending_acks.take("assoc-1", SENT_ID) is None

    async def test_the_furthest_status_is_kept(self, uow_factory: UowFactory) -> None:
        """Acks come in no guaranteed order: a SERVER ack after DEVICE changes nothing."""
        async with uow_factory() as uow:
            await uow.pending_acks.keep("assoc-1", SENT_ID, MessageStatus.DELIVERED, T0)
            await uow.pending_acks.keep("assoc-1", SENT_ID, MessageStatus.SENT, at(1))
            await uow.commit()
        async with uow_factory() as uow:
            await uow.pending_acks.keep("assoc-1", SENT_ID, MessageStatus.READ, at(2))
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.pending_acks.take("assoc-1", SENT_ID) is MessageStatus.READ

    async def test_forget_before_forgets_the_oldest_first(self, uow_factory: UowFactory) -> None:
        async with uow_factory() as uow:
            for seconds, association_id, external_id in [
                (3, "assoc-1", "c"),
                (1, "assoc-2", "a"),
                (2, "assoc-1", "b"),
                (10, "assoc-1", "recent"),
            ]:
                await uow.pending_acks.keep(
                    association_id, external_id, MessageStatus.SENT, at(seconds)
                )
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.pending_acks.forget_before(at(5), 2) == 2
            assert await uow.pending_acks.forget_before(at(5), 2) == 1
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.pending_acks.take("assoc-1", "recent") is MessageStatus.SENT
            assert await uow.pending_acks.take("assoc-1", "c") is None
