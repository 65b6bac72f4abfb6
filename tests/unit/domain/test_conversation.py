from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from returns.result import Failure, Success

from wa_crm.domain.model.conversation import (
    TRANSITIONS,
    Channel,
    Conversation,
    ConversationStatus,
    HandoffNote,
    HandoffReason,
    Trigger,
)
from wa_crm.domain.model.errors import ConversationTaken, InvalidTransition
from wa_crm.domain.model.events import ConversationChanged, ConversationOpened

NOW = datetime(2026, 1, 1, tzinfo=UTC)
S = ConversationStatus

# The table of architecture.md section 2, written out independently of the implementation's table.
ALLOWED = {
    (S.BOT, S.PENDING),
    (S.BOT, S.HUMAN),
    (S.PENDING, S.HUMAN),
    (S.HUMAN, S.BOT),
    (S.BOT, S.RESOLVED),
    (S.PENDING, S.RESOLVED),
    (S.HUMAN, S.RESOLVED),
    # Requeued by automatic assignment when its agent is offline too long.
    (S.PENDING, S.PENDING),
    (S.HUMAN, S.PENDING),
}


def new_conversation(bot_available: bool = True) -> Conversation:
    return Conversation.open(
        id="c1",
        association_id="a1",
        contact_id="k1",
        channel=Channel.WHATSAPP,
        session="default",
        at=NOW,
        bot_available=bot_available,
    )


def test_the_transition_table_is_the_designed_one() -> None:
    assert {(source, target) for (source, _), target in TRANSITIONS.items()} == ALLOWED


def test_a_new_conversation_starts_with_the_bot_or_waits_for_agents() -> None:
    assert new_conversation(bot_available=True).status is S.BOT
    waiting = new_conversation(bot_available=False)
    assert waiting.status is S.PENDING
    assert waiting.handoff_reason is HandoffReason.BOT_DISABLED
    assert [type(fact) for fact in waiting.collect_facts()] == [ConversationOpened]


def test_handoff_leaves_a_note_and_the_bot_stops() -> None:
    conversation = new_conversation()
    note = HandoffNote(HandoffReason.KEYWORD, "Wants to talk to a person.", {"city": "Recife"})
    assert conversation.hand_off(HandoffReason.KEYWORD, note) == Success(None)
    assert conversation.status is S.PENDING
    assert conversation.handoff_note == note
    assert not conversation.bot_may_speak
    assert isinstance(conversation.hand_off(HandoffReason.KEYWORD).failure(), InvalidTransition)


def test_claim_is_idempotent_for_the_holder_and_refused_to_others() -> None:
    conversation = new_conversation()
    assert conversation.claim("agent-1") == Success(None)
    assert (conversation.status, conversation.assignee_id) == (S.HUMAN, "agent-1")
    assert conversation.claim("agent-1") == Success(None)
    assert isinstance(conversation.claim("agent-2").failure(), ConversationTaken)
    assert conversation.assignee_id == "agent-1"


def test_release_returns_to_the_bot_with_a_fresh_turn_count() -> None:
    conversation = new_conversation()
    conversation.count_bot_turn()
    conversation.hand_off(HandoffReason.MAX_TURNS)
    conversation.claim("agent-1")
    assert conversation.release() == Success(None)
    assert (conversation.status, conversation.assignee_id, conversation.bot_turns) == (
        S.BOT,
        None,
        0,
    )


def test_a_resolved_conversation_refuses_new_messages() -> None:
    conversation = new_conversation()
    assert conversation.resolve(NOW) == Success(None)
    assert conversation.resolved_at == NOW
    assert isinstance(conversation.receive("m1", NOW).failure(), InvalidTransition)
    assert isinstance(conversation.claim("agent-1").failure(), InvalidTransition)


def test_phone_takeover_only_from_the_bot() -> None:
    conversation = new_conversation()
    assert conversation.take_over_from_phone() == Success(None)
    assert conversation.status is S.HUMAN and conversation.assignee_id is None
    pending = new_conversation(bot_available=False)
    assert isinstance(pending.take_over_from_phone(), Failure)


