"""Events about messages we already hold, and about the session: acks, edits, presence."""

from __future__ import annotations

import pytest
from tests.support.waha_payloads import (
    CONTACT,
    ENGINES,
    ME,
    WaMessage,
    ack_event,
    edited_event,
    image,
    message_event,
    presence_event,
    reaction_event,
    revoked_event,
    session_status_event,
)
from tests.support.webhook_driver import Waha

from wa_crm.domain.model.message import MessageStatus, MessageType


async def sent_message(waha: Waha, engine: str) -> WaMessage:
    """A conversation with the contact, and our reply in it, sent and known by its id."""
    await waha.deliver(message_event(WaMessage(), engine=engine))
    reply = WaMessage(from_me=True, source="api", body="Olá! Em que posso ajudar?")
    await waha.add_outbound(CONTACT, reply.body, MessageStatus.SENT, external_id=reply.id)
    return reply


async def status_of(waha: Waha, external_id: str) -> MessageStatus:
    message = await waha.message(external_id)
    assert message is not None
    return message.status


@pytest.mark.parametrize("engine", ENGINES)
async def test_acks_move_our_message_forward_only(waha: Waha, engine: str) -> None:
    reply = await sent_message(waha, engine)

    steps = [(2, "updated", "delivered"), (3, "updated", "read"), (2, "ignored", "read")]
    steps += [(1, "ignored", "read"), (-1, "ignored", "read"), (0, "ignored", "read")]
    steps += [(4, "updated", "played"), (3, "ignored", "played")]
    for ack, outcome, status in steps:
        assert await waha.deliver(ack_event(reply.id, ack, engine=engine)) == outcome, ack
        assert await status_of(waha, reply.id) == status, ack

    updates = [e for e in await waha.published() if e.type == "message.updated"]
    assert [e.data["status"] for e in updates] == ["delivered", "read", "played"]


async def test_a_replayed_ack_is_a_duplicate(waha: Waha) -> None:
    reply = await sent_message(waha, "WEBJS")
    read = ack_event(reply.id, 3)

    assert [await waha.deliver(read) for _ in range(3)] == ["updated", "duplicate", "duplicate"]
    assert await status_of(waha, reply.id) is MessageStatus.READ


async def test_an_ack_that_overtakes_our_send_is_kept_until_the_id_is_stored(
    waha: Waha,
) -> None:
    """WAHA may post the ack before its answer to our send: the ack is kept, and the echo
    that stores the id (``message.any`` with ``source: api``) finds the message read."""
    await waha.deliver(message_event(WaMessage()))
    reply = WaMessage(from_me=True, source="api", body="Olá! Em que posso ajudar?")
    await waha.add_outbound(CONTACT, reply.body, MessageStatus.QUEUED)

    assert await waha.deliver(ack_event(reply.id, 3)) == "stored"
    assert reply.id not in await waha.stored_external_ids()
    assert await waha.deliver(message_event(reply)) == "updated"
    assert await status_of(waha, reply.id) is MessageStatus.READ


@pytest.mark.parametrize("engine", ENGINES)
async def test_a_revoked_message_loses_its_content(waha: Waha, engine: str) -> None:
    photo = WaMessage(body="olha isso", media=image())
    await waha.deliver(message_event(photo, engine=engine))

    assert await waha.deliver(revoked_event(photo, engine=engine)) == "updated"

    stored = await waha.message(photo.id)
    assert stored is not None
    assert (stored.body, stored.media, stored.type, stored.error) == (
        "",
        None,
        MessageType.OTHER,
        "revoked",
    )
    assert (await waha.published())[-1].type == "message.updated"


@pytest.mark.parametrize("engine", ENGINES)
async def test_an_edit_replaces_the_text(waha: Waha, engine: str) -> None:
    original = WaMessage(body="a consulta é às 10h?")
    await waha.deliver(message_event(original, engine=engine))

    assert await waha.deliver(edited_event(original, "a consulta é às 11h?", engine=engine)) == (
        "updated"
    )

    stored = await waha.message(original.id)
    assert stored is not None and stored.body == "a consulta é às 11h?"


async def test_revokes_and_edits_of_unknown_messages_are_ignored(waha: Waha) -> None:
    stranger = WaMessage(body="nunca vista")

    assert await waha.deliver(revoked_event(stranger)) == "ignored"
    assert await waha.deliver(edited_event(stranger, "editada")) == "ignored"
    assert await waha.stored_external_ids() == {}


@pytest.mark.parametrize("engine", ENGINES)
async def test_a_contact_reaction_is_kept_on_the_message_and_published(
    waha: Waha, engine: str
) -> None:
    """Issue 15: ``message.reaction`` was understood and thrown away."""
    message = WaMessage()
    await waha.deliver(message_event(message, engine=engine))

    assert await waha.deliver(reaction_event(message.id, "❤️", engine=engine)) == "updated"

    stored = await waha.message(message.id)
    assert stored is not None
    updated = [e for e in await waha.published() if e.type == "message.updated"]
    assert [(e.data["id"], e.data["reactions"]) for e in updated] == [
        (stored.id, [{"emoji": "❤️", "from_me": False, "at": updated[0].data["reactions"][0]["at"]}])
    ]
    async with waha.container.uow_factory()() as uow:
        reactions = await uow.messages.reactions_of(waha.association.id, [stored.id])
    assert [(r.emoji, r.from_me) for r in reactions[stored.id]] == [("❤️", False)]
    assert waha.counted("message.reaction", "updated") == 1


