"""Conversations (one open per contact and channel) and messages."""

from __future__ import annotations

import asyncio

import pytest

from wa_crm.domain.model.conversation import Channel, ConversationStatus, HandoffReason
from wa_crm.domain.model.message import (
    UNTRANSCRIBABLE,
    Author,
    Direction,
    Message,
    MessageStatus,
    MessageType,
    Reaction,
)
from wa_crm.ports.unit_of_work import DuplicateKey

from .base import PersistenceContract, UowFactory
from .builders import a_conversation, a_handed_off_conversation, a_media_message, a_message, at

ASSOCIATION = "assoc-conv"


class ConversationContract(PersistenceContract):
    async def test_round_trip_of_every_field(self, uow_factory: UowFactory) -> None:
        full = a_handed_off_conversation(ASSOCIATION, "contact-1")
        bare = a_conversation(ASSOCIATION, "contact-1")
        async with uow_factory() as uow:
            await uow.conversations.add(full)
            await uow.conversations.add(bare)
            await uow.commit()
        async with uow_factory() as uow:
            loaded = await uow.conversations.get(ASSOCIATION, full.id)
            assert loaded == full
            assert await uow.conversations.get(ASSOCIATION, bare.id) == bare
            assert await uow.conversations.get("other-association", full.id) is None
        assert loaded is not None and loaded.pending_facts == []

    async def test_pending_facts_are_not_stored(self, uow_factory: UowFactory) -> None:
        conversation = a_conversation(ASSOCIATION, "contact-1")
        conversation.hand_off(HandoffReason.KEYWORD)
        assert conversation.pending_facts
        async with uow_factory() as uow:
            await uow.conversations.add(conversation)
            loaded = await uow.conversations.get(ASSOCIATION, conversation.id)
        assert loaded is not None and loaded.pending_facts == []
        assert loaded.handoff_note is not None and loaded.handoff_note.reason == "keyword"

    async def test_one_open_conversation_per_contact_and_channel(
        self, uow_factory: UowFactory
    ) -> None:
        first = a_conversation(ASSOCIATION, "contact-1")
        async with uow_factory() as uow:
            await uow.conversations.add(first)
            await uow.conversations.add(
                a_conversation(ASSOCIATION, "contact-1", channel=Channel.WEB)
            )
            await uow.conversations.add(a_conversation(ASSOCIATION, "contact-2"))
            await uow.commit()
        async with uow_factory() as uow:
            with pytest.raises(DuplicateKey):
                await uow.conversations.add(
                    a_conversation(ASSOCIATION, "contact-1", status=ConversationStatus.PENDING)
                )

    async def test_a_resolved_conversation_makes_room_for_a_new_one(
        self, uow_factory: UowFactory
    ) -> None:
        first = a_conversation(ASSOCIATION, "contact-1")
        async with uow_factory() as uow:
            await uow.conversations.add(first)
            await uow.commit()
        first.resolve(at(10))
        second = a_conversation(ASSOCIATION, "contact-1", created_at=at(20))
        async with uow_factory() as uow:
            await uow.conversations.update(first)
            await uow.conversations.add(second)
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.conversations.find_open(
                ASSOCIATION, "contact-1", Channel.WHATSAPP
            ) == (second)
            assert await uow.conversations.list_for_contact(ASSOCIATION, "contact-1") == [
                second,
                first,
            ]
            with pytest.raises(DuplicateKey):  # reopening the old one would make two open
                first.status = ConversationStatus.HUMAN
                await uow.conversations.update(first)

    async def test_racing_openers_leave_one_open_conversation(
        self, uow_factory: UowFactory
    ) -> None:
        async def open_one() -> bool:
            try:
                async with uow_factory() as uow:
                    await uow.conversations.add(a_conversation(ASSOCIATION, "contact-race"))
                    await asyncio.sleep(0)
                    await uow.commit()
            except DuplicateKey:
                return False
            return True

        results = await asyncio.gather(*(open_one() for _ in range(5)))
        assert sorted(results) == [False, False, False, False, True]
        async with uow_factory() as uow:
            assert len(await uow.conversations.list_for_contact(ASSOCIATION, "contact-race")) == 1

    async def test_find_open_ignores_other_channels_and_associations(
        self, uow_factory: UowFactory
    ) -> None:
        async with uow_factory() as uow:
            await uow.conversations.add(
                a_conversation(ASSOCIATION, "contact-1", channel=Channel.WEB)
            )
            await uow.conversations.add(a_conversation("other-association", "contact-1"))
            assert (
                await uow.conversations.find_open(ASSOCIATION, "contact-1", Channel.WHATSAPP)
                is None
            )

    async def test_update_persists_state_changes(self, uow_factory: UowFactory) -> None:
        conversation = a_conversation(ASSOCIATION, "contact-1")
        async with uow_factory() as uow:
            await uow.conversations.add(conversation)
            await uow.commit()
        conversation.receive("msg-1", at(1))
        conversation.hand_off(HandoffReason.MAX_TURNS)
        conversation.claim("agent-1")
        async with uow_factory() as uow:
            await uow.conversations.update(conversation)
            await uow.commit()
        conversation.pending_facts = []
        async with uow_factory() as uow:
            assert await uow.conversations.get(ASSOCIATION, conversation.id) == conversation


