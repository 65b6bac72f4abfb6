"""Messages through the webhook into the database: contacts, conversations, bot turns, events."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from tests.support.waha_payloads import (
    CONTACT,
    CONTACT_NAME,
    ENGINES,
    GROUP,
    ME_NAME,
    NEWSLETTER,
    STATUS_BROADCAST,
    MediaFile,
    WaMessage,
    document,
    image,
    message_event,
    voice,
)
from tests.support.webhook_driver import Waha

from wa_crm.domain.model.conversation import ConversationStatus, HandoffReason
from wa_crm.domain.model.job_commands import BotTurn, ResolveLid
from wa_crm.domain.model.jobs import JobStatus
from wa_crm.domain.model.message import Author, Direction, MessageStatus, MessageType
from wa_crm.domain.model.people import ContactKind
from wa_crm.testing.clock import T0, FakeClock

LID_SENDER = "187654321098765@lid"
LEGACY_BR = "551188887777@c.us"  # the same line as CONTACT, without the ninth digit


@pytest.mark.parametrize("engine", ENGINES)
async def test_a_new_contacts_message_is_stored_with_its_contact_and_conversation(
    waha: Waha, clock: FakeClock, engine: str
) -> None:
    message = WaMessage(body="Oi, quero agendar uma consulta")

    assert await waha.deliver(message_event(message, engine=engine)) == "stored"

    stored = await waha.message(message.id)
    assert stored is not None
    assert (stored.direction, stored.author, stored.type, stored.status) == (
        Direction.IN,
        Author.CONTACT,
        MessageType.TEXT,
        MessageStatus.RECEIVED,
    )
    assert (stored.body, stored.created_at, stored.media) == (
        "Oi, quero agendar uma consulta",
        T0,
        None,
    )
    contact = await waha.contact(CONTACT)
    assert contact is not None
    assert (contact.phone, contact.display_name, contact.kind, contact.lid) == (
        "+5511988887777",
        CONTACT_NAME,
        ContactKind.LEAD,
        None,
    )
    conversation = await waha.conversation(CONTACT)
    assert conversation.id == stored.conversation_id
    assert conversation.status is ConversationStatus.BOT
    assert (conversation.session, conversation.channel.value) == ("default", "whatsapp")
    assert (conversation.last_message_id, conversation.unread_count) == (stored.id, 1)
    job = await waha.job(f"{BotTurn.kind}:{conversation.id}")
    assert job is not None and job.status is JobStatus.PENDING
    assert job.run_after == clock.now() + timedelta(seconds=3)
    assert waha.counted("message", "stored") == 1


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("media", "kind"),
    [
        (image(), MessageType.IMAGE),
        (document("receita.pdf"), MessageType.DOCUMENT),
        (voice(), MessageType.AUDIO),
    ],
    ids=["image", "document", "voice"],
)
async def test_media_messages_are_stored_with_their_media(
    waha: Waha, engine: str, media: MediaFile, kind: MessageType
) -> None:
    message = WaMessage(body="segue" if media.kind != "ptt" else "", media=media)
    wire_media = message.media_json()
    assert wire_media is not None

    assert await waha.deliver(message_event(message, engine=engine)) == "stored"

    stored = await waha.message(message.id)
    assert stored is not None and stored.media is not None
    assert stored.type is kind
    assert stored.body == message.body
    assert (stored.media.url, stored.media.mimetype, stored.media.filename) == (
        wire_media["url"],
        media.mimetype,
        media.filename,
    )


async def test_a_lid_sender_becomes_a_contact_kept_by_its_lid(waha: Waha) -> None:
    message = WaMessage(chat_id=LID_SENDER, push_name="Sem Número", sender_pn=None)

    assert await waha.deliver(message_event(message, engine="NOWEB")) == "stored"
    assert await waha.deliver(message_event(message.with_(hex_id="B" * 20), engine="NOWEB")) == (
        "stored"
    )

    contact = await waha.contact(LID_SENDER)
    assert contact is not None
    assert (contact.lid, contact.phone, contact.kind) == (LID_SENDER, None, ContactKind.LEAD)
    assert await waha.job(f"{ResolveLid.kind}:{contact.id}") is not None
    conversation = await waha.conversation(LID_SENDER)
    assert len(await waha.conversation_messages(conversation.id)) == 2


@pytest.mark.parametrize(
    ("chat_id", "participant"),
    [(GROUP, CONTACT), (STATUS_BROADCAST, CONTACT), (NEWSLETTER, None)],
    ids=["group", "status", "newsletter"],
)
@pytest.mark.parametrize("event", ["message", "message.any"])
async def test_groups_broadcasts_and_newsletters_are_ignored_and_counted(
    waha: Waha, chat_id: str, participant: str | None, event: str
) -> None:
    message = WaMessage(chat_id=chat_id, participant=participant)

    for engine in ENGINES:
        body = message_event(message.with_(hex_id=engine * 5), engine=engine, event=event)
        response = await waha.post(body)
        assert response.status_code == 200
        assert response.json()["status"] == "ignored"

    assert waha.counted(event, "ignored") == len(ENGINES)
    assert await waha.stored_external_ids() == {}
    assert await waha.contact(CONTACT) is None
    assert await waha.published() == []


@pytest.mark.parametrize(
    ("registered", "writes_from"),
    [("+55 11 98888-7777", LEGACY_BR), ("551188887777", CONTACT), ("11 8888-7777", LEGACY_BR)],
    ids=["registered-with-9", "registered-without-9", "both-without-9"],
)
async def test_a_brazilian_number_finds_its_patient_with_or_without_the_ninth_digit(
    waha: Waha, registered: str, writes_from: str
) -> None:
    await waha.import_patients(
        f"id,full_name,phone,status,city\np-17,Maria Silva,{registered},active,Campinas\n"
    )

    assert await waha.deliver(message_event(WaMessage(chat_id=writes_from))) == "stored"

    contact = await waha.contact(writes_from)
    assert contact is not None
    assert (contact.kind, contact.patient_id, contact.phone) == (
        ContactKind.MEMBER,
        "p-17",
        "+5511988887777",
    )


async def test_an_inactive_patient_leaves_the_contact_a_lead(waha: Waha) -> None:
    await waha.import_patients("id,full_name,phone,status\np-1,Maria,+5511988887777,inactive\n")

    await waha.deliver(message_event(WaMessage(chat_id=LEGACY_BR)))

    contact = await waha.contact(LEGACY_BR)
    assert contact is not None and (contact.kind, contact.patient_id) == (ContactKind.LEAD, None)


async def test_both_forms_of_a_brazilian_number_are_one_contact(waha: Waha) -> None:
    await waha.deliver(message_event(WaMessage(chat_id=LEGACY_BR, body="um")))
    await waha.deliver(message_event(WaMessage(chat_id=CONTACT, body="dois")))

    conversation = await waha.conversation(LEGACY_BR)
    assert await waha.contact(CONTACT) is None  # found by phone, not created again
    bodies = sorted(m.body for m in await waha.conversation_messages(conversation.id))
    assert bodies == ["dois", "um"]


# --- bot, pending, debounce, resolution -------------------------------------------------------


async def test_messages_within_the_debounce_window_push_the_bot_turn_back(
    waha: Waha, clock: FakeClock
) -> None:
    await waha.deliver(message_event(WaMessage(body="Oi")))
    conversation = await waha.conversation(CONTACT)
    key = f"{BotTurn.kind}:{conversation.id}"
    first = await waha.job(key)
    assert first is not None and first.run_after == clock.now() + timedelta(seconds=3)

    clock.advance(2)
    await waha.deliver(message_event(WaMessage(body="preciso de ajuda")))

    second = await waha.job(key)
    assert second is not None
    assert second.id == first.id
    assert second.run_after == clock.now() + timedelta(seconds=3) > first.run_after
    assert second.version == first.version + 1
    assert (await waha.conversation(CONTACT)).unread_count == 2


async def test_with_the_bot_disabled_a_new_conversation_starts_pending(waha: Waha) -> None:
    await waha.set_bot(enabled=False)

    await waha.deliver(message_event(WaMessage()))

    conversation = await waha.conversation(CONTACT)
    assert conversation.status is ConversationStatus.PENDING
    assert conversation.handoff_reason is HandoffReason.BOT_DISABLED
    assert await waha.job(f"{BotTurn.kind}:{conversation.id}") is None


async def test_after_resolution_the_next_message_opens_a_new_conversation(
    waha: Waha, clock: FakeClock
) -> None:
    first, second = WaMessage(body="obrigada!"), WaMessage(body="oi de novo")
    await waha.deliver(message_event(first))
    resolved = await waha.resolve(CONTACT)
    clock.advance(86_400)

    await waha.deliver(message_event(second))

    new, old = await waha.conversations(CONTACT)
    assert (old.id, old.status) == (resolved.id, ConversationStatus.RESOLVED)
    assert new.status is ConversationStatus.BOT
    assert new.created_at == clock.now()
    first_stored, second_stored = await waha.message(first.id), await waha.message(second.id)
    assert first_stored is not None and first_stored.conversation_id == old.id
    assert second_stored is not None and second_stored.conversation_id == new.id
    assert await waha.job(f"{BotTurn.kind}:{new.id}") is not None


# --- our own messages -------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
async def test_a_message_typed_on_the_phone_is_an_agent_message_and_ends_the_bot(
    waha: Waha, engine: str
) -> None:
    await waha.deliver(message_event(WaMessage(), engine=engine))
    typed = WaMessage(from_me=True, source="app", body="Oi Maria, é a Ana", push_name=ME_NAME)

    assert await waha.deliver(message_event(typed, engine=engine, event="message.any")) == "stored"

    stored = await waha.message(typed.id)
    assert stored is not None
    assert (stored.direction, stored.author, stored.status) == (
        Direction.OUT,
        Author.AGENT,
        MessageStatus.SENT,
    )
    conversation = await waha.conversation(CONTACT)
    assert conversation.status is ConversationStatus.HUMAN
    assert conversation.last_message_id == stored.id
    contact = await waha.contact(CONTACT)
    assert contact is not None and contact.display_name == CONTACT_NAME  # not our own name


@pytest.mark.parametrize("engine", ENGINES)
async def test_the_echo_of_our_send_updates_our_message(waha: Waha, engine: str) -> None:
    await waha.deliver(message_event(WaMessage(), engine=engine))
    echo = WaMessage(from_me=True, source="api", body="Olá! Como posso ajudar?")
    ours = await waha.add_outbound(CONTACT, echo.body, MessageStatus.QUEUED, external_id=echo.id)

    assert await waha.deliver(message_event(echo, engine=engine, event="message.any")) == (
        "updated"
    )

    stored = await waha.message(echo.id)
    assert stored is not None
    assert (stored.id, stored.status, stored.author) == (ours.id, MessageStatus.SENT, Author.BOT)
    assert (await waha.conversation(CONTACT)).status is ConversationStatus.BOT
    assert sum((await waha.stored_external_ids()).values()) == 2


@pytest.mark.parametrize("engine", ENGINES)
async def test_an_api_echo_is_matched_to_our_send_that_had_no_id(waha: Waha, engine: str) -> None:
    await waha.deliver(message_event(WaMessage(), engine=engine))
    ours = await waha.add_outbound(CONTACT, "Olá! Como posso ajudar?", MessageStatus.QUEUED)
    echo = WaMessage(from_me=True, source="api", body="Olá! Como posso ajudar?")

    assert await waha.deliver(message_event(echo, engine=engine, event="message.any")) == (
        "updated"
    )

    matched = await waha.message(echo.id)
    assert matched is not None
    assert (matched.id, matched.status) == (ours.id, MessageStatus.SENT)
    stored_ids = await waha.stored_external_ids()
    assert (stored_ids[echo.id], sum(stored_ids.values())) == (1, 2)  # no third message
    assert (await waha.conversation(CONTACT)).status is ConversationStatus.BOT


async def test_an_echo_that_overtakes_our_send_to_a_resolved_conversation_opens_nothing(
    waha: Waha,
) -> None:
    """A survey question or thank-you goes out after the conversation is resolved; its echo may
    arrive before the send's answer stored the WhatsApp id."""
    await waha.deliver(message_event(WaMessage()))
    ours = await waha.add_outbound(CONTACT, "De 1 a 5, como foi?", MessageStatus.QUEUED)
    await waha.resolve(CONTACT)
    echo = WaMessage(from_me=True, source="api", body="De 1 a 5, como foi?")

    assert await waha.deliver(message_event(echo, event="message.any")) == "updated"

    [conversation] = await waha.conversations(CONTACT)
    assert conversation.status is ConversationStatus.RESOLVED
    matched = await waha.message(echo.id)
    assert matched is not None and matched.id == ours.id