async def test_reactions_of_both_sides_replace_and_remove_in_webhook_time_order(
    waha: Waha,
) -> None:
    """Our number's reaction (typed on the phone, or the echo of an agent's) is the other side;
    a removal arriving before an older reaction is not undone by it (WAHA keeps no order)."""
    ours = WaMessage(from_me=True, body="Sua receita está pronta")
    await waha.deliver(message_event(ours, event="message.any"))
    # WEBJS names our own message ``true_…`` for us, ``false_…`` as the contact sees it
    as_contact_sees_it = ours.id.replace("true_", "false_", 1)

    outcomes = [
        await waha.deliver(reaction_event(as_contact_sees_it, "🙏", seconds_after_t0=1)),
        await waha.deliver(reaction_event(ours.id, "👍", from_me=True, seconds_after_t0=2)),
        await waha.deliver(reaction_event(as_contact_sees_it, "", seconds_after_t0=4)),
        await waha.deliver(reaction_event(as_contact_sees_it, "😮", seconds_after_t0=3)),
    ]

    stored = await waha.message(ours.id)
    assert stored is not None
    async with waha.container.uow_factory()() as uow:
        reactions = await uow.messages.reactions_of(waha.association.id, [stored.id])
    assert outcomes == ["updated", "updated", "updated", "ignored"]
    assert [(r.emoji, r.from_me) for r in reactions[stored.id]] == [("👍", True)]


async def test_a_reaction_to_an_unknown_message_is_ignored(waha: Waha) -> None:
    assert await waha.deliver(reaction_event(WaMessage().id, "❤️")) == "ignored"


async def test_a_contact_typing_is_published(waha: Waha) -> None:
    await waha.deliver(message_event(WaMessage()))
    conversation = await waha.conversation(CONTACT)
    contact = await waha.contact(CONTACT)
    assert contact is not None

    assert await waha.deliver(presence_event(CONTACT, "typing")) == "published"
    assert await waha.deliver(presence_event(CONTACT, "paused")) == "published"

    typing = [e.data for e in await waha.published() if e.type == "typing"]
    assert typing == [
        {
            "who": "contact",
            "contact_id": contact.id,
            "conversation_id": conversation.id,
            "state": state,
        }
        for state in ("start", "stop")
    ]


async def test_presence_of_someone_we_never_talked_to_is_ignored(waha: Waha) -> None:
    assert await waha.deliver(presence_event("5511977776666@c.us", "typing")) == "ignored"
    assert await waha.published() == []


@pytest.mark.parametrize("engine", ENGINES)
async def test_session_status_is_published_and_working_records_the_phone(
    waha: Waha, engine: str
) -> None:
    for status in ("STARTING", "SCAN_QR_CODE"):
        body = session_status_event(status, engine=engine, me=None)
        assert await waha.deliver(body) == "updated"  # recorded in the session's history
    assert (await waha.reload()).whatsapp.phone is None

    assert await waha.deliver(session_status_event("WORKING", engine=engine)) == "updated"
    assert await waha.deliver(session_status_event("FAILED", engine=engine)) == "updated"

    assert (await waha.reload()).whatsapp.phone == ME
    statuses = [e.data for e in await waha.published() if e.type == "session.status"]
    assert statuses == [
        {"session": "default", "status": status}
        for status in ("STARTING", "SCAN_QR_CODE", "WORKING", "FAILED")
    ]


async def test_a_session_status_overtaken_by_a_newer_one_is_dropped(waha: Waha) -> None:
    scanning = session_status_event("SCAN_QR_CODE", me=None)  # emitted first, arrives last
    await waha.deliver(session_status_event("STARTING", me=None))
    await waha.deliver(session_status_event("WORKING"))
    late = {**scanning, "timestamp": scanning["timestamp"] - 10_000}

    assert await waha.deliver(late) == "updated"

    statuses = [e.data["status"] for e in await waha.published() if e.type == "session.status"]
    assert statuses == ["STARTING", "WORKING"]
    assert not [e for e in await waha.published() if e.type == "alert"]


async def test_every_kind_of_event_is_published_once_committed(waha: Waha) -> None:
    """One event of each kind the webhook publishes, in order, with the stored state."""
    reply = await sent_message(waha, "WEBJS")
    await waha.deliver(ack_event(reply.id, 2))
    await waha.deliver(presence_event(CONTACT, "typing"))
    await waha.deliver(session_status_event("WORKING"))

    published = await waha.published()

    assert [e.type for e in published] == [
        "conversation.created",
        "message.created",
        "conversation.updated",
        "message.updated",
        "typing",
        "session.status",
    ]
    stored = await waha.message(reply.id)
    assert stored is not None and published[3].data == stored.snapshot()
