"""How the inbox reads a search text, shows the message found and a last message, and how a
conversation keeps since when its contact waits and what it follows (issue 18)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Success

from wa_crm.domain.model.conversation import Channel, Conversation, ConversationStatus
from wa_crm.domain.model.inbox_search import (
    MATCH_PREVIEW_CHARS,
    InboxSearch,
    match_preview,
    message_terms,
    name_key,
    phone_key,
)
from wa_crm.domain.model.message import Author, Direction, Message, MessageStatus, MessageType
from wa_crm.domain.model.message_preview import PREVIEW_CHARS, LastMessage, one_line

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _search(text: str) -> InboxSearch:
    search = InboxSearch.parse(text)
    assert search is not None
    return search


def _message(body: str, **fields: object) -> Message:
    values: dict[str, object] = {
        "id": "m1",
        "association_id": "a",
        "conversation_id": "c",
        "direction": Direction.IN,
        "author": Author.CONTACT,
        "type": MessageType.TEXT,
        "body": body,
        "status": MessageStatus.RECEIVED,
        "created_at": T0,
    }
    return Message(**(values | fields))  # type: ignore[arg-type]


def test_names_are_compared_without_case_accents_or_extra_spaces() -> None:
    assert name_key("  João   DA Conceição ") == "joao da conceicao"
    search = _search("joao conceição")
    assert search.name_matches(name_key("João da Conceição"))
    assert not search.name_matches(name_key("Conceição João"))  # the words in order
    assert InboxSearch.parse("   ") is None


@pytest.mark.parametrize(
    "text", ["+55 (11) 98765-4321", "11 98765 4321", "987654321", "98765-4321", "5511.9876"]
)
def test_a_phone_in_any_common_spelling_is_its_digits(text: str) -> None:
    search = _search(text)
    assert search.phone_matches(phone_key("+5511987654321"))
    assert not search.phone_matches(phone_key("+5521912345678"))


@pytest.mark.parametrize("text", ["123", "maria 1234", "12a4567"])
def test_a_text_that_is_not_a_phone_of_four_digits_or_more_is_no_phone(text: str) -> None:
    assert _search(text).phone_digits is None


def test_message_words_all_match_the_last_as_a_prefix() -> None:
    terms = message_terms(_message("Quando chega a ENTREGA do Óleo?", transcript="e o frete"))
    assert _search("entregas oleo").terms_match(terms)
    assert _search("Óleo entreg").terms_match(terms)  # still typing "entrega"
    assert _search("frete").terms_match(terms)  # a voice note's transcript
    assert not _search("entrega receita").terms_match(terms)
    assert not _search("de a o").terms_match(terms)  # only stopwords: nothing to look for


def test_the_preview_of_a_match_is_one_line_around_its_first_matching_word() -> None:
    short = "Quando chega\n\na entrega?"
    assert match_preview(short, _search("entrega")) == "Quando chega a entrega?"
    text = " ".join(["palavra"] * 40) + " a ENTREGAS do óleo " + " ".join(["fim"] * 40)
    preview = match_preview(text, _search("entrega"))
    assert len(preview) <= MATCH_PREVIEW_CHARS
    assert preview.startswith("…") and preview.endswith("…") and "ENTREGAS do óleo" in preview
    at_start = match_preview(text, _search("palavra"))
    assert at_start.startswith("palavra") and at_start.endswith("…")


@given(st.text(min_size=0, max_size=600), st.sampled_from(["entrega", "x", "joão", "12345"]))
def test_a_preview_is_always_one_line_within_its_limit(text: str, query: str) -> None:
    preview = match_preview(text, _search(query))
    assert len(preview) <= MATCH_PREVIEW_CHARS and "\n" not in preview
    line = one_line(text, PREVIEW_CHARS)
    assert len(line) <= PREVIEW_CHARS and "\n" not in line


def test_a_last_message_is_who_wrote_its_type_and_one_line() -> None:
    by_agent = _message("Olá!\n\n  Tudo   bem?", author=Author.AGENT, agent_id="ag")
    assert LastMessage.of(by_agent, "Ana").snapshot() == {
        "id": "m1",
        "author": "agent",
        "agent_id": "ag",
        "author_name": "Ana",
        "type": "text",
        "preview": "Olá! Tudo bem?",
        "at": T0.isoformat(),
    }
    document = _message("", type=MessageType.DOCUMENT)
    assert (
        LastMessage.of(document, "Ana").preview,
        LastMessage.of(document, None).author_name,
    ) == (
        "",
        None,
    )
    long = LastMessage.of(_message("palavra " * 40), None).preview
    assert len(long) <= PREVIEW_CHARS and long.endswith("…")


def _conversation(**fields: object) -> Conversation:
    return Conversation.open(
        id="c2",
        association_id="a",
        contact_id="contact",
        channel=Channel.WHATSAPP,
        session="default",
        at=T0,
        bot_available=True,
        **fields,  # type: ignore[arg-type]
    )


def test_a_contact_waits_from_their_first_unanswered_message_until_answered() -> None:
    conversation = _conversation()
    assert conversation.waiting_since is None
    conversation.receive("m1", T0)
    conversation.receive("m2", T0 + timedelta(minutes=1))
    assert conversation.waiting_since == T0
    conversation.record_outbound("m3", T0 + timedelta(minutes=2), Author.SYSTEM)
    assert conversation.waiting_since == T0  # a transition message answers nobody
    conversation.record_outbound("m4", T0 + timedelta(minutes=3), Author.BOT)
    assert conversation.waiting_since is None
    conversation.receive("m5", T0 + timedelta(minutes=4))
    assert conversation.snapshot()["waiting_since"] == (T0 + timedelta(minutes=4)).isoformat()
    assert isinstance(conversation.resolve(T0 + timedelta(minutes=5)), Success)
    assert conversation.waiting_since is None


def test_after_a_resolved_conversation_the_next_one_carries_its_labels_and_names_it() -> None:
    previous = _conversation()
    previous.set_labels(("receita",))
    still_open = _conversation(previous=previous)
    assert (still_open.labels, still_open.previous_conversation_id) == ((), None)
    assert isinstance(previous.resolve(T0), Success)
    following = _conversation(previous=previous)
    assert (following.labels, following.previous_conversation_id) == (("receita",), previous.id)
    assert following.status is ConversationStatus.BOT
    assert following.snapshot()["previous_conversation_id"] == previous.id
