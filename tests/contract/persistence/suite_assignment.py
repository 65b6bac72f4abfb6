"""Automatic assignment's storage: presence records, open conversations per agent, the queue,
and the association lock."""

from __future__ import annotations

import asyncio

from wa_crm.domain.model.assignment import Presence
from wa_crm.domain.model.association import Association
from wa_crm.domain.model.conversation import ConversationStatus

from .base import PersistenceContract, UowFactory
from .builders import SAO_PAULO, a_contact, a_conversation, an_agent, an_association, at

S = ConversationStatus


class AssignmentContract(PersistenceContract):
    async def _association(self, uow_factory: UowFactory, agents: int = 2) -> tuple[str, ...]:
        """A fresh association and its agents: (association id, agent ids...)."""
        association = an_association()
        async with uow_factory() as uow:
            await uow.associations.add(association)
            ids = []
            for _ in range(agents):
                agent = an_agent(association.id)
                await uow.agents.add(agent)
                ids.append(agent.id)
            await uow.commit()
        return (association.id, *ids)

    async def test_presence_records_seen_left_and_assigned_times(
        self, uow_factory: UowFactory
    ) -> None:
        association, ana, bia = await self._association(uow_factory)
        other, carla = await self._association(uow_factory, agents=1)
        async with uow_factory() as uow:
            await uow.assignment.left(association, ana, at(0))  # never seen: nothing
            await uow.assignment.seen(association, ana, at(1).astimezone(SAO_PAULO))
            await uow.assignment.assigned(association, bia, at(2))
            await uow.assignment.seen(other, carla, at(3))
            await uow.commit()
        async with uow_factory() as uow:
            found = sorted(await uow.assignment.presence(association), key=lambda p: p.agent_id)
        assert found == sorted(
            [Presence(ana, last_seen_at=at(1)), Presence(bia, last_assigned_at=at(2))],
            key=lambda p: p.agent_id,
        )
        async with uow_factory() as uow:
            await uow.assignment.left(association, ana, at(4))
            await uow.assignment.assigned(association, ana, at(5))
            await uow.commit()
        async with uow_factory() as uow:
            (ana_now,) = [
                p for p in await uow.assignment.presence(association) if p.agent_id == ana
            ]
        assert ana_now == Presence(ana, at(1), left_at=at(4), last_assigned_at=at(5))
        async with uow_factory() as uow:
            await uow.assignment.seen(association, ana, at(6))
            await uow.commit()
        async with uow_factory() as uow:
            (ana_back,) = [
                p for p in await uow.assignment.presence(association) if p.agent_id == ana
            ]
            assert [p.agent_id for p in await uow.assignment.presence(other)] == [carla]
        assert ana_back == Presence(ana, at(6), left_at=None, last_assigned_at=at(5))

    async def _conversations(
        self, uow_factory: UowFactory, association: str, *shapes: tuple[S, str | None, float]
    ) -> list[str]:
        """One conversation (and contact) per (status, assignee, created second)."""
        ids = []
        async with uow_factory() as uow:
            for status, assignee, second in shapes:
                contact = a_contact(association)
                await uow.contacts.add(contact)
                conversation = a_conversation(
                    association,
                    contact.id,
                    status=status,
                    assignee_id=assignee,
                    created_at=at(second),
                    resolved_at=at(99) if status is S.RESOLVED else None,
                )
                await uow.conversations.add(conversation)
                ids.append(conversation.id)
            await uow.commit()
        return ids

    async def test_open_counts_count_pending_and_human_conversations_per_assignee(
        self, uow_factory: UowFactory
    ) -> None:
        association, ana, bia = await self._association(uow_factory)
        other, carla = await self._association(uow_factory, agents=1)
        await self._conversations(
            uow_factory,
            association,
            (S.HUMAN, ana, 1),
            (S.PENDING, ana, 2),
            (S.RESOLVED, ana, 3),
            (S.HUMAN, bia, 4),
            (S.PENDING, None, 5),
            (S.HUMAN, None, 6),
            (S.BOT, None, 7),
        )
        await self._conversations(uow_factory, other, (S.HUMAN, carla, 1))
        async with uow_factory() as uow:
            assert await uow.assignment.open_counts(association) == {ana: 2, bia: 1}
            assert await uow.assignment.open_counts(other) == {carla: 1}

    async def test_waiting_is_unassigned_pending_oldest_first(
        self, uow_factory: UowFactory
    ) -> None:
        association, ana, _ = await self._association(uow_factory)
        late, held, early, _, _, tie_a, tie_b = await self._conversations(
            uow_factory,
            association,
            (S.PENDING, None, 30),
            (S.PENDING, ana, 1),
            (S.PENDING, None, 10),
            (S.HUMAN, None, 2),
            (S.BOT, None, 3),
            (S.PENDING, None, 20),
            (S.PENDING, None, 20),
        )
        async with uow_factory() as uow:
            waiting = await uow.assignment.waiting(association, limit=10)
            first_two = await uow.assignment.waiting(association, limit=2)
        assert [c.id for c in waiting] == [early, *sorted([tie_a, tie_b]), late]
        assert [c.id for c in first_two] == [c.id for c in waiting[:2]]
        assert all(c.status is S.PENDING and c.assignee_id is None for c in waiting)
        assert held not in {c.id for c in waiting}

    async def test_held_by_is_the_agents_open_conversations_oldest_first(
        self, uow_factory: UowFactory
    ) -> None:
        association, ana, bia = await self._association(uow_factory)
        human, _, pending, _ = await self._conversations(
            uow_factory,
            association,
            (S.HUMAN, ana, 5),
            (S.RESOLVED, ana, 1),
            (S.PENDING, ana, 3),
            (S.HUMAN, bia, 2),
        )
        async with uow_factory() as uow:
            held = await uow.assignment.held_by(association, ana)
            assert await uow.assignment.held_by(association, "nobody") == []
        assert [c.id for c in held] == [pending, human]

    async def test_the_lock_lets_one_unit_at_a_time_assign_for_an_association(
        self, uow_factory: UowFactory
    ) -> None:
        (association,) = await self._association(uow_factory, agents=0)
        steps: list[str] = []
        first_holds = asyncio.Event()

        async def first() -> None:
            async with uow_factory() as uow:
                await uow.associations.lock(association)
                steps.append("first locked")
                first_holds.set()
                await asyncio.sleep(0.2)
                steps.append("first commits")
                await uow.commit()

        async def second() -> None:
            await first_holds.wait()
            async with uow_factory() as uow:
                await uow.associations.lock(association)
                steps.append("second locked")
                await uow.commit()

        await asyncio.wait_for(asyncio.gather(first(), second()), 10)
        assert steps == ["first locked", "first commits", "second locked"]

    async def test_settings_round_trip(self, uow_factory: UowFactory) -> None:
        association: Association = an_association()
        async with uow_factory() as uow:
            await uow.associations.add(association)
            await uow.commit()
        async with uow_factory() as uow:
            loaded = await uow.associations.get(association.id)
        assert loaded is not None and loaded.assignment == association.assignment
