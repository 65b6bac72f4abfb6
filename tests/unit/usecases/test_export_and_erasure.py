"""Export and erasure of a contact's data on the memory adapters, and the typed confirmation."""

from __future__ import annotations

import dataclasses
import functools
import unicodedata
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.support.live_events import publishing_to

from wa_crm.adapters.events.memory import InMemoryEventBus
from wa_crm.adapters.memory import InMemoryMediaStore, InMemoryStore, InMemoryUnitOfWork
from wa_crm.adapters.memory.knowledge import InMemoryKnowledgeBase
from wa_crm.adapters.memory.queries import in_memory_queries
from wa_crm.domain.model.association import Association
from wa_crm.domain.model.conversation import (
    Channel,
    Conversation,
    ConversationStatus,
    HandoffNote,
    HandoffReason,
)
from wa_crm.domain.model.errors import NotConfirmed, UnknownContact
from wa_crm.domain.model.knowledge import DocumentKind, KnowledgeDocument
from wa_crm.domain.model.message import (
    Author,
    Direction,
    Media,
    Message,
    MessageStatus,
    MessageType,
)
from wa_crm.domain.model.note import Note
from wa_crm.domain.model.people import Contact, ContactKind, Order, Patient, PatientStatus
from wa_crm.domain.model.statistics import Statistics
from wa_crm.domain.usecases.monitoring.statistics import ComputeStatistics, StatisticsRequest
from wa_crm.domain.usecases.outbound.delivery import chat_slot_key
from wa_crm.domain.usecases.privacy.contact_data import (
    EraseContactData,
    Erasure,
    ExportContactData,
    ExportedFile,
    anonymised,
    confirms,
    erasure_name,
)
from wa_crm.ports.events import EventType
from wa_crm.testing.clock import FakeClock

A = "assoc"
MARIA_CHAT = "5511999998888@c.us"
JOAO_CHAT = "558188887777@c.us"


def a_contact(name: str = "Maria Silva", **changes: object) -> Contact:
    contact = Contact("k1", A, MARIA_CHAT, FakeClock().now(), "+5511999998888", "77@lid", name)
    return dataclasses.replace(contact, **changes)  # type: ignore[arg-type]


@given(
    name=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1).filter(
        lambda name: name.strip()
    ),
    before=st.sampled_from(["", " ", "\t", "  \n"]),
    after=st.sampled_from(["", " ", "\n"]),
    upper=st.booleans(),
)
def test_the_name_confirms_in_any_case_and_with_spaces_around(
    name: str, before: str, after: str, upper: bool
) -> None:
    typed = before + (name.upper() if upper else name.lower()) + after
    if typed.strip().casefold() == name.strip().casefold():  # some letters change when cased
        assert confirms(typed, a_contact(name))


@given(name=st.text(min_size=1).filter(lambda name: name.strip()), typed=st.text())
def test_another_text_never_confirms(name: str, typed: str) -> None:
    def normal(text: str) -> str:
        return unicodedata.normalize("NFC", text).strip().casefold()

    if normal(typed) != normal(name):
        assert not confirms(typed, a_contact(name))


def test_without_a_name_the_phone_then_the_chat_id_confirms() -> None:
    assert erasure_name(a_contact("  ")) == "+5511999998888"
    assert erasure_name(a_contact("", phone=None)) == MARIA_CHAT
    assert erasure_name(anonymised(a_contact())) == "erased:k1"
    assert confirms(" +5511999998888 ", a_contact(""))
    assert not confirms("", a_contact(""))


def message(
    message_id: str,
    conversation_id: str,
    author: Author,
    minutes: int,
    text: str,
    media: Media | None = None,
) -> Message:
    inbound = author is Author.CONTACT
    return Message(
        message_id,
        A,
        conversation_id,
        Direction.IN if inbound else Direction.OUT,
        author,
        MessageType.IMAGE if media else MessageType.TEXT,
        text,
        MessageStatus.RECEIVED if inbound else MessageStatus.SENT,
        FakeClock().now() + timedelta(minutes=minutes),
        media=media,
    )


