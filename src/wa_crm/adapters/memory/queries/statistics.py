"""The monitoring page's aggregates over the stored messages, the rollups of deleted ones, and
the handoffs."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

from wa_crm.adapters.memory.queries.agent_statistics import AgentStatistics
from wa_crm.adapters.memory.store import InMemoryStore, StoredHandoff
from wa_crm.domain.model.message import Author, Direction, Message
from wa_crm.domain.model.statistics import (
    AnsweredConversations,
    FirstResponse,
    HourlyMessages,
    MessageRollup,
    Satisfaction,
)
from wa_crm.ports.queries import PeriodFigures


class InMemoryStatisticsQueries:
    """The SQL aggregates computed over the committed tables, for tests and demos without a
    database."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def period(self, association_id: str, start: datetime, end: datetime) -> PeriodFigures:
        bounds = (association_id, start, end)
        by_agent, resolution = AgentStatistics(self._store, *bounds).figures()
        return PeriodFigures(
            hourly_messages=self._hourly_messages(*bounds),
            answered_conversations=self._answered_conversations(*bounds),
            handoffs_by_reason=self._handoffs_by_reason(*bounds),
            first_response=self._first_response(*bounds),
            delivery_failures=self._delivery_failures(*bounds),
            conversations_by_label=self._conversations_by_label(*bounds),
            satisfaction=self._satisfaction(*bounds),
            by_agent=by_agent,
            resolution=resolution,
        )

    def _hourly_messages(
        self, association_id: str, start: datetime, end: datetime
    ) -> list[HourlyMessages]:
        inbound: Counter[datetime] = Counter()
        outbound: Counter[datetime] = Counter()
        for message in self._messages(association_id, start, end):
            hour = message.created_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            counts = inbound if message.direction is Direction.IN else outbound
            counts[hour] += 1
        for rollup in self._rollups(association_id, start, end):
            inbound[rollup.hour] += rollup.inbound
            outbound[rollup.hour] += rollup.outbound
        return [
            HourlyMessages(hour, inbound[hour], outbound[hour])
            for hour in sorted(inbound.keys() | outbound.keys())
        ]

    def _answered_conversations(
        self, association_id: str, start: datetime, end: datetime
    ) -> AnsweredConversations:
        by_bot, by_agent = set(), set()
        for message in self._messages(association_id, start, end):
            if message.author is Author.BOT:
                by_bot.add(message.conversation_id)
            elif message.author is Author.AGENT:
                by_agent.add(message.conversation_id)
        for rollup in self._rollups(association_id, start, end):
            if rollup.bot:
                by_bot.add(rollup.conversation_id)
            if rollup.agent:
                by_agent.add(rollup.conversation_id)
        return AnsweredConversations(by_bot_only=len(by_bot - by_agent), by_humans=len(by_agent))

    def _handoffs_by_reason(
        self, association_id: str, start: datetime, end: datetime
    ) -> dict[str, int]:
        return dict(Counter(h.reason for h in self._handoffs(association_id, start, end)))

    def _first_response(self, association_id: str, start: datetime, end: datetime) -> FirstResponse:
        waits, waiting = [], 0
        for handoff in self._handoffs(association_id, start, end):
            if handoff.answered_at is None:
                waiting += 1
            else:
                waits.append((handoff.answered_at - handoff.at).total_seconds())
        median = statistics.median(waits) if waits else None
        return FirstResponse(answered=len(waits), waiting=waiting, median_seconds=median)

    def _delivery_failures(self, association_id: str, start: datetime, end: datetime) -> int:
        live = sum(
            1 for message in self._messages(association_id, start, end) if message.is_dead_letter
        )
        return live + sum(rollup.failed for rollup in self._rollups(association_id, start, end))

    def _conversations_by_label(
        self, association_id: str, start: datetime, end: datetime
    ) -> dict[str, int]:
        return dict(
            Counter(
                label
                for conversation in self._store.tables.conversations.values()
                if conversation.association_id == association_id
                and start <= conversation.created_at < end
                for label in conversation.labels
            )
        )

    def _satisfaction(self, association_id: str, start: datetime, end: datetime) -> Satisfaction:
        ratings = [
            conversation.rating
            for conversation in self._store.tables.conversations.values()
            if conversation.association_id == association_id
            and conversation.rating is not None
            and conversation.rated_at is not None
            and start <= conversation.rated_at < end
        ]
        return Satisfaction(len(ratings), statistics.mean(ratings) if ratings else None)

    def _messages(self, association_id: str, start: datetime, end: datetime) -> Iterator[Message]:
        for message in self._store.tables.messages.values():
            if message.association_id == association_id and start <= message.created_at < end:
                yield message

    def _rollups(
        self, association_id: str, start: datetime, end: datetime
    ) -> Iterator[MessageRollup]:
        for (owner, hour, _), rollup in self._store.tables.message_rollups.items():
            if owner == association_id and start <= hour < end:
                yield rollup

    def _handoffs(
        self, association_id: str, start: datetime, end: datetime
    ) -> Iterator[StoredHandoff]:
        for handoff in self._store.tables.handoffs:
            if handoff.association_id == association_id and start <= handoff.at < end:
                yield handoff
