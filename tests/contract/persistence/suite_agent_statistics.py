"""The reports' aggregates: each agent's figures and the resolution time, over local days.

São Paulo is UTC-3: its 2 and 3 March run from 03:00 UTC on the 2nd (``L``) to 03:00 UTC on
the 4th, while the same UTC days run from 00:00 UTC on the 2nd to 00:00 UTC on the 4th. The
history below has a conversation across São Paulo's midnight and one resolved on the evening of
the 3rd in São Paulo (the 4th in UTC), so both periods' figures differ, each computed by hand.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from wa_crm.domain.model.association import Locale
from wa_crm.domain.model.conversation import ConversationStatus
from wa_crm.domain.model.message import Author, Direction, Message, MessageStatus
from wa_crm.domain.model.statistics import AgentFigures, Resolution, Statistics
from wa_crm.domain.usecases.monitoring.statistics import ComputeStatistics, StatisticsRequest
from wa_crm.ports.queries import Queries
from wa_crm.testing.clock import FakeClock

from .base import PersistenceContract, UowFactory
from .builders import a_conversation, a_message, an_agent, an_association

A, OTHER = "assoc-reports", "assoc-reports-other"
L = datetime(2026, 3, 2, 3, tzinfo=UTC)
"""Midnight of 2 March in São Paulo."""
MIN, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
ANA, BIA, CAIO, DUDA = "agent-ana", "agent-bia", "agent-caio", "agent-duda"


def agent_message(conversation_id: str, agent_id: str, at: datetime) -> Message:
    return a_message(
        A,
        conversation_id,
        direction=Direction.OUT,
        author=Author.AGENT,
        agent_id=agent_id,
        status=MessageStatus.SENT,
        created_at=at,
    )


class AgentStatisticsContract(PersistenceContract):
    async def _team(self, uow_factory: UowFactory) -> None:
        """Ana, Bia and Caio; Duda, disabled and idle; Eva of another association."""
        async with uow_factory() as uow:
            await uow.associations.add(an_association(id=A))
            await uow.associations.add(an_association(id=OTHER))
            for agent_id, name in ((BIA, "Bia"), (ANA, "ana"), (CAIO, "Caio"), (DUDA, "Duda")):
                disabled = L - DAY if agent_id == DUDA else None
                await uow.agents.add(an_agent(A, id=agent_id, name=name, disabled_at=disabled))
            await uow.agents.add(an_agent(OTHER, id="agent-eva", name="Eva"))
            await uow.commit()

    async def _resolved(
        self,
        uow_factory: UowFactory,
        conversation_id: str,
        created: datetime,
        resolved: datetime | None,
        assignee: str | None,
        rating: tuple[int, datetime] | None = None,
        association_id: str = A,
    ) -> None:
        conversation = a_conversation(
            association_id,
            f"contact-{conversation_id}",
            id=conversation_id,
            created_at=created,
            status=ConversationStatus.RESOLVED if resolved else ConversationStatus.HUMAN,
            resolved_at=resolved,
            assignee_id=assignee,
            rating=rating[0] if rating else None,
            rated_at=rating[1] if rating else None,
        )
        async with uow_factory() as uow:
            await uow.conversations.add(conversation)
            await uow.commit()

    async def _history(self, uow_factory: UowFactory) -> None:
        await self._team(uow_factory)
        # 1 (Ana): across São Paulo's midnight, handed off at 23:30 on 1 March there, answered
        # 2 min later, resolved at 00:10 on the 2nd (40 min after the handoff), rated 5.
        await self._resolved(uow_factory, "c1", L - 40 * MIN, L + 10 * MIN, ANA, (5, L + 20 * MIN))
        # 2: handed off, answered by Bia after 60 s; Ana writes, holds and resolves it 1 h after
        # the handoff; rated 3.
        await self._resolved(uow_factory, "c2", L + HOUR, L + 2 * HOUR, ANA, (3, L + 2 * HOUR))
        # 3 (Bia): taken from the bot without a handoff at 00:00 on the 3rd in São Paulo, resolved
        # 22 h after its creation: 22:00 on the 3rd there, 01:00 on the 4th in UTC.
        await self._resolved(uow_factory, "c3", L + DAY, L + 2 * DAY - 2 * HOUR, BIA)
        # 4: handed off, answered by Bia after 300 s, still open.
        await self._resolved(uow_factory, "c4", L + 3 * HOUR, None, BIA)
        # 5: the bot's only, closed for inactivity: nobody's resolution.
        await self._resolved(uow_factory, "c5", L + 4 * HOUR, L + 5 * HOUR, None)
        # 6: handed off and resolved 600 s later while nobody held it.
        await self._resolved(uow_factory, "c6", L + 6 * HOUR, L + 6 * HOUR + 10 * MIN, None)
        # Elsewhere: Eva's conversation, rated.
        await self._resolved(
            uow_factory, "c9", L, L + HOUR, "agent-eva", (1, L + HOUR), association_id=OTHER
        )
        async with uow_factory() as uow:
            for stored in (
                agent_message("c1", ANA, L - 28 * MIN),
                agent_message("c2", BIA, L + HOUR + timedelta(seconds=60)),
                agent_message("c2", ANA, L + HOUR + 5 * MIN),
                agent_message("c3", BIA, L + DAY + timedelta(seconds=30)),
                agent_message("c4", BIA, L + 3 * HOUR + 5 * MIN),
                a_message(A, "c5", direction=Direction.OUT, author=Author.BOT, created_at=L),
            ):
                await uow.messages.add(stored)
            await uow.handoffs.record(A, "c1", "keyword", L - 30 * MIN)
            await uow.handoffs.mark_answered("c1", L - 28 * MIN)
            await uow.handoffs.record(A, "c2", "keyword", L + HOUR)
            await uow.handoffs.record(A, "c2", "max_turns", L + HOUR + 30 * MIN)  # not the first
            await uow.handoffs.record(A, "c4", "keyword", L + 3 * HOUR)
            await uow.handoffs.mark_answered("c4", L + 3 * HOUR + 5 * MIN)
            await uow.handoffs.record(A, "c6", "keyword", L + 6 * HOUR)
            await uow.commit()
        async with uow_factory() as uow:  # Bia answered c2 before its second handoff
            await uow.handoffs.mark_answered("c2", L + HOUR + timedelta(seconds=60))
            await uow.commit()

    async def _compute(
        self, queries: Queries, timezone: str | None, last_day: date = date(2026, 3, 3)
    ) -> Statistics:
        association = replace(an_association(id=A), locale=Locale.PT_BR)
        request = StatisticsRequest(association, date(2026, 3, 2), last_day, timezone)
        return (await ComputeStatistics(queries.statistics, FakeClock())(request)).unwrap()

    async def test_agents_and_resolution_over_sao_paulo_days_by_default(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        await self._history(uow_factory)
        stats = await self._compute(queries, None)  # pt-BR without business hours: São Paulo
        assert stats.timezone == "America/Sao_Paulo"
        assert stats.by_agent == (
            # c1 and c2 resolved; only c2's message is in the period; c1's handoff is not.
            AgentFigures(ANA, "ana", 2, None, 3000.0, 4.0, 2, 1),
            # c2, c3 and c4 written in; answered c2 and c4 (60 and 300 s); resolved c3 (22 h).
            AgentFigures(BIA, "Bia", 3, 180.0, 79200.0, None, 0, 3),
            AgentFigures(CAIO, "Caio"),
        )
        # c6 600 s, c1 2,400 s, c2 3,600 s, c3 79,200 s: c5 was nobody's.
        assert stats.resolution == Resolution(
            resolved=4, median_seconds=3000.0, p90_seconds=79200.0
        )

    async def test_the_same_days_in_utc(self, uow_factory: UowFactory, queries: Queries) -> None:
        await self._history(uow_factory)
        stats = await self._compute(queries, "UTC")
        assert stats.by_agent == (
            # c1's handoff (answered in 120 s) and message are on 2 March in UTC.
            AgentFigures(ANA, "ana", 2, 120.0, 3000.0, 4.0, 2, 2),
            # c3 is resolved on the 4th in UTC.
            AgentFigures(BIA, "Bia", 3, 180.0, None, None, 0, 3),
            AgentFigures(CAIO, "Caio"),
        )
        assert stats.resolution == Resolution(resolved=3, median_seconds=2400.0, p90_seconds=3600.0)

    async def test_a_disabled_agent_with_figures_stays_and_others_see_only_theirs(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        await self._history(uow_factory)
        async with uow_factory() as uow:
            await uow.messages.add(agent_message("c4", DUDA, L + 3 * HOUR + 6 * MIN))
            await uow.commit()
        stats = await self._compute(queries, None)
        assert [one.agent_id for one in stats.by_agent] == [ANA, BIA, CAIO, DUDA]
        assert stats.by_agent[3] == AgentFigures(DUDA, "Duda", handled=1, messages_sent=1)
        other = await queries.statistics.period(OTHER, L - DAY, L + DAY)
        assert list(other.by_agent) == [
            AgentFigures("agent-eva", "Eva", 1, None, 3600.0, 1.0, 1, 0)
        ]

    async def test_resolution_median_and_90th_percentile_by_nearest_rank(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        await self._team(uow_factory)
        for minutes in (7, 1, 11, 3, 9, 5, 2, 10, 4, 8, 6):  # eleven, shuffled
            resolved = L + minutes * MIN + timedelta(milliseconds=250)
            await self._resolved(uow_factory, f"r{minutes}", L, resolved, CAIO)
        figures = await queries.statistics.period(A, L, L + DAY)
        # The median is the 6th; 90% of 11 is 9.9, so the 10th.
        assert figures.resolution == Resolution(11, 360.25, 600.25)
        [caio] = [one for one in figures.by_agent if one.agent_id == CAIO]
        assert (caio.handled, caio.resolution_median_seconds) == (11, 360.25)
        one = await queries.statistics.period(A, L + 11 * MIN, L + DAY)
        assert one.resolution == Resolution(1, 660.25, 660.25)
        none = await queries.statistics.period(A, L + DAY, L + 2 * DAY)
        assert none.resolution == Resolution() and none.by_agent[0] == AgentFigures(ANA, "ana")
