"""Canned replies, private notes, and what conversations keep for labels, ratings and snooze:
stored, filtered in the inbox list, counted in statistics."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from wa_crm.domain.model.canned_reply import CannedReply
from wa_crm.domain.model.conversation import ConversationStatus
from wa_crm.domain.model.note import Note
from wa_crm.domain.model.statistics import Satisfaction
from wa_crm.ports.queries import ConversationQuery, InboxCursor, Queries
from wa_crm.ports.unit_of_work import DuplicateKey

from .base import PersistenceContract, UowFactory
from .builders import SAO_PAULO, T0, a_contact, a_conversation, an_association, at, new_id

START = datetime(2026, 3, 2, tzinfo=UTC)
END = START + timedelta(days=1)


def a_reply(association_id: str, shortcut: str, text: str, title: str = "") -> CannedReply:
    return CannedReply(new_id("reply"), association_id, shortcut, title, text, T0, at(1))


def a_note(association_id: str, conversation_id: str, seconds: float) -> Note:
    created_at = at(seconds).astimezone(SAO_PAULO)
    return Note(
        new_id("note"), association_id, conversation_id, "agent-1", "Ligar às 14h", created_at
    )


class InboxToolsContract(PersistenceContract):
    async def _associations(self, uow_factory: UowFactory) -> tuple[str, str]:
        mine, other = an_association(), an_association()
        async with uow_factory() as uow:
            await uow.associations.add(mine)
            await uow.associations.add(other)
            await uow.commit()
        return mine.id, other.id

    async def test_canned_replies_round_trip_search_and_delete(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        mine, other = await self._associations(uow_factory)
        welcome = a_reply(mine, "ola", "Olá {first_name}! Sou {agent_name}.", "Boas-vindas")
        hours = a_reply(mine, "horario", "Atendemos das 8h às 18h.", "Horário")
        price = a_reply(mine, "preco_100%", "Custa R$ 100.")
        elsewhere = a_reply(other, "ola", "Oi")
        async with uow_factory() as uow:
            for reply in (welcome, hours, price, elsewhere):
                await uow.canned_replies.add(reply)
            await uow.commit()
        search = queries.inbox.canned_replies
        assert await search(mine, "", 10) == [hours, welcome, price]
        assert await search(mine, "", 1) == [hours]
        assert await search(mine, "OLA", 10) == [welcome]  # shortcut
        assert await search(mine, "vindas", 10) == [welcome]  # title
        assert await search(mine, "18H", 10) == [hours]  # text
        assert await search(mine, "100%", 10) == [price]
        assert await search(mine, "0%_", 10) == []
        async with uow_factory() as uow:
            replies = uow.canned_replies
            assert await replies.get(mine, welcome.id) == welcome
            assert await replies.get(other, welcome.id) is None
            assert await replies.delete(other, hours.id) is False
            assert await replies.delete(mine, hours.id) is True
            assert await replies.delete(mine, hours.id) is False
            await uow.commit()
        assert await search(mine, "", 10) == [welcome, price]

    async def test_a_shortcut_is_unique_per_association(self, uow_factory: UowFactory) -> None:
        mine, other = await self._associations(uow_factory)
        first, second = a_reply(mine, "ola", "Oi"), a_reply(mine, "tchau", "Até logo")
        async with uow_factory() as uow:
            await uow.canned_replies.add(first)
            await uow.canned_replies.add(second)
            await uow.canned_replies.add(a_reply(other, "ola", "Oi"))
            await uow.commit()
        async with uow_factory() as uow:
            with pytest.raises(DuplicateKey):
                await uow.canned_replies.add(a_reply(mine, "ola", "Olá"))
        async with uow_factory() as uow:
            with pytest.raises(DuplicateKey):
                await uow.canned_replies.update(dataclasses.replace(second, shortcut="ola"))
        renamed = dataclasses.replace(second, shortcut="ate-logo", text="Até!", updated_at=at(9))
        async with uow_factory() as uow:
            await uow.canned_replies.update(renamed)
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.canned_replies.get(mine, second.id) == renamed

    async def test_notes_newest_kept_oldest_first(self, uow_factory: UowFactory) -> None:
        first, second, third = (a_note("a1", "c1", seconds) for seconds in (1, 2, 3))
        async with uow_factory() as uow:
            for note in (third, first, second):
                await uow.notes.add(note)
            await uow.notes.add(a_note("a1", "c2", 4))
            await uow.notes.add(a_note("a2", "c1", 5))
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.notes.list_for_conversation("a1", "c1", 10) == [first, second, third]
            assert await uow.notes.list_for_conversation("a1", "c1", 2) == [second, third]
            assert await uow.notes.list_for_conversation("a1", "nothing", 10) == []

    async def test_labels_rating_and_snooze_are_kept(self, uow_factory: UowFactory) -> None:
        conversation = a_conversation(
            "a1",
            "k1",
            status=ConversationStatus.RESOLVED,
            labels=("receita", "urgência"),
            rating=4,
            rating_requested_at=at(10).astimezone(SAO_PAULO),
            rated_at=at(20),
            snoozed_until=at(30),
        )
        async with uow_factory() as uow:
            await uow.conversations.add(conversation)
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.conversations.get("a1", conversation.id) == conversation
            conversation.set_labels(())
            conversation.wake()
            await uow.conversations.update(conversation)
            await uow.commit()
        async with uow_factory() as uow:
            loaded = await uow.conversations.get("a1", conversation.id)
        assert loaded is not None and (loaded.labels, loaded.snoozed_until) == ((), None)

    async def test_the_list_filters_by_label_and_leaves_out_snoozed_ones(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        names = {}
        rows = [
            ("urgent", ("urgente",), None),
            ("both", ("receita", "urgente"), None),
            ("snoozed", ("urgente",), at(3600)),
            ("plain", (), None),
            ("prefix", ("urgente-x",), None),
        ]
        async with uow_factory() as uow:
            for second, (name, labels, snoozed_until) in enumerate(rows, start=1):
                contact = a_contact("a1")
                await uow.contacts.add(contact)
                conversation = a_conversation(
                    "a1",
                    contact.id,
                    labels=labels,
                    snoozed_until=snoozed_until,
                    last_message_at=at(second),
                )
                await uow.conversations.add(conversation)
                names[conversation.id] = name
            other = a_contact("a2")
            await uow.contacts.add(other)
            await uow.conversations.add(a_conversation("a2", other.id, labels=("urgente",)))
            await uow.commit()

        async def listed(**filters: Any) -> list[str]:
            page = await queries.inbox.page("a1", ConversationQuery(**filters), "agent-1")
            return [names[c.id] for c in page.conversations]

        both = next(key for key, name in names.items() if name == "both")

        assert await listed() == ["prefix", "plain", "both", "urgent"]
        assert await listed(snoozed=True) == ["snoozed"]
        assert await listed(snoozed=None) == ["prefix", "plain", "snoozed", "both", "urgent"]
        assert await listed(label="urgente") == ["both", "urgent"]
        assert await listed(label="urgente", snoozed=None) == ["snoozed", "both", "urgent"]
        assert await listed(label="receita", limit=1) == ["both"]
        assert await listed(label="urg") == []
        assert await listed(label="urgente", after=InboxCursor(at(2), both)) == ["urgent"]

    async def test_urgent_conversations_are_kept_and_listed_apart(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        names = {}
        rows = [("calm", False), ("emergency", True), ("newer", False), ("newest", False)]
        async with uow_factory() as uow:
            for second, (name, urgent) in enumerate(rows, start=1):
                contact = a_contact("a1")
                await uow.contacts.add(contact)
                conversation = a_conversation(
                    "a1", contact.id, urgent=urgent, last_message_at=at(second)
                )
                await uow.conversations.add(conversation)
                names[conversation.id] = name
            other = a_contact("a2")
            await uow.contacts.add(other)
            await uow.conversations.add(a_conversation("a2", other.id, urgent=True))
            await uow.commit()

        async def listed(**filters: Any) -> list[str]:
            page = await queries.inbox.page("a1", ConversationQuery(**filters), "agent-1")
            return [names[c.id] for c in page.conversations]

        newer = next(key for key, name in names.items() if name == "newer")
        async with uow_factory() as uow:
            stored = await uow.conversations.get("a1", newer)
        assert stored is not None and not stored.urgent
        assert await listed(urgent=True) == ["emergency"]
        assert await listed(urgent=False) == ["newest", "newer", "calm"]
        assert await listed() == ["newest", "newer", "emergency", "calm"]
        assert await listed(urgent=False, after=InboxCursor(at(3), newer)) == ["calm"]
        assert await listed(urgent=False, limit=1) == ["newest"]

    async def test_statistics_count_labels_and_average_ratings_in_the_period(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        rows = [  # created at, labels, rating, rated at
            (START, ("receita", "urgente"), 5, START + timedelta(hours=1)),
            (START + timedelta(hours=2), ("urgente",), 4, END - timedelta(microseconds=1)),
            (START + timedelta(hours=3), (), 2, END),  # rated after the period
            (START - timedelta(hours=1), ("urgente",), 1, START),  # created before the period
            (END, ("receita",), None, None),
            (START + timedelta(hours=4), ("urgente",), None, None),
        ]
        async with uow_factory() as uow:
            for created_at, labels, rating, rated_at in rows:
                await uow.conversations.add(
                    a_conversation(
                        "a1",
                        new_id("contact"),
                        created_at=created_at.astimezone(SAO_PAULO),
                        labels=labels,
                        rating=rating,
                        rating_requested_at=rated_at,
                        rated_at=rated_at,
                    )
                )
            await uow.conversations.add(
                a_conversation(
                    "a2", "k9", created_at=START, labels=("urgente",), rating=1, rated_at=START
                )
            )
            await uow.commit()
        stats = queries.statistics
        assert (await stats.period("a1", START, END)).conversations_by_label == {
            "receita": 1,
            "urgente": 3,
        }
        satisfaction = (await stats.period("a1", START, END)).satisfaction
        assert (await stats.period("a1", END, END)).conversations_by_label == {}
        assert (await stats.period("a3", START, END)).satisfaction == Satisfaction(0, None)
        assert satisfaction.ratings == 3
        assert satisfaction.average == pytest.approx(10 / 3)