class World:
    """Maria (a member, two conversations, files, a patient shared with a second number) and
    João (a lead with a file of his own)."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.store = InMemoryStore()
        self.bus = InMemoryEventBus(self.clock)
        self.uow_factory = functools.partial(
            InMemoryUnitOfWork, self.store, publishing_to(self.bus)
        )
        self.media = InMemoryMediaStore()
        self.knowledge = InMemoryKnowledgeBase()
        self.export = ExportContactData(self.uow_factory, self.media, self.knowledge)
        self.erase = EraseContactData(self.uow_factory, self.media, self.clock, self.knowledge)
        self.association = Association(A, A, "A", self.clock.now())
        self.maria = a_contact(
            kind=ContactKind.MEMBER,
            patient_id="p1",
            fields={"city": "Campinas"},
            opted_out_at=self.clock.now(),
            opt_out_source="keyword:SAIR",
        )
        self.patient = Patient(
            "p1",
            A,
            "Maria Aparecida Silva",
            ("+5511999998888", "+5511933332222"),
            PatientStatus.ACTIVE,
            orders=(Order("o1", self.clock.now().date(), "oil", Decimal("10.00"), "paid"),),
        )
        self.second_number = Contact(
            "k2", A, "5511933332222@c.us", self.clock.now(), "+5511933332222", None, "Maria 2"
        )
        self.second_number.match_patient(self.patient)
        self.joao = Contact("k3", A, JOAO_CHAT, self.clock.now(), "+558188887777", None, "João")
        self.resolved = self._conversation("c1", "k1", resolved=True)
        self.open = self._conversation("c2", "k1")
        self.open.hand_off(
            HandoffReason.AI_REQUEST, HandoffNote(HandoffReason.AI_REQUEST, "Maria wants oil")
        )
        self.joaos = self._conversation("c3", "k3")
        self.messages = [
            message("m1", "c1", Author.CONTACT, 0, "Oi, sou a Maria"),
            message("m2", "c1", Author.BOT, 1, "Olá Maria!"),
            message("m3", "c2", Author.CONTACT, 70, "minha receita", self._file("m3", "r.png")),
            message("m4", "c2", Author.AGENT, 80, "recebido", self._file("m4", "ok.pdf")),
            message("m5", "c3", Author.CONTACT, 5, "Oi, sou o João", self._file("m5", "j.png")),
        ]
        self.notes = [
            Note("n1", A, "c2", "agent-1", "Maria mora em Campinas", self.clock.now()),
            Note("n2", A, "c3", "agent-1", "João prefere ligação", self.clock.now()),
        ]

    def _conversation(
        self, conversation_id: str, contact_id: str, resolved: bool = False
    ) -> Conversation:
        conversation = Conversation.open(
            id=conversation_id,
            association_id=A,
            contact_id=contact_id,
            channel=Channel.WHATSAPP,
            session="default",
            at=self.clock.now(),
            bot_available=True,
        )
        if resolved:
            conversation.resolve(self.clock.now())
        conversation.collect_facts()
        return conversation

    @staticmethod
    def _file(message_id: str, name: str) -> Media:
        return Media(f"{A}/inbound/{message_id}", "image/png", name, 3, stored=True)

    async def seed(self) -> None:
        for item in self.messages:
            if item.media is not None:
                await self.media.put(item.media.url or "", item.id.encode(), "image/png")
        async with InMemoryUnitOfWork(self.store) as uow:  # publishes nothing: a fixture
            await uow.associations.add(self.association)
            await uow.patients.upsert(self.patient)
            for order in self.patient.orders:
                await uow.patients.add_order(A, self.patient.id, order)
            for contact in (self.maria, self.second_number, self.joao):
                await uow.contacts.add(contact)
            for conversation in (self.resolved, self.open, self.joaos):
                await uow.conversations.add(conversation)
            for item in self.messages:
                await uow.messages.add(item)
            for note in self.notes:
                await uow.notes.add(note)
            for chat in (MARIA_CHAT, JOAO_CHAT):
                key = chat_slot_key(self.association, chat)
                await uow.send_slots.reserve(key, self.clock.now(), timedelta(0))
            await uow.commit()
        await self._ask_questions()

    async def _ask_questions(self) -> None:
        """Maria asked two questions the documents could not answer (an admin answered one with
        an FAQ entry); João asked one, and asked Maria's first one again (only counted)."""
        now = self.clock.now()
        ask = self.knowledge.record_unanswered
        self.marias_open = await ask(A, "Vocês entregam em Campinas?", "c1", now)
        self.marias_answered = await ask(A, "Tem estacionamento?", "c2", now + timedelta(1))
        self.joaos_question = await ask(A, "Aceitam Pix?", "c3", now)
        await ask(A, "voces entregam em campinas", "c3", now + timedelta(2))
        self.faq = KnowledgeDocument(
            "faq-1", A, "Tem estacionamento?", "Sim, na rua.", DocumentKind.FAQ, now, now
        )
        await self.knowledge.save(self.faq, [self.faq.text])
        assert await self.knowledge.mark_answered(A, self.marias_answered.id, self.faq.id)

    async def statistics(self) -> Statistics:
        compute = ComputeStatistics(in_memory_queries(self.store).statistics, self.clock)
        return (await compute(StatisticsRequest(self.association))).unwrap()


@pytest.fixture
async def world() -> World:
    seeded = World()
    await seeded.seed()
    return seeded


