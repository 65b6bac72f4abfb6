"""The rules of the inbox tools: labels, canned replies, ratings, snooze."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from returns.pipeline import is_successful
from returns.result import Failure, Success

from wa_crm.domain.model.canned_reply import CannedReply, CannedReplyDraft
from wa_crm.domain.model.conversation import (
    MAX_SNOOZE,
    Channel,
    Conversation,
    ConversationStatus,
)
from wa_crm.domain.model.errors import InvalidInput, InvalidTransition
from wa_crm.domain.model.events import ConversationChanged
from wa_crm.domain.model.labels import normalize_labels
from wa_crm.domain.model.satisfaction import RATING_WINDOW, SatisfactionSurvey, parse_rating
from wa_crm.testing.clock import T0


def a_conversation(status: ConversationStatus = ConversationStatus.HUMAN) -> Conversation:
    return Conversation(
        id="c1",
        association_id="a1",
        contact_id="k1",
        channel=Channel.WHATSAPP,
        session="default",
        status=status,
        created_at=T0,
    )


def test_labels_are_lowercased_deduplicated_and_sorted() -> None:
    assert normalize_labels(["  Urgente ", "receita", "URGENTE", "Segunda  via", "pós_venda"]) == (
        Success(("pós_venda", "receita", "segunda via", "urgente"))
    )
    assert normalize_labels([]) == Success(())


@pytest.mark.parametrize(
    "labels",
    [[""], ["   "], ["x" * 33], ["a,b"], ["<b>"], [f"l{n}" for n in range(11)]],
)
def test_bad_labels_are_refused(labels: list[str]) -> None:
    assert isinstance(normalize_labels(labels).failure(), InvalidInput)


def test_setting_the_same_labels_again_changes_nothing() -> None:
    conversation = a_conversation()
    conversation.set_labels(("urgente",))
    [changed] = conversation.collect_facts()
    assert isinstance(changed, ConversationChanged) and changed.conversation.labels == ("urgente",)
    conversation.set_labels(("urgente",))
    assert conversation.collect_facts() == []


def test_a_canned_reply_is_normalized_and_checked() -> None:
    draft = CannedReplyDraft(" Boas-Vindas ", "  Olá {first_name}! Sou {agent_name}. ", " Oi ")
    assert draft.validated() == Success(
        CannedReplyDraft("boas-vindas", "Olá {first_name}! Sou {agent_name}.", "Oi")
    )


@pytest.mark.parametrize(
    ("draft", "words"),
    [
        (CannedReplyDraft("", "x"), "shortcut"),
        (CannedReplyDraft("com espaço", "x"), "shortcut"),
        (CannedReplyDraft("x" * 33, "x"), "shortcut"),
        (CannedReplyDraft("ok", "  "), "empty"),
        (CannedReplyDraft("ok", "x" * 4097), "longer"),
        (CannedReplyDraft("ok", "x", "t" * 81), "title"),
        (CannedReplyDraft("ok", "Olá {nome}"), "unknown placeholder {nome}"),
    ],
)
def test_bad_canned_replies_are_refused(draft: CannedReplyDraft, words: str) -> None:
    result = draft.validated()
    assert isinstance(result, Failure) and words in result.failure().message


def test_rendering_fills_the_placeholders_and_leaves_other_braces() -> None:
    reply = CannedReply("r1", "a1", "oi", "", "Oi {first_name}, {agent_name} aqui. {}", T0, T0)
    assert reply.render({"first_name": "Maria", "agent_name": "Ana"}) == "Oi Maria, Ana aqui. {}"
    assert reply.render({"agent_name": "Ana"}) == "Oi , Ana aqui. {}"


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        *[("5", 5), (" 4! ", 4), ("3 ⭐", 3), ("*1*", 1)],
        *[("nota 5", None), ("10", None), ("4/5", None), ("0", None), ("6", None)],
        *[("", None), ("cinco", None)],
    ],
)
def test_a_rating_is_one_digit_from_1_to_5(text: str, rating: int | None) -> None:
    assert parse_rating(text) == rating


def test_an_enabled_survey_needs_its_question() -> None:
    assert SatisfactionSurvey(enabled=True, question=" ").problems()
    assert not SatisfactionSurvey(enabled=False, question="").problems()


def test_a_rating_is_taken_once_within_the_window_of_a_resolved_conversation() -> None:
    conversation = a_conversation()
    assert isinstance(conversation.rate(5, T0).failure(), InvalidTransition)
    conversation.resolve(T0)
    conversation.ask_rating(T0)
    assert not conversation.awaits_rating(T0 + RATING_WINDOW + timedelta(seconds=1))
    assert isinstance(conversation.rate(6, T0).failure(), InvalidInput)
    assert conversation.rate(4, T0 + timedelta(hours=1)) == Success(None)
    assert (conversation.rating, conversation.rated_at) == (4, T0 + timedelta(hours=1))
    assert isinstance(conversation.rate(5, T0).failure(), InvalidTransition)


def test_snooze_keeps_the_status_and_ends_when_the_contact_writes() -> None:
    conversation = a_conversation()
    assert conversation.snooze(T0 + timedelta(hours=2), T0) == Success(None)
    assert conversation.status is ConversationStatus.HUMAN
    assert conversation.snoozed_until == T0 + timedelta(hours=2)
    assert [type(e) for e in conversation.collect_facts()] == [ConversationChanged]
    conversation.receive("m1", T0 + timedelta(minutes=5))
    assert conversation.snoozed_until is None


@pytest.mark.parametrize(
    "until", [T0, T0 - timedelta(seconds=1), T0 + MAX_SNOOZE + timedelta(seconds=1)]
)
def test_a_snooze_is_in_the_future_and_not_too_long(until: datetime) -> None:
    assert isinstance(a_conversation().snooze(until, T0).failure(), InvalidInput)


def test_resolved_conversations_are_not_snoozed_and_resolving_ends_a_snooze() -> None:
    resolved = a_conversation(ConversationStatus.RESOLVED)
    assert isinstance(resolved.snooze(T0 + timedelta(hours=1), T0).failure(), InvalidTransition)
    conversation = a_conversation()
    conversation.snooze(T0 + timedelta(hours=1), T0)
    conversation.resolve(T0)
    assert conversation.snoozed_until is None
    assert not conversation.wake()
    assert is_successful(a_conversation().snooze(T0 + MAX_SNOOZE, T0))
