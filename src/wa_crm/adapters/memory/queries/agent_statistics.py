"""The reports' per-agent figures and the resolution time over the committed in-memory tables:
the SQL adapter's definitions (``adapters/sql/queries/agent_statistics``) in plain Python."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from wa_crm.adapters.memory.store import InMemoryStore
from wa_crm.domain.model.conversation import Conversation
from wa_crm.domain.model.message import Author
from wa_crm.domain.model.statistics import AgentFigures, Resolution


def _p90(values: Sequence[float]) -> float:
    """Nearest rank: the smallest value that at least 90% of them do not exceed."""
    return sorted(values)[math.ceil(len(values) * 9 / 10) - 1]


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


class AgentStatistics:
    def __init__(self, store: InMemoryStore, association_id: str, start: datetime, end: datetime):
        self._tables = store.tables
        self._association_id = association_id
        self._start, self._end = start, end

    def _in_period(self, moment: datetime | None) -> bool:
        return moment is not None and self._start <= moment < self._end

    def _conversations(self) -> list[Conversation]:
        return [
            c
            for c in self._tables.conversations.values()
            if c.association_id == self._association_id
        ]

    def figures(self) -> tuple[list[AgentFigures], Resolution]:
        sent: dict[str, int] = defaultdict(int)
        handled: dict[str, set[str]] = defaultdict(set)
        for message in self._tables.messages.values():
            if (
                message.association_id == self._association_id
                and message.author is Author.AGENT
                and message.agent_id is not None
                and self._in_period(message.created_at)
            ):
                sent[message.agent_id] += 1
                handled[message.agent_id].add(message.conversation_id)
        resolved = [c for c in self._conversations() if self._in_period(c.resolved_at)]
        for conversation in resolved:
            if conversation.assignee_id is not None:
                handled[conversation.assignee_id].add(conversation.id)
        ratings: dict[str, list[int]] = defaultdict(list)
        for conversation in self._conversations():
            if (
                conversation.assignee_id is not None
                and conversation.rating is not None
                and self._in_period(conversation.rated_at)
            ):
                ratings[conversation.assignee_id].append(conversation.rating)
        first_waits = self._first_response_waits()
        times = self._resolution_times(resolved)
        resolution_waits: dict[str, list[float]] = defaultdict(list)
        for agent_id, seconds in times:
            if agent_id is not None:
                resolution_waits[agent_id].append(seconds)
        figures = []
        for agent in self._tables.agents.values():
            if agent.association_id != self._association_id:
                continue
            rated = ratings.get(agent.id, [])
            one = AgentFigures(
                agent_id=agent.id,
                name=agent.name,
                handled=len(handled.get(agent.id, ())),
                first_response_median_seconds=_median(first_waits.get(agent.id, [])),
                resolution_median_seconds=_median(resolution_waits.get(agent.id, [])),
                csat_average=statistics.mean(rated) if rated else None,
                csat_count=len(rated),
                messages_sent=sent.get(agent.id, 0),
            )
            if agent.disabled_at is None or one != AgentFigures(agent.id, agent.name):
                figures.append(one)
        figures.sort(key=lambda one: (one.name.casefold(), one.agent_id))
        all_times = [seconds for _, seconds in times]
        resolution = Resolution(
            resolved=len(all_times),
            median_seconds=_median(all_times),
            p90_seconds=_p90(all_times) if all_times else None,
        )
        return figures, resolution

    def _first_response_waits(self) -> dict[str, list[float]]:
        """The period's answered handoffs by the agent whose message answered them."""
        answers: dict[tuple[str, datetime], set[str]] = defaultdict(set)
        for message in self._tables.messages.values():
            if (
                message.association_id == self._association_id
                and message.author is Author.AGENT
                and message.agent_id is not None
            ):
                answers[message.conversation_id, message.created_at].add(message.agent_id)
        waits: dict[str, list[float]] = defaultdict(list)
        for handoff in self._tables.handoffs:
            if (
                handoff.association_id != self._association_id
                or not self._in_period(handoff.at)
                or handoff.answered_at is None
            ):
                continue
            seconds = (handoff.answered_at - handoff.at).total_seconds()
            for agent_id in answers.get((handoff.conversation_id, handoff.answered_at), ()):
                waits[agent_id].append(seconds)
        return waits

    def _resolution_times(self, resolved: list[Conversation]) -> list[tuple[str | None, float]]:
        first_handoff: dict[str, datetime] = {}
        for handoff in self._tables.handoffs:
            if handoff.association_id == self._association_id:
                known = first_handoff.get(handoff.conversation_id)
                if known is None or handoff.at < known:
                    first_handoff[handoff.conversation_id] = handoff.at
        times = []
        for conversation in resolved:
            handed_off = first_handoff.get(conversation.id)
            if conversation.resolved_at is None or (
                conversation.assignee_id is None and handed_off is None
            ):
                continue
            began = handed_off or conversation.created_at
            times.append(
                (conversation.assignee_id, (conversation.resolved_at - began).total_seconds())
            )
        return times