async def test_the_export_holds_the_contact_and_nothing_of_anyone_else(world: World) -> None:
    export = (await world.export(A, "k1")).unwrap()

    assert export.contact == world.maria
    assert [p.id for p in export.patients] == ["p1"]
    assert export.patients[0].orders == world.patient.orders
    assert {c.id for c in export.conversations} == {"c1", "c2"}
    assert [m.id for m in export.messages if m.conversation_id == "c2"] == ["m3", "m4"]
    assert {m.id for m in export.messages} == {"m1", "m2", "m3", "m4"}
    assert set(export.files) == {
        ExportedFile("m3", "r.png", b"m3"),
        ExportedFile("m4", "ok.pdf", b"m4"),
    }
    assert export.notes == (world.notes[0],)
    assert [(q.id, q.text, q.times_asked, q.answered_by) for q in export.unanswered_questions] == [
        (world.marias_open.id, "Vocês entregam em Campinas?", 2, None),
        (world.marias_answered.id, "Tem estacionamento?", 1, "faq-1"),
    ]


async def test_an_unknown_contact_is_neither_exported_nor_erased(world: World) -> None:
    assert (await world.export(A, "nobody")).failure() == UnknownContact("no such contact")
    assert isinstance((await world.erase(A, "nobody", "x")).failure(), UnknownContact)
    assert isinstance((await world.export("other", "k1")).failure(), UnknownContact)


async def test_a_wrong_name_erases_nothing(world: World) -> None:
    before = (dict(world.store.tables.messages), dict(world.store.tables.contacts))
    files = dict(world.media.files)

    result = await world.erase(A, "k1", "Maria Aparecida Silva")

    assert isinstance(result.failure(), NotConfirmed)
    assert (dict(world.store.tables.messages), dict(world.store.tables.contacts)) == before
    assert world.media.files == files
    assert len(await world.knowledge.unanswered(A, 10)) == 2


async def test_an_erasure_leaves_only_anonymous_statistics(world: World) -> None:
    statistics = await world.statistics()
    assert sum(day.inbound + day.outbound for day in statistics.messages_by_day) == 5

    erasure = await world.erase(A, "k1", "  maria SILVA ")

    assert erasure.unwrap() == Erasure(
        "k1",
        messages=4,
        media_files=2,
        conversations=2,
        patients=1,
        notes=1,
        unanswered_questions=2,
    )
    async with world.uow_factory() as uow:
        contact = await uow.contacts.get(A, "k1")
        conversations = await uow.conversations.list_for_contact(A, "k1")
        remaining = [
            m.id for c in ("c1", "c2", "c3") for m in await uow.messages.all_of_conversation(A, c)
        ]
        patient = await uow.patients.get(A, "p1")
        by_phone = await uow.patients.find_by_phone(A, "+5511933332222")
        second = await uow.contacts.get(A, "k2")
        joao = await uow.contacts.get(A, "k3")
    assert contact == dataclasses.replace(
        world.maria,
        wa_chat_id="erased:k1",
        phone=None,
        lid=None,
        display_name="",
        kind=ContactKind.LEAD,
        patient_id=None,
        fields={},
        opted_out_at=None,
        opt_out_source=None,
    )
    assert {c.id: (c.status, c.handoff_note) for c in conversations} == {
        "c1": (ConversationStatus.RESOLVED, None),
        "c2": (ConversationStatus.RESOLVED, None),
    }
    assert remaining == ["m5"]
    assert list(world.store.tables.notes) == ["n2"]
    assert set(world.media.files) == {f"{A}/inbound/m5"}
    assert patient is None and by_phone == []
    assert second is not None and (second.kind, second.patient_id) == (ContactKind.LEAD, None)
    assert joao == world.joao
    assert list(world.store.tables.send_slots) == [chat_slot_key(world.association, JOAO_CHAT)]
    assert await world.statistics() == statistics
    published = await anext(world.bus.subscribe(A, after_id="0"))
    assert (published.type, published.data["id"], published.data["status"]) == (
        EventType.CONVERSATION_UPDATED,
        "c2",
        "resolved",
    )


async def test_an_erased_contact_can_be_erased_again_by_its_placeholder(world: World) -> None:
    (await world.erase(A, "k1", "Maria Silva")).unwrap()
    again = await world.erase(A, "k1", "erased:k1")
    assert again.unwrap() == Erasure(
        "k1",
        messages=0,
        media_files=0,
        conversations=2,
        patients=0,
        notes=0,
        unanswered_questions=0,
    )


async def test_an_erasure_forgets_the_contacts_questions_and_keeps_the_faq_an_admin_wrote(
    world: World,
) -> None:
    (await world.erase(A, "k1", "Maria Silva")).unwrap()

    assert await world.knowledge.unanswered(A, 10) == [world.joaos_question]
    assert await world.knowledge.get_unanswered(A, world.marias_open.id) is None
    assert await world.knowledge.get_unanswered(A, world.marias_answered.id) is None
    assert await world.knowledge.get(A, "faq-1") == dataclasses.replace(world.faq, chunks=1)
    export = (await world.export(A, "k1")).unwrap()
    assert export.unanswered_questions == ()
