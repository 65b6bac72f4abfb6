"""The inbox list: search with filters and cursor paging, counts per status, contacts by id."""

from __future__ import annotations

import functools

from wa_crm.domain.model.conversation import Channel, ConversationStatus
from wa_crm.ports.queries import ConversationQuery, InboxCursor, InboxSort, Queries

from .base import PersistenceContract, UowFactory
from .builders import a_contact, a_conversation, at

A = "assoc-inbox"
S = ConversationStatus


class InboxContract(PersistenceContract):
    async def _seed(self, uow_factory: UowFactory) -> dict[str, str]:
        """Five conversations of five contacts, activity 1..5 s, and one of another tenant."""
        people = [
            ("Maria Silva", "+5511999990001", S.BOT, None, Channel.WHATSAPP),
            ("João Souza", "+5581988880002", S.PENDING, None, Channel.WHATSAPP),
            ("Ana Maria", "+5521977770003", S.HUMAN, "agent-1", Channel.WHATSAPP),
            ("Carlos 100%_off", "+5531966660004", S.HUMAN, "agent-2", Channel.WEB),
            ("Rita", None, S.RESOLVED, "agent-1", Channel.WHATSAPP),
        ]
        ids = {}
        async with uow_factory() as uow:
            for second, (name, phone, status, assignee, channel) in enumerate(people, start=1):
                contact = a_contact(A, display_name=name, phone=phone)
                await uow.contacts.add(contact)
                conversation = a_conversation(
                    A,
                    contact.id,
                    status=status,
                    assignee_id=assignee,
                    channel=channel,
                    created_at=at(0),
                    last_message_at=at(second),
                )
                await uow.conversations.add(conversation)
                ids[name] = conversation.id
            other = a_contact("another-tenant", display_name="Maria Silva")
            await uow.contacts.add(other)
            await uow.conversations.add(a_conversation("another-tenant", other.id))
            await uow.commit()
        return ids

    async def _names(
        self, queries: Queries, ids: dict[str, str], query: ConversationQuery
    ) -> list[str]:
        by_id = {value: key for key, value in ids.items()}
        page = await queries.inbox.page(A, query, "agent-1")
        return [by_id[c.id] for c in page.conversations]

    async def test_newest_activity_first_and_filters(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        ids = await self._seed(uow_factory)
        names = functools.partial(self._names, queries, ids)
        assert await names(ConversationQuery()) == [
            "Rita",
            "Carlos 100%_off",
            "Ana Maria",
            "João Souza",
            "Maria Silva",
        ]
        assert await names(ConversationQuery(statuses=(S.BOT, S.PENDING))) == [
            "João Souza",
            "Maria Silva",
        ]
        assert await names(ConversationQuery(assignee_id="agent-1")) == ["Rita", "Ana Maria"]
        assert await names(ConversationQuery(unassigned=True)) == ["João Souza", "Maria Silva"]
        assert await names(ConversationQuery(channel=Channel.WEB)) == ["Carlos 100%_off"]
        assert await names(ConversationQuery(text="MARIA")) == ["Ana Maria", "Maria Silva"]
        assert await names(ConversationQuery(text="8198888")) == ["João Souza"]
        assert await names(ConversationQuery(text="100%_")) == ["Carlos 100%_off"]
        assert await names(ConversationQuery(text="0%x")) == []

    async def test_cursor_pages_cover_everything_once(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        ids = await self._seed(uow_factory)
        seen: list[str] = []
        cursor = None
        while True:
            listed = await queries.inbox.page(A, ConversationQuery(after=cursor, limit=2), "a")
            page = listed.conversations
            if not page:
                break
            seen += [c.id for c in page]
            last = page[-1]
            cursor = InboxCursor.after(last, InboxSort.NEWEST)
        assert sorted(seen) == sorted(ids.values()) and len(seen) == len(set(seen))

    async def test_counts_per_status_include_zeros(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        await self._seed(uow_factory)
        page = await queries.inbox.page(A, ConversationQuery(), "agent-1")
        assert page.counts == {
            "bot": 1,
            "pending": 1,
            "human": 2,
            "resolved": 1,
        }
        assert page.mine == {
            "bot": 0,
            "pending": 0,
            "human": 1,
            "resolved": 1,
        }
        nobody = await queries.inbox.page("nobody", ConversationQuery(), "agent-1")
        assert (
            nobody.counts
            == nobody.mine
            == {
                "bot": 0,
                "pending": 0,
                "human": 0,
                "resolved": 0,
            }
        )

    async def test_contacts_by_id_stay_in_their_association(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        ids = await self._seed(uow_factory)
        page = await queries.inbox.page(A, ConversationQuery(limit=2), "agent-1")
        listed = {c.contact_id for c in page.conversations}
        assert set(page.contacts) == listed and len(listed) == 2
        assert {contact.association_id for contact in page.contacts.values()} == {A}
        assert [c.id for c in page.conversations] == [ids["Rita"], ids["Carlos 100%_off"]]
        empty = await queries.inbox.page(A, ConversationQuery(text="nobody at all"), "agent-1")
        assert empty.conversations == [] and empty.contacts == {}
