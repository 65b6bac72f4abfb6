"""Statistics aggregates (``start <= t < end``, one association), handoffs and alerts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from wa_crm.domain.model.message import (
    OPTED_OUT,
    SUPERSEDED,
    Author,
    Direction,
    Message,
    MessageStatus,
)
from wa_crm.domain.model.statistics import (
    Alert,
    AnsweredConversations,
    DailyMessages,
    FirstResponse,
    HourlyMessages,
    Statistics,
)
from wa_crm.domain.usecases.monitoring.statistics import ComputeStatistics, StatisticsRequest
from wa_crm.ports.queries import Queries
from wa_crm.testing.clock import FakeClock

from .base import UowFactory
from .builders import SAO_PAULO, a_message, an_association
from .suite_agent_statistics import AgentStatisticsContract

A, OTHER = "assoc-stats", "assoc-stats-other"
START = datetime(2026, 3, 2, tzinfo=UTC)
END = START + timedelta(hours=3)
DAY = timedelta(days=1)
TICK = timedelta(microseconds=1)


def minutes(n: float) -> datetime:
    return START + timedelta(minutes=n)


def message(
    conversation_id: str,
    author: Author,
    at: datetime,
    status: MessageStatus | None = None,
    association_id: str = A,
) -> Message:
    inbound = author is Author.CONTACT
    return a_message(
        association_id,
        conversation_id,
        direction=Direction.IN if inbound else Direction.OUT,
        author=author,
        status=status or (MessageStatus.RECEIVED if inbound else MessageStatus.SENT),
        created_at=at,
    )


class StatisticsContract(AgentStatisticsContract):
    async def _store(self, uow_factory: UowFactory, *messages: Message) -> None:
        async with uow_factory() as uow:
            for stored in messages:
                await uow.messages.add(stored)
            await uow.commit()

    async def _handoffs(
        self, uow_factory: UowFactory, *handoffs: tuple[str, datetime, datetime | None]
    ) -> None:
        """(conversation, handed off at, answered at): one conversation per handoff here."""
        async with uow_factory() as uow:
            for number, (conversation_id, at, answered_at) in enumerate(handoffs):
                reason = ("keyword", "max_turns")[number % 2]
                await uow.handoffs.record(A, conversation_id, reason, at)
                if answered_at is not None:
                    await uow.handoffs.mark_answered(conversation_id, answered_at)
            await uow.commit()

    async def test_messages_by_utc_hour_only_hours_with_some(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        await self._store(
            uow_factory,
            message("c1", Author.CONTACT, START),
            message("c1", Author.BOT, minutes(10)),
            message("c1", Author.SYSTEM, minutes(20), MessageStatus.FAILED),
            message("c2", Author.AGENT, minutes(150).astimezone(SAO_PAULO)),
            message("c2", Author.CONTACT, END - TICK),
            message("c2", Author.CONTACT, END),
            message("c2", Author.CONTACT, START - TICK),
            message("c9", Author.CONTACT, minutes(5), association_id=OTHER),
        )
        hours = (await queries.statistics.period(A, START, END)).hourly_messages
        assert list(hours) == [
            HourlyMessages(START, inbound=1, outbound=2),
            HourlyMessages(START + timedelta(hours=2), inbound=1, outbound=1),
        ]
        assert {hour.hour.utcoffset() for hour in hours} == {timedelta()}  # aware UTC

    async def test_answered_conversations_count_bot_and_agent_messages_in_the_period(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        await self._store(
            uow_factory,
            message("bot-only", Author.CONTACT, minutes(1)),
            message("bot-only", Author.BOT, minutes(2)),
            message("bot-only", Author.BOT, minutes(3)),
            message("bot-then-agent", Author.BOT, minutes(4)),
            message("bot-then-agent", Author.AGENT, minutes(5)),
            message("agent-only", Author.AGENT, START),
            message("unanswered", Author.CONTACT, minutes(6)),
            message("unanswered", Author.SYSTEM, minutes(7)),
            message("agent-before", Author.AGENT, START - TICK),
            message("agent-before", Author.BOT, minutes(8)),
            message("agent-at-end", Author.BOT, minutes(9)),
            message("agent-at-end", Author.AGENT, END),
            message("elsewhere", Author.AGENT, minutes(10), association_id=OTHER),
        )
        answered = (await queries.statistics.period(A, START, END)).answered_conversations
        nothing = (
            await queries.statistics.period(A, END, END + timedelta(hours=1))
        ).answered_conversations
        assert answered == AnsweredConversations(by_bot_only=3, by_humans=2)
        assert nothing == AnsweredConversations(by_bot_only=0, by_humans=1)

    async def test_handoffs_by_reason_in_the_period(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        await self._handoffs(
            uow_factory,
            ("h1", START, None),
            ("h2", minutes(1), None),
            ("h3", minutes(2), minutes(3)),
            ("h4", END, None),
            ("h5", START - TICK, None),
        )
        async with uow_factory() as uow:
            await uow.handoffs.record(OTHER, "h9", "keyword", minutes(4))
            await uow.commit()
        assert (await queries.statistics.period(A, START, END)).handoffs_by_reason == {
            "keyword": 2,
            "max_turns": 1,
        }
        assert (
            await queries.statistics.period(A, END + TICK, END + TICK * 2)
        ).handoffs_by_reason == {}

    async def test_first_response_median_of_an_odd_count(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        await self._handoffs(
            uow_factory,
            ("h1", START, START + timedelta(seconds=10)),
            ("h2", minutes(1), minutes(1) + timedelta(seconds=30.25)),
            ("h3", minutes(3), None),
            ("h4", END - TICK, END + timedelta(hours=5)),  # answered after the period: counts
            ("h5", END, END + timedelta(seconds=1)),
            ("h6", START - TICK, START),
        )
        first_response = (await queries.statistics.period(A, START, END)).first_response
        assert first_response == FirstResponse(answered=3, waiting=1, median_seconds=30.25)

    async def test_first_response_median_of_an_even_count(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        await self._handoffs(
            uow_factory,
            ("h1", START, START + timedelta(seconds=40)),
            ("h2", minutes(1), minutes(1) + timedelta(seconds=10)),
            ("h3", minutes(2), minutes(2) + timedelta(seconds=30)),
            ("h4", minutes(3), minutes(3) + timedelta(seconds=20.5)),
        )
        first_response = (await queries.statistics.period(A, START, END)).first_response
        assert first_response == FirstResponse(answered=4, waiting=0, median_seconds=25.25)

    async def test_first_response_without_answers_has_no_median(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        await self._handoffs(uow_factory, ("h1", START, None), ("h2", minutes(1), None))
        nothing_answered = (await queries.statistics.period(A, START, END)).first_response
        nothing = (await queries.statistics.period(OTHER, START, END)).first_response
        assert nothing_answered == FirstResponse(answered=0, waiting=2, median_seconds=None)
        assert nothing == FirstResponse(answered=0, waiting=0, median_seconds=None)

    async def test_an_answer_marks_only_earlier_unanswered_handoffs(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        async with uow_factory() as uow:
            await uow.handoffs.record(A, "c1", "keyword", START)
            await uow.handoffs.mark_answered("c1", minutes(1))  # waited 60 s
            await uow.handoffs.record(A, "c1", "max_turns", minutes(2))
            await uow.handoffs.record(A, "c1", "keyword", minutes(3))
            await uow.handoffs.record(A, "c1", "keyword", minutes(10))
            await uow.handoffs.record(A, "c2", "keyword", minutes(2))
            await uow.commit()
        async with uow_factory() as uow:
            # Answers both handoffs of minutes 2 and 3 (waits 180 and 120 s), not the first one
            # again, not the one of minute 10 (later than the answer), not c2's.
            await uow.handoffs.mark_answered("c1", minutes(5))
            await uow.commit()
        first_response = (await queries.statistics.period(A, START, END)).first_response
        assert first_response == FirstResponse(answered=3, waiting=2, median_seconds=120.0)

    async def test_an_answer_at_the_handoff_time_waited_nothing(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        await self._handoffs(uow_factory, ("c1", minutes(1), minutes(1)))
        first_response = (await queries.statistics.period(A, START, END)).first_response
        assert first_response == FirstResponse(answered=1, waiting=0, median_seconds=0.0)

    async def test_delivery_failures_are_failed_outbound_messages_in_the_period(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        failed = MessageStatus.FAILED
        await self._store(
            uow_factory,
            message("c1", Author.BOT, START, failed),
            message("c1", Author.AGENT, minutes(1), failed),
            message("c1", Author.SYSTEM, END - TICK, failed),
            message("c1", Author.AGENT, minutes(2), MessageStatus.SENT),
            message("c1", Author.AGENT, minutes(3), MessageStatus.QUEUED),
            message("c1", Author.CONTACT, minutes(4)),
            message("c1", Author.BOT, END, failed),
            message("c1", Author.BOT, START - TICK, failed),
            message("c9", Author.BOT, minutes(5), failed, association_id=OTHER),
        )
        assert (await queries.statistics.period(A, START, END)).delivery_failures == 3
        assert (await queries.statistics.period(OTHER, START, END)).delivery_failures == 1

    async def test_messages_withheld_on_purpose_are_no_delivery_failures(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        """Live and once deleted (rolled up): neither counts them."""
        withheld = [
            dataclasses.replace(
                message("c1", Author.BOT, minutes(n), MessageStatus.FAILED), error=why
            )
            for n, why in ((1, SUPERSEDED), (2, OPTED_OUT), (3, "rejected"))
        ]
        await self._store(uow_factory, *withheld)
        async with uow_factory() as uow:
            assert (await queries.statistics.period(A, START, END)).delivery_failures == 1
            await uow.messages.delete_of_conversation(A, "c1")
            await uow.commit()
        assert (await queries.statistics.period(A, START, END)).delivery_failures == 1

    async def test_refused_webhooks_are_counted_by_scope_and_reason_for_a_day(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        refusals = [
            (A, "bad_signature", minutes(1)),
            (A, "bad_signature", minutes(1) + timedelta(seconds=30)),
            (A, "invalid_payload", minutes(70)),
            ("", "unknown_session", minutes(70)),
            (OTHER, "bad_signature", minutes(70)),
        ]
        for scope, reason, at in refusals:
            async with uow_factory() as uow:
                await uow.alerts.count_refused_webhook(scope, reason, at)
                await uow.commit()
        everything = await queries.monitoring.refused_webhooks(A, START)
        last_hour = await queries.monitoring.refused_webhooks(A, minutes(10) + timedelta(seconds=5))
        service = await queries.monitoring.refused_webhooks("", START)
        async with uow_factory() as uow:  # a day later the old counts are gone
            await uow.alerts.count_refused_webhook(A, "bad_signature", minutes(2) + DAY)
            await uow.commit()
        next_day = await queries.monitoring.refused_webhooks(A, START)

        assert everything == {"bad_signature": 2, "invalid_payload": 1}
        assert last_hour == {"invalid_payload": 1}
        assert service == {"unknown_session": 1}
        assert next_day == {"bad_signature": 1, "invalid_payload": 1}

    async def test_recent_alerts_newest_first_up_to_the_limit(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        mine, other = an_association(id=A), an_association(id=OTHER)
        oldest = Alert("session", "session left WORKING", START)
        newest = Alert("dead_letter", "a message died", minutes(2).astimezone(SAO_PAULO))
        middle = Alert("session", "session WORKING again", minutes(1))
        async with uow_factory() as uow:
            await uow.associations.add(mine)
            await uow.associations.add(other)
            for alert in (oldest, newest, middle):
                await uow.alerts.add(A, alert)
            await uow.alerts.add(OTHER, Alert("session", "not mine", minutes(9)))
            await uow.commit()
        assert await queries.monitoring.recent_alerts(A, 10) == [newest, middle, oldest]
        assert await queries.monitoring.recent_alerts(A, 2) == [newest, middle]
        assert await queries.monitoring.recent_alerts("nobody", 10) == []

    async def test_statistics_fold_utc_hours_into_local_days(
        self, uow_factory: UowFactory, queries: Queries
    ) -> None:
        """São Paulo is UTC-3: its 2 and 3 March run from 03:00 UTC on the 2nd to 03:00 on the
        4th."""
        local_start = datetime(2026, 3, 2, 3, tzinfo=UTC)
        day = timedelta(days=1)
        await self._store(
            uow_factory,
            message("c1", Author.CONTACT, local_start - TICK),
            message("c1", Author.CONTACT, local_start),
            message("c1", Author.BOT, local_start + day - TICK),
            message("c1", Author.AGENT, local_start + day, MessageStatus.FAILED),
            message("c2", Author.CONTACT, local_start + 2 * day - TICK),
            message("c2", Author.BOT, local_start + 2 * day),
        )
        await self._handoffs(
            uow_factory, ("c1", local_start + day, local_start + day + timedelta(seconds=90))
        )
        compute = ComputeStatistics(queries.statistics, FakeClock())
        association = an_association(id=A)
        request = StatisticsRequest(
            association, date(2026, 3, 2), date(2026, 3, 3), "America/Sao_Paulo"
        )
        assert (await compute(request)).unwrap() == Statistics(
            first_day=date(2026, 3, 2),
            last_day=date(2026, 3, 3),
            timezone="America/Sao_Paulo",
            messages_by_day=(
                DailyMessages(date(2026, 3, 2), inbound=1, outbound=1),
                DailyMessages(date(2026, 3, 3), inbound=1, outbound=1),
            ),
            answered=AnsweredConversations(by_bot_only=0, by_humans=1),
            handoffs_by_reason={"keyword": 1},
            first_response=FirstResponse(answered=1, waiting=0, median_seconds=90.0),
            delivery_failures=1,
        )
        in_utc = StatisticsRequest(association, date(2026, 3, 2), date(2026, 3, 4), "UTC")
        assert (await compute(in_utc)).unwrap().messages_by_day == (
            DailyMessages(date(2026, 3, 2), inbound=2, outbound=0),
            DailyMessages(date(2026, 3, 3), inbound=0, outbound=2),
            DailyMessages(date(2026, 3, 4), inbound=1, outbound=1),
        )