def test_facts_carry_the_latest_state_once_per_type() -> None:
    conversation = new_conversation()
    conversation.collect_facts()
    conversation.receive("m1", NOW)
    conversation.receive("m2", NOW + timedelta(seconds=1))
    [changed] = conversation.collect_facts()
    assert isinstance(changed, ConversationChanged)
    assert changed.conversation.unread_count == 2
    assert changed.conversation.last_message_id == "m2"
    conversation.receive("m3", NOW + timedelta(seconds=2))
    assert changed.conversation.unread_count == 2, "a fact keeps the state it was collected with"
    conversation.collect_facts()
    assert conversation.collect_facts() == []


class ConversationMachine(RuleBasedStateMachine):
    """Random sequences of events never reach a state outside the table."""

    def __init__(self) -> None:
        super().__init__()
        self.conversation = new_conversation()
        self.previous = self.conversation.status
        self.clock = NOW

    def _apply(self, outcome: object) -> None:
        current = self.conversation.status
        if isinstance(outcome, Failure):
            assert current is self.previous, "a refused event must not change the status"
        elif current is not self.previous:
            assert (self.previous, current) in ALLOWED
        self.previous = current

    @rule(reason=st.sampled_from(HandoffReason))
    def hand_off(self, reason: HandoffReason) -> None:
        self._apply(self.conversation.hand_off(reason))

    @rule(agent=st.sampled_from(["a1", "a2"]))
    def claim(self, agent: str) -> None:
        self._apply(self.conversation.claim(agent))

    @rule(agent=st.sampled_from(["a1", "a2"]))
    def reply(self, agent: str) -> None:
        self._apply(self.conversation.reply_by_agent(agent))

    @rule(agent=st.sampled_from(["a1", "a2"]))
    def assign(self, agent: str) -> None:
        self._apply(self.conversation.assign(agent))

    @rule(agent=st.sampled_from(["a1", "a2"]))
    def route(self, agent: str) -> None:
        self._apply(self.conversation.route_to(agent))

    @rule()
    def requeue(self) -> None:
        self._apply(self.conversation.requeue())

    @rule()
    def phone(self) -> None:
        self._apply(self.conversation.take_over_from_phone())

    @rule()
    def release(self) -> None:
        self._apply(self.conversation.release())

    @rule()
    def resolve(self) -> None:
        self._apply(self.conversation.resolve(self.clock))

    @rule()
    def receive(self) -> None:
        self.clock += timedelta(seconds=1)
        self._apply(self.conversation.receive(f"m{self.clock.timestamp()}", self.clock))

    @invariant()
    def status_is_known_and_consistent(self) -> None:
        conversation = self.conversation
        assert conversation.status in set(S)
        if conversation.status is S.BOT:
            assert conversation.assignee_id is None
        assert (conversation.resolved_at is not None) == (conversation.status is S.RESOLVED)


TestConversationMachine = ConversationMachine.TestCase


@pytest.mark.parametrize("trigger", list(Trigger))
def test_every_trigger_from_resolved_is_refused(trigger: Trigger) -> None:
    assert (S.RESOLVED, trigger) not in TRANSITIONS


def test_late_once_while_waiting_until_an_agent_answers_or_it_leaves_the_agents() -> None:
    conversation = new_conversation()
    assert not conversation.mark_late(NOW)  # with the bot: no agent was asked yet
    conversation.hand_off(HandoffReason.KEYWORD)
    conversation.collect_facts()
    assert conversation.mark_late(NOW)
    assert [type(fact) for fact in conversation.collect_facts()] == [ConversationChanged]
    assert not conversation.mark_late(NOW + timedelta(minutes=1))
    assert conversation.snapshot()["sla_breached_at"] == NOW.isoformat()
    conversation.claim("agent-1")  # taken, not answered: still late
    assert conversation.snapshot()["sla_breached"] is True
    conversation.answered_by_agent()
    assert conversation.sla_breached_at is None
    assert conversation.snapshot()["sla_breached"] is False

    waiting = new_conversation(bot_available=False)
    waiting.mark_late(NOW)
    waiting.resolve(NOW)
    assert waiting.sla_breached_at is None
