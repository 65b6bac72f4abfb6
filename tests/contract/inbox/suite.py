"""What every inbox query adapter promises (memory, SQLite, PostgreSQL) beyond the list's
filters (``persistence/suite_inbox``): the search by name, patient's name, phone and words said
in messages (accents, case, stems, every word), with the message each was found by; the period;
the sort by waiting longest with its cursor; each row's last message; the Unassigned tab's
count; a contact's conversations; and one association never sees another's."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

from tests.contract.persistence.base import PersistenceContract, UowFactory
from tests.contract.persistence.builders import (
    a_contact,
    a_conversation,
    a_message,
    a_patient,
    an_agent,
    an_association,
    at,
)

from wa_crm.domain.model.conversation import Channel, ConversationStatus
from wa_crm.domain.model.inbox_search import MATCH_PREVIEW_CHARS
from wa_crm.domain.model.message import Author, Direction, Media, Message, MessageType
from wa_crm.ports.queries import ConversationQuery, InboxCursor, InboxPage, InboxSort, Queries

A, B = "assoc-search", "assoc-other"
S = ConversationStatus
AGENT = "agent-search"
LONG = (
    "Bom dia! Escrevo porque meu filho está sem remédio há duas semanas e eu já liguei várias "
    "vezes para a sede, mandei e-mail e ninguém me respondeu até agora; queria saber se a "
    "entrega do óleo de agosto já saiu ou se preciso buscar pessoalmente na sede da associação "
    "porque estamos realmente precisando muito do tratamento dele, obrigado pela atenção."
)


@dataclass
class Seeded:
    ids: dict[str, str]
    """Conversation ids by name."""
    messages: dict[str, str]
    """Message ids by name."""
    contacts: dict[str, str]

    def names(self, page: InboxPage) -> list[str]:
        by_id = {value: key for key, value in self.ids.items()}
        return [by_id[c.id] for c in page.conversations]


def _said(
    association_id: str,
    conversation_id: str,
    second: float,
    body: str,
    author: Author = Author.CONTACT,
    **fields: object,
) -> Message:
    return a_message(
        association_id,
        conversation_id,
        body=body,
        author=author,
        direction=Direction.IN if author is Author.CONTACT else Direction.OUT,
        created_at=at(second),
        **fields,
    )


class InboxSearchContract(PersistenceContract):
    async def _seed(self, uow_factory: UowFactory) -> Seeded:
        """Five conversations of A (activity 10..50 s), and B's look-alike one.

        joao: pending, nobody assigned, waiting since 10 s: "Quando chega a entrega do óleo?"
        maria: human (the agent), patient "Ana Beatriz Conceição", answered by the agent at 22 s
        ze: bot, a voice note saying "as entregas atrasaram" at 30 s, waiting since then
        carla: resolved, "ENTREGA feita, obrigada" at 40 s and the long message at 45 s
        nobody: pending, snoozed, nobody assigned, no message (activity: its creation, 50 s)
        """
        ids, messages, contacts = {}, {}, {}
        async with uow_factory() as uow:
            for association_id, slug in ((A, "inbox-search"), (B, "inbox-other")):
                await uow.associations.add(an_association(id=association_id, slug=slug))
            await uow.agents.add(an_agent(A, id=AGENT, name="Ana Agente"))
            await uow.patients.upsert(
                a_patient(A, id="patient-maria", full_name="Ana Beatriz Conceição")
            )

            async def conversation(
                name: str,
                display_name: str,
                phone: str | None,
                said: list[tuple[str, float, str, Author, dict[str, object]]],
                association_id: str = A,
                **fields: object,
            ) -> None:
                contact = a_contact(
                    association_id,
                    display_name=display_name,
                    phone=phone,
                    patient_id=fields.pop("patient_id", None),
                )
                await uow.contacts.add(contact)
                contacts[name] = contact.id
                stored = a_conversation(association_id, contact.id, **fields)
                last: Message | None = None
                for key, second, body, author, more in said:
                    last = _said(association_id, stored.id, second, body, author, **more)
                    await uow.messages.add(last)
                    messages[key] = last.id
                if last is not None:
                    stored = replace(
                        stored, last_message_id=last.id, last_message_at=last.created_at
                    )
                await uow.conversations.add(stored)
                ids[name] = stored.id

            contact = Author.CONTACT
            await conversation(
                "joao",
                "João da Silva",
                "+5511987654321",
                [("joao", 10, "Quando chega a entrega do óleo?", contact, {})],
                status=S.PENDING,
                created_at=at(1),
                waiting_since=at(10),
            )
            await conversation(
                "maria",
                "Maria",
                "+5521912345678",
                [
                    ("maria", 20, "Preciso da receita médica", contact, {}),
                    (
                        "maria-agent",
                        22,
                        "Pode enviar   pela\nfoto mesmo",
                        Author.AGENT,
                        {"agent_id": AGENT},
                    ),
                ],
                status=S.HUMAN,
                assignee_id=AGENT,
                patient_id="patient-maria",
                created_at=at(2),
            )
            voice = {
                "type": MessageType.AUDIO,
                "transcript": "as entregas atrasaram",
                "media": Media(url="media/v", mimetype="audio/ogg", stored=True),
            }
            await conversation(
                "ze",
                "Zé",
                None,
                [("ze", 30, "", contact, voice)],
                status=S.BOT,
                created_at=at(3),
                waiting_since=at(30),
            )
            await conversation(
                "carla",
                "Carla",
                "+5531955554444",
                [
                    ("carla", 40, "ENTREGA feita, obrigada", contact, {}),
                    ("carla-long", 45, LONG, contact, {}),
                ],
                status=S.RESOLVED,
                created_at=at(4),
            )
            await conversation(
                "nobody",
                "Sem Nome",
                "+5541900000000",
                [],
                status=S.PENDING,
                created_at=at(50),
                snoozed_until=at(9999),
            )
            await conversation(
                "other",
                "João da Silva",
                "+5511987654321",
                [("other", 60, "a caixa do óleo veio", contact, {})],
                association_id=B,
                status=S.PENDING,
                created_at=at(5),
            )
            await uow.commit()
        return Seeded(ids, messages, contacts)

    async def _names(self, queries: Queries, seeded: Seeded, **query: object) -> list[str]:
        query.setdefault("snoozed", None)
        page = await queries.inbox.page(A, ConversationQuery(**query), AGENT)  # type: ignore[arg-type]
        return seeded.names(page)

    async def test_a_name_a_patients_name_or_a_phone_finds_the_conversation(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        seeded = await self._seed(uow_factory)
        names = functools.partial(self._names, queries, seeded)
        for text in ("joao", "JOÃO", "João da", "joao silva", "  joão   DA silva "):
            assert await names(text=text) == ["joao"], text
        for text in ("conceicao", "Ana Beatriz", "beatriz conceição", "maria"):
            assert await names(text=text) == ["maria"], text
        for text in ("+55 (11) 98765-4321", "11 98765 4321", "987654321", "98765-4321"):
            assert await names(text=text) == ["joao"], text
        assert await names(text="4444") == ["carla"]
        assert await names(text="silva joao") == []  # a name's words in order
        page = await queries.inbox.page(A, ConversationQuery(text="joão"), AGENT)
        assert page.matches == {}  # found by the name alone

    async def test_words_said_in_messages_find_them_with_the_message(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        seeded = await self._seed(uow_factory)
        names = functools.partial(self._names, queries, seeded)
        # Stems, plurals, case, accents, a transcript; newest activity first.
        for text in ("entregas", "ENTREGA", "entrega", "Entregá", "entreg"):
            assert await names(text=text) == ["carla", "ze", "joao"], text
        assert await names(text="oleo") == ["carla", "joao"]
        assert await names(text="óleo chega") == ["joao"]  # every word, in one message
        assert await names(text="receita medica") == ["maria"]
        assert await names(text="entrega receita") == []
        assert await names(text="atrasaram") == ["ze"]
        page = await queries.inbox.page(A, ConversationQuery(text="entregas"), AGENT)
        matches = page.matches
        assert {name: matches[seeded.ids[name]].message_id for name in ("ze", "joao")} == {
            "ze": seeded.messages["ze"],
            "joao": seeded.messages["joao"],
        }
        assert matches[seeded.ids["joao"]].preview == "Quando chega a entrega do óleo?"
        assert matches[seeded.ids["joao"]].at == at(10)
        assert matches[seeded.ids["ze"]].preview == "as entregas atrasaram"
        # The latest matching message, cut around its first matching word.
        long = matches[seeded.ids["carla"]]
        assert long.message_id == seeded.messages["carla-long"]
        assert len(long.preview) <= MATCH_PREVIEW_CHARS
        assert long.preview.startswith("…") and "entrega do óleo" in long.preview

    async def test_the_search_combines_with_the_filters(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        seeded = await self._seed(uow_factory)
        names = functools.partial(self._names, queries, seeded)
        assert await names(text="entrega", statuses=(S.PENDING, S.BOT)) == ["ze", "joao"]
        assert await names(text="entrega", unassigned=True) == ["carla", "ze", "joao"]
        assert await names(text="entrega", sort=InboxSort.WAITING) == ["joao", "ze", "carla"]
        assert await names(text="entrega", since=at(10), until=at(40)) == ["ze", "joao"]
        assert await names(text="maria", assignee_id="someone-else") == []

    async def test_another_associations_contacts_and_messages_never_match(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        seeded = await self._seed(uow_factory)
        for text in ("caixas", "João da Silva", "98765-4321"):
            page = await queries.inbox.page(B, ConversationQuery(text=text), AGENT)
            assert [c.id for c in page.conversations] == [seeded.ids["other"]], text
        page = await queries.inbox.page(A, ConversationQuery(text="caixas"), AGENT)
        assert page.conversations == [] and page.matches == {}

    async def test_a_period_bounds_the_last_activity(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        seeded = await self._seed(uow_factory)
        names = functools.partial(self._names, queries, seeded)
        assert await names(since=at(22), until=at(45)) == ["ze", "maria"]  # until: exclusive
        assert await names(since=at(45)) == ["nobody", "carla"]  # without a message: creation
        assert await names(until=at(10)) == []

    async def test_sorted_by_waiting_longest_with_a_cursor_that_keeps_the_order(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        seeded = await self._seed(uow_factory)
        expected = ["joao", "ze", "nobody", "carla", "maria"]
        assert await self._names(queries, seeded, sort=InboxSort.WAITING) == expected
        for limit in (1, 2, 3):
            seen: list[str] = []
            cursor: InboxCursor | None = None
            while True:
                query = ConversationQuery(
                    sort=InboxSort.WAITING, snoozed=None, after=cursor, limit=limit
                )
                page = await queries.inbox.page(A, query, AGENT)
                seen += seeded.names(page)
                if len(page.conversations) < limit:
                    break
                cursor = InboxCursor.after(page.conversations[-1], InboxSort.WAITING)
            assert seen == expected, limit

    async def test_each_row_has_its_last_message(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        seeded = await self._seed(uow_factory)
        page = await queries.inbox.page(A, ConversationQuery(snoozed=None), AGENT)
        last = page.last_messages
        assert set(last) == {seeded.ids[name] for name in ("joao", "maria", "ze", "carla")}
        by_agent = last[seeded.ids["maria"]]
        assert (by_agent.id, by_agent.author, by_agent.author_name, by_agent.type) == (
            seeded.messages["maria-agent"],
            Author.AGENT,
            "Ana Agente",
            MessageType.TEXT,
        )
        assert (by_agent.preview, by_agent.at) == ("Pode enviar pela foto mesmo", at(22))
        voice = last[seeded.ids["ze"]]
        assert (voice.author, voice.author_name, voice.type, voice.preview) == (
            Author.CONTACT,
            None,
            MessageType.AUDIO,
            "",
        )
        long = last[seeded.ids["carla"]].preview
        assert len(long) <= 120 and long.endswith("…") and "\n" not in long

    async def test_the_unassigned_tab_counts_what_it_lists(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        await self._seed(uow_factory)
        page = await queries.inbox.page(A, ConversationQuery(), AGENT)
        # joao (pending, nobody); not the snoozed one, nor maria (assigned), ze (bot), carla.
        assert page.unassigned == 1
        assert page.counts == {"bot": 1, "pending": 2, "human": 1, "resolved": 1}

    async def test_what_messages_say_is_searched_as_it_changes_and_forgotten_when_deleted(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        seeded = await self._seed(uow_factory)
        names = functools.partial(self._names, queries, seeded)
        async with uow_factory() as uow:
            voice = await uow.messages.get(A, seeded.messages["ze"])
            assert voice is not None
            voice.transcript = "quero cancelar o pedido"
            await uow.messages.update(voice)
            joao = await uow.messages.get(A, seeded.messages["joao"])
            assert joao is not None
            joao.revoke()
            await uow.messages.update(joao)
            await uow.commit()
        assert await names(text="cancelar") == ["ze"]
        assert await names(text="atrasaram") == []
        assert await names(text="oleo") == ["carla"]
        async with uow_factory() as uow:
            await uow.messages.delete_of_conversation(A, seeded.ids["ze"])
            await uow.messages.purge_before(A, at(41), 100)
            await uow.commit()
        assert await names(text="cancelar") == []
        assert await names(text="receita") == []
        assert await names(text="entrega") == ["carla"]  # its message of 45 s is kept
        assert await names(text="feita") == []

    async def test_a_contacts_conversations_newest_first(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        seeded = await self._seed(uow_factory)
        contact_id = seeded.contacts["maria"]
        older = seeded.ids["maria"]
        async with uow_factory() as uow:
            newer = a_conversation(
                A,
                contact_id,
                channel=Channel.WEB,
                created_at=at(100),
                previous_conversation_id=older,
            )
            await uow.conversations.add(newer)
            await uow.commit()
        history = await queries.inbox.contact_history(A, contact_id, None, 10)
        assert history is not None and history.contact.id == contact_id
        assert [c.id for c in history.conversations] == [newer.id, older]
        assert history.conversations[0].previous_conversation_id == older
        assert set(history.last_messages) == {older}
        first = await queries.inbox.contact_history(A, contact_id, None, 1)
        assert first is not None and [c.id for c in first.conversations] == [newer.id]
        rest = await queries.inbox.contact_history(A, contact_id, (at(100), newer.id), 1)
        assert rest is not None and [c.id for c in rest.conversations] == [older]
        assert await queries.inbox.contact_history(B, contact_id, None, 10) is None
        assert await queries.inbox.contact_history(A, "no-such-contact", None, 10) is None
