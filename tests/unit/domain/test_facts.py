"""The facts aggregates raise: what happened, once, with the state at collection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wa_crm.domain.model.conversation import (
    Channel,
    Conversation,
    ConversationStatus,
    HandoffNote,
    HandoffReason,
)
from wa_crm.domain.model.events import (
    ContactConsentChanged,
    ConversationChanged,
    ConversationOpened,
    FactLog,
    HandedOff,
    MessageAdded,
    MessageChanged,
    NoteAdded,
    SnoozeEnded,
)
from wa_crm.domain.model.message import (
    Author,
    Direction,
    Media,
    Message,
    MessageStatus,
    MessageType,
    Reaction,
)
from wa_crm.domain.model.note import Note

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def a_conversation() -> Conversation:
    conversation = Conversation.open(
        id="c1",
        association_id="a",
        contact_id="k1",
        channel=Channel.WHATSAPP,
        session="default",
        at=T0,
        bot_available=True,
    )
    conversation.collect_facts()
    return conversation


def a_message(status: MessageStatus = MessageStatus.QUEUED) -> Message:
    return Message("m1", "a", "c1", Direction.OUT, Author.BOT, MessageType.TEXT, "Olá", status, T0)


def test_opening_raises_conversation_opened_with_its_state() -> None:
    conversation = Conversation.open(
        id="c1",
        association_id="a",
        contact_id="k1",
        channel=Channel.WHATSAPP,
        session="default",
        at=T0,
        bot_available=False,
    )
    [opened] = conversation.collect_facts()
    assert opened == ConversationOpened("a", conversation)
    assert conversation.collect_facts() == []


def test_a_handoff_raises_the_change_then_handed_off_with_the_note_summary() -> None:
    conversation = a_conversation()
    note = HandoffNote(HandoffReason.KEYWORD, "Quer falar com alguém", {})
    conversation.hand_off(HandoffReason.KEYWORD, note)
    changed, handed_off = conversation.collect_facts()
    assert isinstance(changed, ConversationChanged)
    assert changed.conversation.status is ConversationStatus.PENDING
    assert handed_off == HandedOff("a", "c1", HandoffReason.KEYWORD, "Quer falar com alguém")


def test_a_refused_transition_raises_nothing() -> None:
    conversation = a_conversation()
    conversation.resolve(T0)
    conversation.collect_facts()
    assert conversation.hand_off(HandoffReason.KEYWORD).failure()
    assert conversation.collect_facts() == []


def test_only_a_snooze_that_runs_out_tells_the_assignee() -> None:
    conversation = a_conversation()
    conversation.snooze(T0 + timedelta(hours=1), T0)
    conversation.wake()
    assert [type(fact) for fact in conversation.collect_facts()] == [ConversationChanged]
    conversation.snooze(T0 + timedelta(hours=1), T0)
    conversation.collect_facts()
    conversation.end_snooze()
    assert [type(fact) for fact in conversation.collect_facts()] == [
        ConversationChanged,
        SnoozeEnded,
    ]
    conversation.end_snooze()
    assert conversation.collect_facts() == [], "no snooze, nothing ended"


def test_the_contacts_choice_takes_the_place_of_a_pending_change() -> None:
    conversation = a_conversation()
    conversation.record_outbound("m9", T0)
    conversation.show_consent(contact_opted_out=True)
    [consent] = conversation.collect_facts()
    assert isinstance(consent, ContactConsentChanged) and consent.contact_opted_out
    assert consent.conversation.last_message_id == "m9"


def test_a_stored_message_is_added_once_then_changes_are_told_once_per_collection() -> None:
    message = a_message()
    log = FactLog()
    log.take_added(message)
    message.begin_sending(T0, "true_x_1")
    log.take_from(message)  # a send beginning is not shown to agents
    message.advance(MessageStatus.SENT)
    message.advance(MessageStatus.DELIVERED)
    log.take_from(message)
    log.committed()
    added, changed = log.take_committed()
    assert isinstance(added, MessageAdded) and added.message.status is MessageStatus.QUEUED
    assert isinstance(changed, MessageChanged) and changed.message.status is MessageStatus.DELIVERED
    assert changed.reactions is None


def test_message_changes_agents_see_raise_message_changed() -> None:
    changes = [
        lambda m: m.revoke(),
        lambda m: m.edit("Olá!"),
        lambda m: m.match_echo("true_x_2"),
        lambda m: m.store_media(Media("a/m1", "image/png", stored=True)),
    ]
    for change in changes:
        message = a_message(MessageStatus.SENT)
        change(message)
        assert [type(fact) for fact in message.collect_facts()] == [MessageChanged]
    unchanged = a_message(MessageStatus.READ)
    assert not unchanged.advance(MessageStatus.DELIVERED)
    assert unchanged.collect_facts() == []


def test_reactions_are_told_with_the_message() -> None:
    message = a_message(MessageStatus.SENT)
    reaction = Reaction("👍", False, T0)
    message.show_reactions((reaction,))
    [changed] = message.collect_facts()
    assert changed == MessageChanged("a", message, (reaction,))


def test_a_written_note_raises_note_added_with_its_author() -> None:
    note = Note.write(
        id="n1",
        association_id="a",
        conversation_id="c1",
        agent_id="agent-1",
        author_name="Ana",
        text="ligar amanhã",
        at=T0,
    )
    assert note.collect_facts() == [NoteAdded("a", note, "Ana")]
    assert note.collect_facts() == []


def test_what_was_stored_and_rolled_back_is_forgotten() -> None:
    log = FactLog()
    log.take_added(a_message())
    log.rolled_back()
    log.committed()
    assert log.take_committed() == []
