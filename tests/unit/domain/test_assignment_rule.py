"""The picking rule of automatic assignment, presence, and routing a conversation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Success

from wa_crm.domain.model.assignment import ONLINE_WINDOW, Presence, Roster
from wa_crm.domain.model.conversation import Channel, Conversation, ConversationStatus
from wa_crm.domain.model.events import ConversationChanged, ConversationRouted

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
S = ConversationStatus


def agents(count: int) -> list[Presence]:
    return [Presence(f"agent-{n}", last_seen_at=NOW) for n in range(count)]


def test_an_agent_is_online_while_seen_recently_and_not_gone() -> None:
    assert Presence("a", last_seen_at=NOW - ONLINE_WINDOW + timedelta(seconds=1)).is_online(NOW)
    assert not Presence("a", last_seen_at=NOW - ONLINE_WINDOW).is_online(NOW)
    assert not Presence("a", last_seen_at=NOW, left_at=NOW).is_online(NOW)
    assert not Presence("a").is_online(NOW)


def test_offline_time_counts_from_when_the_agent_was_last_there() -> None:
    ten = timedelta(minutes=10)
    assert Presence("a").offline_for(ten, NOW)  # never seen
    assert not Presence("a", last_seen_at=NOW).offline_for(timedelta(0), NOW)  # online
    assert Presence("a", last_seen_at=NOW - ten).offline_for(ten, NOW)
    assert not Presence("a", last_seen_at=NOW - ten + timedelta(seconds=1)).offline_for(ten, NOW)
    left = Presence("a", last_seen_at=NOW - timedelta(seconds=5), left_at=NOW - ten)
    assert left.offline_for(ten, NOW)


def test_the_fewest_open_goes_first_then_the_least_recently_assigned() -> None:
    online = [
        Presence("busy", NOW, last_assigned_at=NOW - timedelta(hours=5)),
        Presence("recent", NOW, last_assigned_at=NOW - timedelta(minutes=1)),
        Presence("older", NOW, last_assigned_at=NOW - timedelta(minutes=9)),
        Presence("full", NOW),
    ]
    roster = Roster(online, {"busy": 2, "recent": 1, "older": 1, "full": 3}, limit=3)
    assert roster.capacity == 1 + 2 + 2
    picks = []
    while (agent := roster.pick()) is not None:
        roster.assigned(agent)
        picks.append(agent)
    assert picks == ["older", "recent", "busy", "older", "recent"]
    assert roster.load() == {"busy": 3, "recent": 3, "older": 3, "full": 3}


def test_never_assigned_agents_come_first() -> None:
    online = [Presence("b", NOW, last_assigned_at=NOW), Presence("c", NOW), Presence("a", NOW)]
    roster = Roster(online, {}, limit=5)
    assert roster.pick() == "a"
    roster.assigned("a")
    assert roster.pick() == "c"


@given(
    loads=st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=6),
    ages=st.lists(st.none() | st.integers(min_value=0, max_value=600), min_size=6, max_size=6),
    limit=st.integers(min_value=1, max_value=5),
    picks=st.integers(min_value=0, max_value=40),
)
def test_picks_never_exceed_the_limit_and_always_take_the_least_loaded(
    loads: list[int], ages: list[int | None], limit: int, picks: int
) -> None:
    online = [
        Presence(
            f"agent-{n}",
            NOW,
            last_assigned_at=None if ages[n] is None else NOW - timedelta(seconds=ages[n]),
        )
        for n in range(len(loads))
    ]
    initial = {presence.agent_id: load for presence, load in zip(online, loads, strict=True)}
    roster = Roster(online, initial, limit)
    capacity = roster.capacity
    given_out = 0
    for _ in range(picks):
        load = roster.load()
        agent = roster.pick()
        if agent is None:
            assert all(open_ >= limit for open_ in load.values())
            break
        assert agent in initial, "only online agents are picked"
        assert load[agent] < limit
        assert load[agent] == min(open_ for open_ in load.values() if open_ < limit)
        roster.assigned(agent)
        given_out += 1
    assert given_out == min(picks, capacity)
    assert all(roster.load()[a] <= max(initial[a], limit) for a in initial)


@given(
    count=st.integers(min_value=1, max_value=6),
    rounds=st.integers(min_value=1, max_value=6),
    ages=st.lists(st.none() | st.integers(min_value=0, max_value=600), min_size=6, max_size=6),
)
def test_equally_loaded_agents_take_turns(count: int, rounds: int, ages: list[int | None]) -> None:
    online = [
        Presence(
            f"agent-{n}",
            NOW,
            last_assigned_at=None if ages[n] is None else NOW - timedelta(seconds=ages[n]),
        )
        for n in range(count)
    ]
    roster = Roster(online, {}, limit=100)
    picks = []
    for _ in range(count * rounds):
        agent = roster.pick()
        assert agent is not None
        roster.assigned(agent)
        picks.append(agent)
    first_round = picks[:count]
    assert sorted(first_round) == sorted(p.agent_id for p in online), "everyone once per round"
    assert picks == first_round * rounds, "then the same order again"
    oldest_first = sorted(
        online, key=lambda p: (p.last_assigned_at is not None, p.last_assigned_at or NOW)
    )
    assert first_round[0] == oldest_first[0].agent_id


def waiting() -> Conversation:
    conversation = Conversation.open(
        id="c1",
        association_id="a1",
        contact_id="k1",
        channel=Channel.WHATSAPP,
        session="default",
        at=NOW,
        bot_available=False,
    )
    conversation.collect_facts()
    return conversation


def test_routing_keeps_the_conversation_pending_with_its_agent() -> None:
    conversation = waiting()
    assert conversation.route_to("agent-1") == Success(None)
    assert (conversation.status, conversation.assignee_id, conversation.holder) == (
        S.PENDING,
        "agent-1",
        "agent-1",
    )
    assert [type(e) for e in conversation.collect_facts()] == [
        ConversationChanged,
        ConversationRouted,
    ]
    assert isinstance(conversation.route_to("agent-2"), Failure), "already routed"
    assert conversation.claim("agent-1") == Success(None)
    assert (conversation.status, conversation.assignee_id) == (S.HUMAN, "agent-1")


def test_another_agent_may_still_claim_a_routed_conversation() -> None:
    conversation = waiting()
    conversation.route_to("agent-1")
    assert conversation.claim("agent-2") == Success(None)
    assert (conversation.status, conversation.assignee_id) == (S.HUMAN, "agent-2")


def test_requeue_puts_pending_and_human_conversations_back_unassigned() -> None:
    routed = waiting()
    routed.route_to("agent-1")
    assert routed.requeue() == Success(None)
    assert (routed.status, routed.assignee_id, routed.holder) == (S.PENDING, None, None)

    talking = waiting()
    talking.claim("agent-1")
    talking.collect_facts()
    assert talking.requeue() == Success(None)
    assert (talking.status, talking.assignee_id) == (S.PENDING, None)
    assert [type(e) for e in talking.collect_facts()] == [ConversationChanged]
    assert talking.route_to("agent-2") == Success(None)


def test_only_open_conversations_with_agents_are_requeued_or_held() -> None:
    resolved = waiting()
    resolved.claim("agent-1")
    resolved.resolve(NOW)
    assert resolved.holder is None and resolved.assignee_id == "agent-1"
    assert isinstance(resolved.requeue(), Failure)
    with_bot = Conversation.open(
        id="c2",
        association_id="a1",
        contact_id="k2",
        channel=Channel.WHATSAPP,
        session="default",
        at=NOW,
        bot_available=True,
    )
    assert isinstance(with_bot.requeue(), Failure)
    assert isinstance(with_bot.route_to("agent-1"), Failure)