# --- duplicates -------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
async def test_message_and_message_any_of_one_inbound_message_store_it_once(
    waha: Waha, engine: str
) -> None:
    message = WaMessage()

    outcomes = [
        await waha.deliver(message_event(message, engine=engine, event=event))
        for event in ("message", "message.any", "message.any", "message")
    ]

    assert outcomes == ["stored", "duplicate", "duplicate", "duplicate"]
    assert await waha.stored_external_ids() == {message.id: 1}
    assert (await waha.conversation(CONTACT)).unread_count == 1


async def test_concurrent_messages_of_one_contact_all_count(waha: Waha) -> None:
    await waha.deliver(message_event(WaMessage(body="primeira")))
    later = [WaMessage(body=f"parte {n}") for n in range(8)]

    responses = await asyncio.gather(*(waha.post(message_event(m)) for m in later))

    assert [r.status_code for r in responses] == [200] * 8
    assert sum((await waha.stored_external_ids()).values()) == 9
    assert (await waha.conversation(CONTACT)).unread_count == 9


# --- events -----------------------------------------------------------------------------------


async def test_what_changed_is_published_after_commit(waha: Waha) -> None:
    message = WaMessage(body="Oi")
    await waha.deliver(message_event(message))

    published = await waha.published()

    assert [event.type for event in published] == [
        "conversation.created",
        "message.created",
        "conversation.updated",
    ]
    assert all(event.association == waha.association.id for event in published)
    assert [int(event.id) for event in published] == [1, 2, 3]
    created = published[1].data
    stored = await waha.message(message.id)
    assert stored is not None and created == stored.snapshot()
    conversation = await waha.conversation(CONTACT)
    assert published[0].data["id"] == conversation.id
    assert published[0].data["status"] == "bot"