class MessageContract(PersistenceContract):
    async def test_each_side_keeps_its_newest_reaction(self, uow_factory: UowFactory) -> None:
        """Webhooks come in no order: an older reaction never replaces a newer one, and a
        removal ("") hides the side's reaction without letting an older one back."""
        message, other = a_message(ASSOCIATION, "conv-1"), a_message(ASSOCIATION, "conv-1")
        async with uow_factory() as uow:
            await uow.messages.add(message)
            await uow.messages.add(other)
            await uow.commit()
        theirs, ours = Reaction("❤️", False, at(5)), Reaction("👍", True, at(3))
        async with uow_factory() as uow:
            assert await uow.messages.react(ASSOCIATION, message.id, Reaction("😮", False, at(1)))
            assert await uow.messages.react(ASSOCIATION, message.id, theirs)
            assert not await uow.messages.react(
                ASSOCIATION, message.id, Reaction("😢", False, at(4))
            )
            assert await uow.messages.react(ASSOCIATION, message.id, ours)
            assert await uow.messages.react(ASSOCIATION, other.id, Reaction("🙏", False, at(2)))
            assert await uow.messages.react(ASSOCIATION, other.id, Reaction("", False, at(6)))
            assert not await uow.messages.react(ASSOCIATION, other.id, Reaction("🙏", False, at(2)))
            await uow.commit()
        async with uow_factory() as uow:
            found = await uow.messages.reactions_of(ASSOCIATION, [message.id, other.id, "nope"])
            assert await uow.messages.reactions_of("other-association", [message.id]) == {}
            assert await uow.messages.reactions_of(ASSOCIATION, []) == {}
        assert {key: sorted(value, key=lambda r: r.from_me) for key, value in found.items()} == {
            message.id: [theirs, ours]
        }

    async def test_round_trip_of_every_field(self, uow_factory: UowFactory) -> None:
        plain = a_message(ASSOCIATION, "conv-1")
        media = a_media_message(ASSOCIATION, "conv-1")
        async with uow_factory() as uow:
            await uow.messages.add(plain)
            await uow.messages.add(media)
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.messages.get(ASSOCIATION, plain.id) == plain
            assert await uow.messages.get(ASSOCIATION, media.id) == media
            assert await uow.messages.get("other-association", plain.id) is None

    async def test_a_voice_notes_transcript_is_kept_and_empty_is_not_none(
        self, uow_factory: UowFactory
    ) -> None:
        heard = a_message(ASSOCIATION, "conv-1", type=MessageType.AUDIO, body="")
        unheard = a_message(ASSOCIATION, "conv-1", type=MessageType.AUDIO, body="")
        async with uow_factory() as uow:
            await uow.messages.add(heard)
            await uow.messages.add(unheard)
            await uow.commit()
        heard.transcribe("Qual o status do meu pedido?")
        unheard.transcribe(UNTRANSCRIBABLE)
        async with uow_factory() as uow:
            await uow.messages.update(heard)
            await uow.messages.update(unheard)
            await uow.commit()
        async with uow_factory() as uow:
            loaded = await uow.messages.get(ASSOCIATION, heard.id)
            empty = await uow.messages.get(ASSOCIATION, unheard.id)
        assert loaded is not None and loaded.transcript == "Qual o status do meu pedido?"
        assert empty is not None and empty.transcript == ""

    async def test_external_id_is_unique_per_association(self, uow_factory: UowFactory) -> None:
        message = a_message(ASSOCIATION, "conv-1")
        async with uow_factory() as uow:
            await uow.messages.add(message)
            await uow.messages.add(
                a_message("other-association", "conv-2", external_id=message.external_id)
            )
            await uow.commit()
        async with uow_factory() as uow:
            with pytest.raises(DuplicateKey):
                await uow.messages.add(
                    a_message(ASSOCIATION, "conv-1", external_id=message.external_id)
                )

    async def test_queued_messages_have_no_external_id_yet(self, uow_factory: UowFactory) -> None:
        queued = [
            a_message(
                ASSOCIATION,
                "conv-1",
                external_id=None,
                direction=Direction.OUT,
                status=MessageStatus.QUEUED,
            )
            for _ in range(2)
        ]
        async with uow_factory() as uow:
            for message in queued:
                await uow.messages.add(message)
            await uow.commit()
        queued[0].external_id = "true_5511@c.us_SENT"
        queued[0].advance(MessageStatus.SENT)
        async with uow_factory() as uow:
            await uow.messages.update(queued[0])
            await uow.commit()
        async with uow_factory() as uow:
            found = await uow.messages.get_by_external_id(ASSOCIATION, "true_5511@c.us_SENT")
            assert found == queued[0]
            assert await uow.messages.get_by_external_id(ASSOCIATION, "unknown") is None

    async def test_add_if_absent_is_idempotent(self, uow_factory: UowFactory) -> None:
        message = a_message(ASSOCIATION, "conv-1")
        retry = a_message(ASSOCIATION, "conv-1", external_id=message.external_id, body="again")
        async with uow_factory() as uow:
            assert await uow.messages.add_if_absent(message) is True
            assert await uow.messages.add_if_absent(retry) is False
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.messages.add_if_absent(retry) is False
            assert await uow.messages.add_if_absent(message) is False  # same id too
            assert await uow.messages.get_by_external_id(ASSOCIATION, "x") is None
            assert message.external_id is not None
            assert await uow.messages.get_by_external_id(ASSOCIATION, message.external_id) == (
                message
            )

    async def test_add_if_absent_under_concurrency_inserts_once(
        self, uow_factory: UowFactory
    ) -> None:
        external_id = "false_5511@c.us_RACE"

        async def deliver_webhook() -> bool:
            async with uow_factory() as uow:
                inserted = await uow.messages.add_if_absent(
                    a_message(ASSOCIATION, "conv-1", external_id=external_id)
                )
                await asyncio.sleep(0)
                await uow.commit()
                return inserted

        results = await asyncio.gather(*(deliver_webhook() for _ in range(8)))
        assert sorted(results) == [False] * 7 + [True]
        async with uow_factory() as uow:
            listed = await uow.messages.list_for_conversation(
                ASSOCIATION, "conv-1", before=None, limit=50
            )
        assert [message.external_id for message in listed] == [external_id]

    async def test_outbound_messages_awaiting_their_whatsapp_id_oldest_first(
        self, uow_factory: UowFactory
    ) -> None:
        def outbound(second: int, status: MessageStatus, external_id: str | None) -> Message:
            return a_message(
                ASSOCIATION,
                "conv-1",
                direction=Direction.OUT,
                author=Author.BOT,
                status=status,
                external_id=external_id,
                created_at=at(second),
            )

        awaiting = [outbound(2, MessageStatus.SENT, None), outbound(1, MessageStatus.QUEUED, None)]
        async with uow_factory() as uow:
            for message in awaiting:
                await uow.messages.add(message)
            await uow.messages.add(outbound(3, MessageStatus.SENT, "true_x@c.us_KNOWN"))
            await uow.messages.add(outbound(4, MessageStatus.FAILED, None))
            await uow.messages.add(a_message(ASSOCIATION, "conv-1", external_id=None))
            await uow.messages.add(
                a_message(
                    ASSOCIATION,
                    "conv-2",
                    direction=Direction.OUT,
                    external_id=None,
                    status=MessageStatus.QUEUED,
                )
            )
            await uow.commit()
        async with uow_factory() as uow:
            found = await uow.messages.list_awaiting_external_id(ASSOCIATION, "conv-1")
        assert found == [awaiting[1], awaiting[0]]

    async def test_the_next_queued_message_is_the_oldest_outbound_one_still_queued(
        self, uow_factory: UowFactory
    ) -> None:
        def outbound(second: int, status: MessageStatus, conversation: str = "conv-1") -> Message:
            return a_message(
                ASSOCIATION,
                conversation,
                direction=Direction.OUT,
                author=Author.AGENT,
                status=status,
                external_id=None,
                created_at=at(second),
            )

        async with uow_factory() as uow:
            assert await uow.messages.next_queued(ASSOCIATION, "conv-1") is None
            await uow.messages.add(outbound(1, MessageStatus.SENT))
            second, third = outbound(3, MessageStatus.QUEUED), outbound(2, MessageStatus.QUEUED)
            await uow.messages.add(second)
            await uow.messages.add(third)
            await uow.messages.add(outbound(0, MessageStatus.QUEUED, conversation="conv-2"))
            await uow.messages.add(a_message(ASSOCIATION, "conv-1", created_at=at(0)))
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.messages.next_queued(ASSOCIATION, "conv-1") == third

    async def test_listing_is_newest_first_with_before_and_limit(
        self, uow_factory: UowFactory
    ) -> None:
        messages = [a_message(ASSOCIATION, "conv-1", created_at=at(second)) for second in range(5)]
        async with uow_factory() as uow:
            for message in reversed(messages):
                await uow.messages.add(message)
            await uow.messages.add(a_message(ASSOCIATION, "conv-2", created_at=at(2)))
            await uow.messages.add(a_message("other-association", "conv-1", created_at=at(2)))
            await uow.commit()
        async with uow_factory() as uow:
            newest = await uow.messages.list_for_conversation(
                ASSOCIATION, "conv-1", before=None, limit=3
            )
            older = await uow.messages.list_for_conversation(
                ASSOCIATION, "conv-1", before=at(2), limit=10
            )
        assert newest == [messages[4], messages[3], messages[2]]
        assert older == [messages[1], messages[0]]  # strictly older than `before`
