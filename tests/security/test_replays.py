"""Issue 14, finding 7: replayed WAHA events and event ids kept forever.

The service runs on a real port with a fake clock (at ``T0``), on SQLite and PostgreSQL, and
receives webhooks signed with the association's key, as WAHA sends them. An attacker who once
saw a signed body (a proxy log, a leaked capture) can post it again at any time: the signature
still matches. Events whose WAHA time is far from now are acknowledged, so WAHA stops retrying,
counted in ``/metrics`` and dropped. Event ids are forgotten past WAHA's retries by a periodic
job, and a message still is stored once.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from dependency_injector import providers
from sqlalchemy import select
from tests.support.waha_payloads import CONTACT, WaMessage, message_event, presence_event
from tests.support.webhook_driver import Waha, create_association

from wa_crm.adapters.sql.tables import processed_events
from wa_crm.container import build_container
from wa_crm.domain.model.job_commands import PruneEventIds
from wa_crm.domain.model.jobs import JobStatus
from wa_crm.domain.usecases.runtime.runner import JobRunner
from wa_crm.entrypoints.http.app import create_app
from wa_crm.settings import Settings
from wa_crm.testing import serve_app
from wa_crm.testing.clock import T0, FakeClock

DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def waha(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Waha]:
    settings = Settings(
        database_url=database_url, workers=0, secret_key="x" * 32, media_dir=str(tmp_path)
    )
    container = build_container(settings)
    container.clock.override(providers.Object(clock))
    async with (
        serve_app(create_app(container)) as service_url,
        httpx.AsyncClient(base_url=service_url) as client,
    ):
        yield Waha(client, container, await create_association(container))


async def metric(waha: Waha, event: str, outcome: str) -> str:
    """The webhook counter's line for the event and outcome, as ``GET /metrics`` shows it."""
    exposition = (await waha.client.get("/metrics")).text
    prefix = f'wa_crm_webhook_events_total{{event="{event}",outcome="{outcome}"}} '
    return next((line for line in exposition.splitlines() if line.startswith(prefix)), "")


def kept(waha: Waha) -> timedelta:
    """How long event ids are remembered (8 days by default)."""
    return timedelta(days=waha.container.settings().processed_events_keep_days)


async def remembered_event_ids(waha: Waha) -> set[str]:
    async with waha.container.engine().connect() as connection:
        rows = await connection.execute(select(processed_events.c.event_id))
        return set(rows.scalars())


async def run_the_prune_job(waha: Waha, clock: FakeClock) -> None:
    """As a worker would: the job the service scheduled for itself at start-up, due now."""
    handlers = {PruneEventIds: waha.container.prune_processed_events()}
    runner = JobRunner(waha.container.uow_factory(), clock, handlers, "test-worker")
    assert await runner.run_due() == 1


async def test_an_event_dated_2010_is_acknowledged_counted_and_not_stored(
    waha: Waha, caplog: pytest.LogCaptureFixture
) -> None:
    replayed = WaMessage(body="Meu remédio acabou", timestamp=int(datetime(2010, 1, 4).timestamp()))
    body = message_event(replayed, emitted_at=datetime(2010, 1, 4, 12, tzinfo=UTC))

    with caplog.at_level(logging.INFO):
        response = await waha.post(body)

    assert response.status_code == 200
    assert response.json()["status"] == "too_old"
    assert await metric(waha, "message", "too_old") == (
        'wa_crm_webhook_events_total{event="message",outcome="too_old"} 1.0'
    )
    assert await waha.stored_external_ids() == {}
    assert await waha.contact(CONTACT) is None
    refusals = [r for r in caplog.records if "time window" in r.getMessage()]
    assert refusals, "the refusal is logged"
    for record in refusals:
        logged = str(record.__dict__)
        assert "remédio" not in logged and "988887777" not in logged


async def test_an_event_from_the_future_is_acknowledged_counted_and_not_stored(
    waha: Waha,
) -> None:
    body = message_event(WaMessage(body="Oi"), emitted_at=T0 + timedelta(hours=1))

    response = await waha.post(body)

    assert response.status_code == 200
    assert response.json()["status"] == "ahead_of_clock"
    assert waha.counted("message", "ahead_of_clock") == 1
    assert await waha.stored_external_ids() == {}


async def test_messages_missed_while_the_session_was_down_still_arrive(waha: Waha) -> None:
    """A session that reconnects after days emits what it missed: old message times, a fresh
    envelope time. Those are real patients' messages, not replays."""
    missed = WaMessage(body="Alguém aí?", timestamp=int((T0 - timedelta(days=20)).timestamp()))

    assert await waha.deliver(message_event(missed)) == "stored"
    assert await waha.stored_external_ids() == {missed.id: 1}


async def test_the_prune_job_forgets_event_ids_past_the_retry_horizon_and_keeps_recent_ones(
    waha: Waha, clock: FakeClock
) -> None:
    old = [message_event(WaMessage(body="Oi")), presence_event(CONTACT, "typing")]
    for body in old:
        await waha.deliver(body)
    clock.advance((kept(waha) - timedelta(days=1)).total_seconds())
    recent = message_event(WaMessage(body="Ainda aí?"), emitted_at=clock.now())
    await waha.deliver(recent)
    assert await remembered_event_ids(waha) == {old[0]["id"], old[1]["id"], recent["id"]}

    clock.advance(timedelta(days=1, seconds=1).total_seconds())
    await run_the_prune_job(waha, clock)

    assert await remembered_event_ids(waha) == {recent["id"]}
    job = await waha.job(PruneEventIds.kind)
    assert job is not None and job.status is JobStatus.PENDING
    assert job.run_after == clock.now() + timedelta(hours=1)


async def test_a_message_retried_after_its_event_id_was_forgotten_is_not_stored_twice(
    waha: Waha, clock: FakeClock
) -> None:
    message = WaMessage(body="Preciso de ajuda")
    first = message_event(message)
    assert await waha.deliver(first) == "stored"
    clock.advance((kept(waha) + timedelta(seconds=1)).total_seconds())
    await run_the_prune_job(waha, clock)
    assert await remembered_event_ids(waha) == set()

    # WAHA's retry is the same body, stamped with its first time: too old by now.
    assert await waha.deliver(first) == "too_old"
    # A body that names no time cannot be judged by it: the message's WhatsApp id stops it.
    untimed = {key: value for key, value in first.items() if key != "timestamp"}
    untimed["payload"] = {k: v for k, v in first["payload"].items() if k != "timestamp"}
    assert await waha.deliver(untimed) == "duplicate"
    # Nor does a fresh event carrying the same message (WAHA's message.any copy of it).
    copy = message_event(message, event="message.any", emitted_at=clock.now())
    assert await waha.deliver(copy) == "duplicate"

    assert await waha.stored_external_ids() == {message.id: 1}
