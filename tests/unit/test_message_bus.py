"""The message bus: each fact to the handlers of its type; a handler's fault is logged only."""

from __future__ import annotations

import pytest

from wa_crm.adapters.memory.store import InMemoryStore
from wa_crm.adapters.memory.unit_of_work import InMemoryUnitOfWork
from wa_crm.domain.model.events import AlertRaised, Fact, SessionStatusChanged
from wa_crm.domain.model.statistics import Alert
from wa_crm.domain.usecases.runtime.message_bus import MessageBus
from wa_crm.testing.clock import FakeClock

ALERT = AlertRaised("a", Alert("session_down", "left WORKING", FakeClock().now()))


async def test_each_fact_goes_to_the_handlers_of_its_type_in_order() -> None:
    seen: list[tuple[str, Fact]] = []

    async def first(fact: Fact) -> None:
        seen.append(("first", fact))

    async def second(fact: Fact) -> None:
        seen.append(("second", fact))

    status = SessionStatusChanged("a", "default", "WORKING")
    await MessageBus({AlertRaised: [first, second], SessionStatusChanged: [second]})(
        [ALERT, status]
    )

    assert seen == [("first", ALERT), ("second", ALERT), ("second", status)]


async def test_a_handler_fault_is_logged_and_undoes_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handled: list[Fact] = []

    async def broken(fact: Fact) -> None:
        raise ConnectionError("redis went away")

    async def keeps_going(fact: Fact) -> None:
        handled.append(fact)

    store = InMemoryStore()
    bus = MessageBus({AlertRaised: [broken, keeps_going]})
    async with InMemoryUnitOfWork(store, bus) as uow:
        await uow.alerts.add("a", ALERT.alert)
        await uow.commit()

    assert store.tables.alerts == [("a", ALERT.alert)], "committed state stays"
    assert handled == [ALERT], "the next handler still runs"
    assert "fact not handled" in caplog.text
