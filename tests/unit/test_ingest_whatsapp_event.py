"""``IngestWhatsAppEvent`` on the memory unit of work: the finer rules of ingestion."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import time, timedelta

import pytest
from returns.result import Success
from tests.support.live_events import publishing_to
from tests.support.waha_payloads import CONTACT, ME, new_event_id, new_hex_id, serialized_id

from wa_crm.adapters.events.memory import InMemoryEventBus
from wa_crm.adapters.events.wire import live_event
from wa_crm.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from wa_crm.domain.model.association import (
    Association,
    BotSettings,
    BusinessHours,
    BusinessWindow,
    WhatsAppSettings,
)
from wa_crm.domain.model.conversation import Conversation, ConversationStatus, HandoffReason
from wa_crm.domain.model.job_commands import BotTurn, ResolveLid
from wa_crm.domain.model.jobs import Job, JobStatus
from wa_crm.domain.model.message import (
    Author,
    Direction,
    Media,
    Message,
    MessageStatus,
    MessageType,
)
from wa_crm.domain.model.people import Contact, ContactKind, Patient, PatientStatus
from wa_crm.domain.model.whatsapp_events import (
    ContactPresence,
    DeliveryAck,
    InboundMessage,
    IncomingEvent,
    MessageEdited,
    MessageRevoked,
    SessionStatusReport,
    WhatsAppEvent,
)
from wa_crm.domain.usecases.inbound.ingest import (
    IngestResult,
    IngestWhatsAppEvent,
    Outcome,
)
from wa_crm.ports.events import LiveEvent, PublishedEvent
from wa_crm.ports.unit_of_work import UnitOfWork
from wa_crm.testing.clock import FakeClock, SequentialIds

ASSOCIATION_ID = "assoc-1"
LID = "123456789012345@lid"


class CommitCheckingBus:
    """An event bus that records, for each publication, whether its subject was committed."""

    def __init__(self, store: InMemoryStore, clock: FakeClock) -> None:
        self._store = store
        self._bus = InMemoryEventBus(clock)
        self.published: list[LiveEvent] = []
        self.uncommitted: list[LiveEvent] = []

    async def publish(self, event: LiveEvent) -> PublishedEvent:
        tables = self._store.tables  # committed state only: units stage on private copies
        subject = event.data.get("id")
        if event.type.startswith("message."):
            committed = tables.messages.get(subject)
            if committed is None or committed.snapshot() != event.data:
                self.uncommitted.append(event)
        elif event.type.startswith("conversation.") and subject not in tables.conversations:
            self.uncommitted.append(event)
        self.published.append(event)
        return await self._bus.publish(event)

    def subscribe(
        self, association_id: str, *, after_id: str | None = None
    ) -> AsyncIterator[PublishedEvent]:
        return self._bus.subscribe(association_id, after_id=after_id)

    def types(self) -> list[str]:
        return [event.type.value for event in self.published]


@dataclass
class Ingestion:
    store: InMemoryStore = field(default_factory=InMemoryStore)
    clock: FakeClock = field(default_factory=FakeClock)
    ids: SequentialIds = field(default_factory=SequentialIds)
    bot: BotSettings = field(default_factory=BotSettings)
    fail_commits: bool = False

    def __post_init__(self) -> None:
        self.bus = CommitCheckingBus(self.store, self.clock)
        self.use_case = IngestWhatsAppEvent(
            uow_factory=self.new_uow, clock=self.clock, ids=self.ids
        )
        self.association = Association(
            id=ASSOCIATION_ID,
            slug="amigos",
            name="Amigos",
            created_at=self.clock.now(),
            whatsapp=WhatsAppSettings(base_url="http://waha", session="default"),
            bot=self.bot,
        )
        self.store.tables.associations[ASSOCIATION_ID] = self.association

    def new_uow(self) -> UnitOfWork:
        uow = InMemoryUnitOfWork(self.store, publishing_to(self.bus))
        if self.fail_commits:

            async def broken_commit() -> None:
                raise ConnectionError("database went away during commit")

            uow.commit = broken_commit  # type: ignore[method-assign]
        return uow

    async def __call__(self, event: WhatsAppEvent, event_id: str | None = None) -> IngestResult:
        result = await self.use_case(
            IncomingEvent(ASSOCIATION_ID, event_id or new_event_id(), event)
        )
        assert isinstance(result, Success), result
        return result.unwrap()

    async def change(self, work: Callable[[UnitOfWork], Awaitable[None]]) -> None:
        async with self.new_uow() as uow:
            await work(uow)
            await uow.commit()

    # committed state
    def messages(self) -> list[Message]:
        return list(self.store.tables.messages.values())

    def message(self, external_id: str) -> Message:
        [message] = [m for m in self.messages() if m.external_id == external_id]
        return message

    def contacts(self) -> list[Contact]:
        return list(self.store.tables.contacts.values())

    def contact(self, chat_id: str = CONTACT) -> Contact:
        [contact] = [c for c in self.contacts() if c.wa_chat_id == chat_id]
        return contact

    def conversations(self) -> list[Conversation]:
        return sorted(self.store.tables.conversations.values(), key=lambda c: c.id)

    def conversation(self) -> Conversation:
        [conversation] = self.conversations()
        return conversation

    def jobs(self, kind: str) -> list[Job]:
        return [row.job for row in self.store.tables.jobs.values() if row.job.kind == kind]


@pytest.fixture
def ingest() -> Ingestion:
    return Ingestion()


def inbound(
    body: str = "Olá",
    *,
    chat_id: str = CONTACT,
    external_id: str | None = None,
    from_me: bool = False,
    api: bool = False,
    push_name: str = "Maria",
    type: MessageType = MessageType.TEXT,
    media: Media | None = None,
    ingest: Ingestion | None = None,
) -> InboundMessage:
    return InboundMessage(
        external_id=external_id or serialized_id(chat_id, new_hex_id(), from_me=from_me),
        chat_id=chat_id,
        from_me=from_me,
        type=type,
        body=body,
        timestamp=(ingest.clock.now() if ingest else FakeClock().now()),
        sent_through_api=api,
        push_name="" if from_me else push_name,
        media=media,
    )


def outbound(
    conversation: Conversation, body: str, status: MessageStatus, external_id: str | None
) -> Message:
    return Message(
        id=f"out-{new_hex_id()}",
        association_id=ASSOCIATION_ID,
        conversation_id=conversation.id,
        direction=Direction.OUT,
        author=Author.BOT,
        type=MessageType.TEXT,
        body=body,
        status=status,
        created_at=conversation.created_at,
        external_id=external_id,
    )


async def store_outbound(
    ingest: Ingestion, body: str, status: MessageStatus, external_id: str | None = None
) -> Message:
    message = outbound(ingest.conversation(), body, status, external_id)

    async def add(uow: UnitOfWork) -> None:
        await uow.messages.add(message)

    await ingest.change(add)
    return message


# --- new contacts and conversations -----------------------------------------------------------


async def test_a_new_contact_gets_a_bot_conversation_and_a_debounced_bot_turn(
    ingest: Ingestion,
) -> None:
    message = inbound("Oi, quero saber do remédio", ingest=ingest)

    result = await ingest(message)

    assert result.outcome is Outcome.STORED
    [stored] = ingest.messages()
    assert (stored.id, stored.external_id) == (result.message_id, message.external_id)
    assert (stored.direction, stored.author, stored.status) == (
        Direction.IN,
        Author.CONTACT,
        MessageStatus.RECEIVED,
    )
    assert stored.body == "Oi, quero saber do remédio"
    contact = ingest.contact()
    assert (contact.phone, contact.display_name, contact.kind) == (
        "+5511988887777",
        "Maria",
        ContactKind.LEAD,
    )
    conversation = ingest.conversation()
    assert conversation.status is ConversationStatus.BOT
    assert conversation.contact_id == contact.id
    assert (conversation.last_message_id, conversation.unread_count) == (stored.id, 1)
    [job] = ingest.jobs(BotTurn.kind)
    assert job.key == f"{BotTurn.kind}:{conversation.id}"
    assert job.payload == {"conversation_id": conversation.id}
    assert job.run_after == ingest.clock.now() + timedelta(seconds=3)
    assert job.status is JobStatus.PENDING
    assert ingest.bus.types() == ["conversation.created", "message.created", "conversation.updated"]


async def test_a_second_message_within_the_debounce_window_moves_the_bot_turn_forward(
    ingest: Ingestion,
) -> None:
    await ingest(inbound("Oi", ingest=ingest))
    first_run = ingest.jobs(BotTurn.kind)[0].run_after
    ingest.clock.advance(1.5)

    await ingest(inbound("tudo bem?", ingest=ingest))

    [job] = ingest.jobs(BotTurn.kind)
    assert job.run_after == ingest.clock.now() + timedelta(seconds=3) > first_run
    assert job.version == 2
    assert ingest.conversation().unread_count == 2
    assert len(ingest.messages()) == 2


async def test_the_debounce_window_is_the_associations() -> None:
    ingest = Ingestion(bot=BotSettings(debounce_seconds=10))

    await ingest(inbound(ingest=ingest))

    [job] = ingest.jobs(BotTurn.kind)
    assert job.run_after == ingest.clock.now() + timedelta(seconds=10)


async def test_with_the_bot_disabled_the_conversation_waits_for_agents() -> None:
    ingest = Ingestion(bot=BotSettings(enabled=False))

    await ingest(inbound(ingest=ingest))
    await ingest(inbound("alguém aí?", ingest=ingest))

    conversation = ingest.conversation()
    assert conversation.status is ConversationStatus.PENDING
    assert conversation.handoff_reason is HandoffReason.BOT_DISABLED
    assert ingest.jobs(BotTurn.kind) == []


async def test_outside_business_hours_the_conversation_waits_for_agents() -> None:
    closed_now = BusinessHours(  # the fake clock's Monday 10:00 in São Paulo is outside
        "America/Sao_Paulo", (BusinessWindow(weekday=1, opens=time(8), closes=time(18)),)
    )
    ingest = Ingestion(bot=BotSettings(business_hours=closed_now))

    await ingest(inbound(ingest=ingest))

    conversation = ingest.conversation()
    assert conversation.status is ConversationStatus.PENDING
    assert conversation.handoff_reason is HandoffReason.OUTSIDE_BUSINESS_HOURS
    assert ingest.jobs(BotTurn.kind) == []


async def test_a_resolved_conversation_is_followed_by_a_new_one(ingest: Ingestion) -> None:
    first = inbound("primeira", ingest=ingest)
    await ingest(first)
    old = ingest.conversation()

    async def resolve(uow: UnitOfWork) -> None:
        conversation = await uow.conversations.get(ASSOCIATION_ID, old.id)
        assert conversation is not None
        conversation.set_labels(("receita", "urgente"))
        assert isinstance(conversation.resolve(ingest.clock.now()), Success)
        await uow.conversations.update(conversation)

    await ingest.change(resolve)
    ingest.clock.advance(3600)

    second = inbound("voltei", ingest=ingest)
    await ingest(second)

    resolved, new = ingest.conversations()
    assert (resolved.id, resolved.status) == (old.id, ConversationStatus.RESOLVED)
    assert new.status is ConversationStatus.BOT
    assert new.contact_id == resolved.contact_id
    # The contact's labels carried forward, and the agent sees the conversation before.
    assert (new.labels, new.previous_conversation_id) == (("receita", "urgente"), old.id)
    assert (resolved.waiting_since, new.waiting_since) == (None, ingest.clock.now())
    assert ingest.message(first.external_id).conversation_id == resolved.id
    assert ingest.message(second.external_id).conversation_id == new.id
    assert len(ingest.contacts()) == 1


# --- idempotency ------------------------------------------------------------------------------


async def test_a_replayed_event_has_no_second_effect(ingest: Ingestion) -> None:
    message, event_id = inbound(ingest=ingest), new_event_id()
    await ingest(message, event_id)
    before = (ingest.messages(), ingest.conversations(), ingest.jobs(BotTurn.kind))
    published = len(ingest.bus.published)

    result = await ingest(message, event_id)

    assert result.outcome is Outcome.DUPLICATE
    assert (ingest.messages(), ingest.conversations(), ingest.jobs(BotTurn.kind)) == before
    assert len(ingest.bus.published) == published


async def test_the_same_message_under_another_event_id_is_stored_once(ingest: Ingestion) -> None:
    """``message`` and ``message.any`` both carry an inbound message, with their own ids."""
    message = inbound(ingest=ingest)
    await ingest(message)
    ingest.clock.advance(1)

    result = await ingest(message)

    assert result.outcome is Outcome.DUPLICATE
    assert len(ingest.messages()) == 1
    assert ingest.conversation().unread_count == 1
    assert ingest.jobs(BotTurn.kind)[0].version == 1  # the bot turn was not pushed back


async def test_concurrent_duplicates_store_one_message(ingest: Ingestion) -> None:
    message, event_id = inbound(ingest=ingest), new_event_id()
    deliveries = [ingest(message, event_id) for _ in range(4)] + [ingest(message) for _ in range(4)]

    results = await asyncio.gather(*deliveries)

    outcomes = sorted(result.outcome.value for result in results)
    assert outcomes == ["duplicate"] * 7 + ["stored"]
    assert len(ingest.messages()) == 1
    assert len(ingest.contacts()) == 1
    assert ingest.conversation().unread_count == 1
    assert ingest.bus.types().count("message.created") == 1


async def test_concurrent_messages_of_a_new_contact_share_its_contact_and_conversation(
    ingest: Ingestion,
) -> None:
    messages = [inbound(f"parte {n}", ingest=ingest) for n in range(5)]

    await asyncio.gather(*(ingest(message) for message in messages))

    assert len(ingest.messages()) == 5
    assert len(ingest.contacts()) == 1
    assert ingest.conversation().unread_count == 5
    assert len(ingest.jobs(BotTurn.kind)) == 1


# --- chats wa_crm does not hold conversations with --------------------------------------------


@pytest.mark.parametrize(
    "chat_id",
    [
        "120363041234567890@g.us",
        "status@broadcast",
        "1716395847@broadcast",
        "120363199999999999@newsletter",
        "not a chat id",
        "5511988887777@example.com",
    ],
)
async def test_groups_broadcasts_newsletters_and_unreadable_chats_are_ignored(
    ingest: Ingestion, chat_id: str
) -> None:
    event_id = new_event_id()

    result = await ingest(inbound(chat_id=chat_id, ingest=ingest), event_id)

    assert result.outcome is Outcome.IGNORED
    assert (ingest.messages(), ingest.contacts(), ingest.conversations()) == ([], [], [])
    assert ingest.bus.published == []
    replay = await ingest(inbound(chat_id=chat_id, ingest=ingest), event_id)
    assert replay.outcome is Outcome.DUPLICATE  # acknowledged once, remembered


# --- contacts: lids, members, names -----------------------------------------------------------


async def test_a_lid_sender_is_kept_by_its_lid_and_resolved_by_a_job(ingest: Ingestion) -> None:
    await ingest(inbound(chat_id=LID, ingest=ingest))
    await ingest(inbound("de novo", chat_id=LID, ingest=ingest))

    contact = ingest.contact(LID)
    assert (contact.lid, contact.phone, contact.kind) == (LID, None, ContactKind.LEAD)
    [job] = ingest.jobs(ResolveLid.kind)
    assert job.key == f"{ResolveLid.kind}:{contact.id}"
    assert job.payload == {"contact_id": contact.id}
    assert job.run_after == ingest.clock.now()
    assert len(ingest.messages()) == 2
    assert ingest.conversation().contact_id == contact.id


async def test_a_phone_id_without_a_valid_number_has_no_lid_to_resolve(ingest: Ingestion) -> None:
    await ingest(inbound(chat_id="123@c.us", ingest=ingest))

    contact = ingest.contact("123@c.us")
    assert (contact.phone, contact.lid) == (None, None)
    assert ingest.jobs(ResolveLid.kind) == []


async def add_patient(ingest: Ingestion, phone: str, status: PatientStatus) -> None:
    patient = Patient("p-1", ASSOCIATION_ID, "Maria Silva", (phone,), status)

    async def upsert(uow: UnitOfWork) -> None:
        await uow.patients.upsert(patient)

    await ingest.change(upsert)


@pytest.mark.parametrize(
    "chat_id",
    ["5511988887777@c.us", "551188887777@c.us", "5511988887777@s.whatsapp.net"],
    ids=["ninth-digit", "legacy-eight-digits", "jid"],
)
async def test_a_number_an_active_patient_owns_makes_a_member(
    ingest: Ingestion, chat_id: str
) -> None:
    await add_patient(ingest, "+5511988887777", PatientStatus.ACTIVE)

    await ingest(inbound(chat_id=chat_id, ingest=ingest))

    [contact] = ingest.contacts()
    assert (contact.kind, contact.patient_id, contact.phone) == (
        ContactKind.MEMBER,
        "p-1",
        "+5511988887777",
    )


@pytest.mark.parametrize("status", [PatientStatus.INACTIVE, PatientStatus.PENDING])
async def test_a_patient_who_is_not_active_leaves_the_contact_a_lead(
    ingest: Ingestion, status: PatientStatus
) -> None:
    await add_patient(ingest, "+5511988887777", status)

    await ingest(inbound(ingest=ingest))

    assert (ingest.contact().kind, ingest.contact().patient_id) == (ContactKind.LEAD, None)


async def test_both_brazilian_forms_of_a_number_are_one_contact(ingest: Ingestion) -> None:
    await ingest(inbound(chat_id="551188887777@c.us", ingest=ingest))
    await ingest(inbound(chat_id="5511988887777@c.us", ingest=ingest))

    [contact] = ingest.contacts()
    assert ingest.conversation().unread_count == 2
    assert len(ingest.messages()) == 2
    assert contact.phone == "+5511988887777"


async def test_the_contacts_name_follows_its_whatsapp_name(ingest: Ingestion) -> None:
    await ingest(inbound(push_name="Maria", ingest=ingest))
    await ingest(inbound(push_name="Maria S.", ingest=ingest))
    await ingest(inbound(push_name="", ingest=ingest))

    assert ingest.contact().display_name == "Maria S."


# --- our own messages -------------------------------------------------------------------------


async def test_a_message_typed_on_the_phone_takes_the_conversation_from_the_bot(
    ingest: Ingestion,
) -> None:
    await ingest(inbound(ingest=ingest))
    bot_turn = ingest.jobs(BotTurn.kind)[0]
    ingest.clock.advance(1)
    typed = inbound("Oi Maria, aqui é a Ana", from_me=True, ingest=ingest)

    result = await ingest(typed)

    assert result.outcome is Outcome.STORED
    stored = ingest.message(typed.external_id)
    assert (stored.direction, stored.author, stored.status) == (
        Direction.OUT,
        Author.AGENT,
        MessageStatus.SENT,
    )
    conversation = ingest.conversation()
    assert conversation.status is ConversationStatus.HUMAN
    assert conversation.last_message_id == stored.id
    assert conversation.unread_count == 1  # our message is not unread
    assert conversation.waiting_since is None  # answered from the phone
    assert ingest.jobs(BotTurn.kind) == [bot_turn]  # not pushed back
    assert ingest.contact().display_name == "Maria"


async def test_a_message_typed_on_the_phone_leaves_a_pending_conversation_pending() -> None:
    ingest = Ingestion(bot=BotSettings(enabled=False))
    await ingest(inbound(ingest=ingest))

    await ingest(inbound("já te respondo", from_me=True, ingest=ingest))

    assert ingest.conversation().status is ConversationStatus.PENDING
    assert len(ingest.messages()) == 2


async def test_the_echo_of_our_own_send_updates_it(ingest: Ingestion) -> None:
    await ingest(inbound(ingest=ingest))
    sent_id = serialized_id(CONTACT, new_hex_id(), from_me=True)
    ours = await store_outbound(ingest, "Olá! Como posso ajudar?", MessageStatus.QUEUED, sent_id)

    echo = inbound("Olá! Como posso ajudar?", external_id=sent_id, from_me=True, api=True)
    result = await ingest(echo)

    assert (result.outcome, result.message_id) == (Outcome.UPDATED, ours.id)
    assert ingest.message(sent_id).status is MessageStatus.SENT
    assert len(ingest.messages()) == 2
    assert ingest.conversation().status is ConversationStatus.BOT
    assert (await ingest(echo)).outcome is Outcome.DUPLICATE


@pytest.mark.parametrize("status", [MessageStatus.QUEUED, MessageStatus.SENT])
async def test_an_api_echo_finds_our_send_whose_answer_had_no_id(
    ingest: Ingestion, status: MessageStatus
) -> None:
    await ingest(inbound(ingest=ingest))
    await store_outbound(ingest, "Outra resposta", MessageStatus.QUEUED)
    ours = await store_outbound(ingest, "Olá! Como posso ajudar?", status)
    echo_id = serialized_id(CONTACT, new_hex_id(), from_me=True)

    result = await ingest(
        inbound(" Olá! Como posso ajudar? ", external_id=echo_id, from_me=True, api=True)
    )

    assert (result.outcome, result.message_id) == (Outcome.UPDATED, ours.id)
    matched = ingest.message(echo_id)
    assert (matched.id, matched.status) == (ours.id, MessageStatus.SENT)
    assert len(ingest.messages()) == 3
    assert ingest.conversation().status is ConversationStatus.BOT


async def test_an_api_echo_that_matches_none_of_ours_is_a_message_sent_outside_wa_crm(
    ingest: Ingestion,
) -> None:
    await ingest(inbound(ingest=ingest))
    await store_outbound(ingest, "Olá! Como posso ajudar?", MessageStatus.QUEUED)
    echo = inbound("Mensagem de outro sistema", from_me=True, api=True, ingest=ingest)

    assert (await ingest(echo)).outcome is Outcome.STORED

    assert ingest.message(echo.external_id).author is Author.AGENT
    assert ingest.conversation().status is ConversationStatus.HUMAN


# --- acks, revokes, edits ---------------------------------------------------------------------


async def test_acks_move_the_status_forward_only(ingest: Ingestion) -> None:
    await ingest(inbound(ingest=ingest))
    sent_id = serialized_id(CONTACT, new_hex_id(), from_me=True)
    await store_outbound(ingest, "Olá!", MessageStatus.SENT, sent_id)

    def status() -> MessageStatus:
        return ingest.message(sent_id).status

    assert (await ingest(DeliveryAck(sent_id, MessageStatus.DELIVERED))).outcome is Outcome.UPDATED
    assert status() is MessageStatus.DELIVERED
    assert (await ingest(DeliveryAck(sent_id, MessageStatus.READ))).outcome is Outcome.UPDATED
    assert status() is MessageStatus.READ
    for older in (MessageStatus.DELIVERED, MessageStatus.SENT, MessageStatus.FAILED):
        assert (await ingest(DeliveryAck(sent_id, older))).outcome is Outcome.IGNORED
        assert status() is MessageStatus.READ
    assert (await ingest(DeliveryAck(sent_id, MessageStatus.PLAYED))).outcome is Outcome.UPDATED
    assert status() is MessageStatus.PLAYED
    assert ingest.bus.types().count("message.updated") == 3


async def test_a_failure_ack_marks_a_queued_message_failed(ingest: Ingestion) -> None:
    await ingest(inbound(ingest=ingest))
    sent_id = serialized_id(CONTACT, new_hex_id(), from_me=True)
    await store_outbound(ingest, "Olá!", MessageStatus.QUEUED, sent_id)

    await ingest(DeliveryAck(sent_id, MessageStatus.FAILED))

    assert ingest.message(sent_id).status is MessageStatus.FAILED


async def test_acks_of_unknown_or_inbound_messages_change_nothing(ingest: Ingestion) -> None:
    received = inbound(ingest=ingest)
    await ingest(received)

    unknown = await ingest(DeliveryAck("true_x@c.us_NOPE", MessageStatus.READ))
    inbound_ack = await ingest(DeliveryAck(received.external_id, MessageStatus.READ))

    # the unknown one is kept, in case it overtook our send's answer (early acks)
    assert (unknown.outcome, inbound_ack.outcome) == (Outcome.STORED, Outcome.IGNORED)
    assert ingest.message(received.external_id).status is MessageStatus.RECEIVED


async def test_a_revoked_message_loses_its_content(ingest: Ingestion) -> None:
    photo = Media("http://waha/api/files/default/x.jpeg", "image/jpeg")
    received = inbound("foto", type=MessageType.IMAGE, media=photo, ingest=ingest)
    await ingest(received)

    result = await ingest(MessageRevoked(("false_other", received.external_id)))

    assert result.outcome is Outcome.UPDATED
    revoked = ingest.message(received.external_id)
    assert (revoked.body, revoked.media, revoked.type, revoked.error) == (
        "",
        None,
        MessageType.OTHER,
        "revoked",
    )
    assert ingest.bus.published[-1].data == revoked.snapshot()
    assert (await ingest(MessageRevoked(("nope",)))).outcome is Outcome.IGNORED


async def test_an_edited_message_gets_the_new_text(ingest: Ingestion) -> None:
    received = inbound("consulta às 10h", ingest=ingest)
    await ingest(received)

    result = await ingest(MessageEdited((received.external_id,), "consulta às 11h"))

    assert result.outcome is Outcome.UPDATED
    assert ingest.message(received.external_id).body == "consulta às 11h"
    assert (await ingest(MessageEdited(("nope",), "x"))).outcome is Outcome.IGNORED


# --- presence and session ---------------------------------------------------------------------


async def test_a_known_contact_typing_is_published(ingest: Ingestion) -> None:
    await ingest(inbound(ingest=ingest))

    started = await ingest(ContactPresence(CONTACT, typing=True))
    stopped = await ingest(ContactPresence(CONTACT, typing=False))

    # not stored: the webhook entrypoint publishes the signal the result carries
    assert started.outcome is Outcome.PUBLISHED
    assert started.signal is not None and stopped.signal is not None
    start, stop = live_event(started.signal), live_event(stopped.signal)
    assert start.type == stop.type == "typing"
    assert start.data == {
        "who": "contact",
        "contact_id": ingest.contact().id,
        "conversation_id": ingest.conversation().id,
        "state": "start",
    }
    assert stop.data["state"] == "stop"


async def test_presence_of_strangers_is_ignored(ingest: Ingestion) -> None:
    for chat in ("5511977776666@c.us", "120363041234567890@g.us", "garbage"):
        assert (await ingest(ContactPresence(chat, typing=True))).outcome is Outcome.IGNORED
    assert ingest.bus.published == []


async def test_a_working_session_records_its_phone_and_every_status_is_published(
    ingest: Ingestion,
) -> None:
    await ingest(SessionStatusReport("SCAN_QR_CODE"))
    await ingest(SessionStatusReport("WORKING", ME))
    await ingest(SessionStatusReport("FAILED"))

    assert ingest.store.tables.associations[ASSOCIATION_ID].whatsapp.phone == ME
    published = ingest.bus.published
    assert [event.data for event in published if event.type.value == "session.status"] == [
        {"session": "default", "status": "SCAN_QR_CODE"},
        {"session": "default", "status": "WORKING"},
        {"session": "default", "status": "FAILED"},
    ]
    alerts = [event.data for event in published if event.type.value == "alert"]
    assert [(alert["kind"], alert["status"]) for alert in alerts] == [("session_down", "FAILED")]


async def test_a_repeated_session_status_is_recorded_once(ingest: Ingestion) -> None:
    await ingest(SessionStatusReport("WORKING", ME))
    await ingest(SessionStatusReport("WORKING", ME))
    assert len(ingest.store.tables.session_events) == 1


# --- events and transactions ------------------------------------------------------------------


async def test_events_are_published_after_commit_with_the_committed_state(
    ingest: Ingestion,
) -> None:
    await ingest(inbound(ingest=ingest))
    sent_id = serialized_id(CONTACT, new_hex_id(), from_me=True)
    await store_outbound(ingest, "Olá!", MessageStatus.SENT, sent_id)
    await ingest(DeliveryAck(sent_id, MessageStatus.READ))
    await ingest(inbound("obrigada", from_me=True, ingest=ingest))

    assert len(ingest.bus.published) >= 5
    assert ingest.bus.uncommitted == []


async def test_nothing_is_published_when_the_commit_fails() -> None:
    ingest = Ingestion(fail_commits=True)

    with pytest.raises(ConnectionError):
        await ingest(inbound(ingest=ingest))

    assert ingest.bus.published == []
    assert (ingest.messages(), ingest.contacts(), ingest.conversations()) == ([], [], [])
    assert ingest.store.tables.processed_events == {}


async def test_an_event_for_a_deleted_association_is_ignored(ingest: Ingestion) -> None:
    del ingest.store.tables.associations[ASSOCIATION_ID]

    assert (await ingest(inbound(ingest=ingest))).outcome is Outcome.IGNORED
    assert ingest.messages() == []


@pytest.mark.parametrize(
    ("sent", "outcome"),
    [
        (-timedelta(days=7, seconds=1), Outcome.TOO_OLD),
        (timedelta(minutes=5, seconds=1), Outcome.AHEAD_OF_CLOCK),
    ],
)
async def test_an_event_sent_outside_the_window_changes_nothing(
    ingest: Ingestion, sent: timedelta, outcome: Outcome
) -> None:
    event_id = new_event_id()
    sent_at = ingest.clock.now() + sent

    result = await ingest.use_case(
        IncomingEvent(ASSOCIATION_ID, event_id, inbound("Oi"), sent_at=sent_at)
    )

    assert result == Success(IngestResult(outcome, f"sent at {sent_at.isoformat()}"))
    assert ingest.messages() == [] and ingest.contacts() == [] and ingest.bus.published == []
    assert ingest.store.tables.processed_events == {}  # a later, timely event id is still new


@pytest.mark.parametrize("sent", [-timedelta(days=7), timedelta(minutes=5)])
async def test_an_event_sent_at_the_edge_of_the_window_is_stored(
    ingest: Ingestion, sent: timedelta
) -> None:
    command = IncomingEvent(
        ASSOCIATION_ID, new_event_id(), inbound("Oi"), sent_at=ingest.clock.now() + sent
    )

    assert (await ingest.use_case(command)).unwrap().outcome is Outcome.STORED
