"""What the periodic passes over conversations read: the idle ones with the bot (inactivity
close) and the ones waiting for an agent's first answer (first-response target)."""

from __future__ import annotations

from datetime import timedelta

from wa_crm.domain.model.conversation import ConversationStatus

from .base import PersistenceContract, UowFactory
from .builders import T0, a_conversation, at

ASSOCIATION = "assoc-clocks"


class ConversationClockContract(PersistenceContract):
    async def test_idle_bot_conversations_longest_idle_first(self, uow_factory: UowFactory) -> None:
        quiet = a_conversation(ASSOCIATION, "k1", last_message_id="m1", last_message_at=at(10))
        never_written = a_conversation(ASSOCIATION, "k2", created_at=at(5))
        recent = a_conversation(ASSOCIATION, "k3", last_message_id="m3", last_message_at=at(60))
        others = [
            a_conversation(ASSOCIATION, "k4", status=ConversationStatus.PENDING),
            a_conversation(ASSOCIATION, "k5", status=ConversationStatus.HUMAN),
            a_conversation(ASSOCIATION, "k6", snoozed_until=at(9000)),
            a_conversation("another-association", "k7"),
        ]
        async with uow_factory() as uow:
            for conversation in (quiet, never_written, recent, *others):
                await uow.conversations.add(conversation)
            await uow.commit()
        async with uow_factory() as uow:
            idle = await uow.conversations.idle_with_bot(ASSOCIATION, at(30), 10)
            assert [c.id for c in idle] == [never_written.id, quiet.id]
            assert idle[1] == quiet
            first = await uow.conversations.idle_with_bot(ASSOCIATION, at(100), 1)
            assert [c.id for c in first] == [never_written.id]
            assert await uow.conversations.idle_with_bot(ASSOCIATION, at(5), 10) == []

    async def test_waiting_for_a_first_answer_oldest_unanswered_handoff_first(
        self, uow_factory: UowFactory
    ) -> None:
        pending = {"status": ConversationStatus.PENDING}
        answered_then_again = a_conversation(ASSOCIATION, "k1", **pending)
        waiting = a_conversation(ASSOCIATION, "k2", **pending)
        late = a_conversation(ASSOCIATION, "k3", sla_breached_at=at(50), **pending)
        snoozed = a_conversation(ASSOCIATION, "k4", snoozed_until=at(9000), **pending)
        taken = a_conversation(ASSOCIATION, "k5", status=ConversationStatus.HUMAN)
        never_handed_off = a_conversation(ASSOCIATION, "k6", **pending)
        async with uow_factory() as uow:
            for conversation in (answered_then_again, waiting, late, snoozed, taken):
                await uow.conversations.add(conversation)
            await uow.conversations.add(never_handed_off)
            await uow.handoffs.record(ASSOCIATION, answered_then_again.id, "keyword", at(1))
            await uow.handoffs.mark_answered(answered_then_again.id, at(2))
            await uow.handoffs.record(ASSOCIATION, answered_then_again.id, "keyword", at(20))
            await uow.handoffs.record(ASSOCIATION, answered_then_again.id, "max_turns", at(25))
            await uow.handoffs.record(ASSOCIATION, waiting.id, "keyword", at(10))
            for other in (late, snoozed, taken):
                await uow.handoffs.record(ASSOCIATION, other.id, "keyword", at(0))
            await uow.commit()
        async with uow_factory() as uow:
            found = await uow.conversations.awaiting_answer(ASSOCIATION, at(60), 10)
            assert [(c.id, since) for c, since in found] == [
                (waiting.id, at(10)),
                (answered_then_again.id, at(20)),
            ]
            assert found[0][0] == waiting
            assert [
                c.id for c, _ in await uow.conversations.awaiting_answer(ASSOCIATION, at(15), 10)
            ] == [waiting.id]
            assert len(await uow.conversations.awaiting_answer(ASSOCIATION, at(60), 1)) == 1
            assert (
                await uow.conversations.awaiting_answer(ASSOCIATION, T0 + timedelta(seconds=9), 10)
                == []
            )
            assert await uow.conversations.awaiting_answer("another-association", at(60), 10) == []
