"""The ``session_down`` alert waits out a restart: a session that leaves WORKING for a status
that passes by itself (stopped, starting, missing) alerts only if it is not back after the
configured time, and then once; one that needs a person (FAILED, a QR to scan) alerts at once."""

from __future__ import annotations

import dataclasses
import functools
from datetime import timedelta

import pytest
from tests.support.live_events import publishing_to

from wa_crm.adapters.events.memory import InMemoryEventBus
from wa_crm.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from wa_crm.adapters.memory.queries import in_memory_queries
from wa_crm.domain.model.association import Association, WhatsAppSettings
from wa_crm.domain.model.job_commands import ConfirmSessionDown
from wa_crm.domain.usecases.monitoring.session_health import (
    CheckSessionDown,
    record_session_status,
)
from wa_crm.domain.usecases.runtime.runner import JobRunner
from wa_crm.testing.clock import FakeClock

ALERT_AFTER = timedelta(minutes=10)


class World:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.bus = InMemoryEventBus(self.clock)
        store = InMemoryStore()
        self.uow_factory = functools.partial(InMemoryUnitOfWork, store, publishing_to(self.bus))
        self.queries = in_memory_queries(store)
        check = CheckSessionDown(self.uow_factory, self.clock, ALERT_AFTER)
        self.runner = JobRunner(self.uow_factory, self.clock, {ConfirmSessionDown: check}, "w")
        self.association = Association(
            "a", "a", "A", self.clock.now(), whatsapp=WhatsAppSettings("http://waha", "key")
        )

    async def status(self, status: str) -> None:
        async with self.uow_factory() as uow:
            await record_session_status(uow, self.association, status, None, self.clock.now())
            await uow.commit()

    async def after(self, minutes: float) -> None:
        self.clock.advance(minutes * 60)
        await self.runner.run_due()

    async def alerts(self) -> list[str]:
        return [alert.message for alert in await self.queries.monitoring.recent_alerts("a", 10)]


@pytest.fixture
async def world() -> World:
    built = World()
    async with built.uow_factory() as uow:
        await uow.associations.add(built.association)
        await uow.commit()
    await built.status("WORKING")
    return built


async def test_a_restart_raises_no_alert(world: World) -> None:
    await world.status("STOPPED")
    await world.after(0)
    await world.status("STARTING")
    await world.after(0.1)
    await world.status("WORKING")
    await world.after(10)
    await world.after(10)
    assert await world.alerts() == []


async def test_a_session_still_down_after_the_time_alerts_once(world: World) -> None:
    await world.status("STOPPED")
    await world.after(9)
    assert await world.alerts() == []
    await world.status("UNREACHABLE (session_not_found)")  # the poll finds it missing
    await world.after(1)
    await world.after(10)
    alerts = await world.alerts()
    assert len(alerts) == 1
    assert "not been WORKING for 10 minutes" in alerts[0]
    assert "UNREACHABLE (session_not_found)" in alerts[0]


async def test_the_time_counts_from_the_last_departure(world: World) -> None:
    await world.status("STOPPED")
    await world.after(8)
    await world.status("WORKING")
    await world.after(1)
    await world.status("STOPPED")
    await world.after(2)  # 11 minutes after the first departure, 2 after the second
    assert await world.alerts() == []
    await world.after(8)
    assert len(await world.alerts()) == 1


@pytest.mark.parametrize("status", ["FAILED", "SCAN_QR_CODE"])
async def test_a_status_only_a_person_can_change_alerts_at_once(world: World, status: str) -> None:
    await world.status(status)
    assert [f"WhatsApp session 'default' left WORKING: it is now {status}"] == await world.alerts()


async def test_a_phone_learned_from_a_stale_read_keeps_settings_saved_meanwhile(
    world: World,
) -> None:
    """A poll reads the association, asks WAHA (slow), then records the phone WAHA reported:
    settings an admin saved during the call survive it."""
    read_before_the_call = world.association
    async with world.uow_factory() as uow:
        saved = dataclasses.replace(
            read_before_the_call, bot=dataclasses.replace(read_before_the_call.bot, enabled=False)
        )
        await uow.associations.update(saved)
        await uow.commit()
    async with world.uow_factory() as uow:
        await record_session_status(
            uow, read_before_the_call, "WORKING", "5511911112222", world.clock.now()
        )
        await uow.commit()
    async with world.uow_factory() as uow:
        stored = await uow.associations.get("a")
    assert stored is not None
    assert stored.whatsapp.phone == "5511911112222" and stored.bot.enabled is False
