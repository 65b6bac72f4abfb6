"""Job workers: in-process beside the API (``WA_CRM_WORKERS``) or as ``wa-crm worker``."""

from __future__ import annotations

import asyncio
import logging

from wa_crm.container import Container, check_database, close_resources

_log = logging.getLogger("wa_crm.worker")


def start_workers(
    container: Container, stop: asyncio.Event, wanted: int
) -> list[asyncio.Task[None]]:
    """Start ``wanted`` job loops; SQLite gets at most one (it has a single writer)."""
    settings = container.settings()
    count = min(wanted, 1) if settings.uses_sqlite else wanted
    if count < wanted:
        _log.warning("SQLite runs one in-process worker, not %s", wanted)
    return [
        asyncio.create_task(
            container.job_runner().run_until(stop, settings.job_poll_seconds),
            name=f"wa_crm-worker-{index}",
        )
        for index in range(count)
    ]


async def run_worker_process(container: Container) -> None:
    """``wa-crm worker``: job loops until interrupted."""
    try:
        await check_database(container)
        stop = asyncio.Event()
        workers = start_workers(container, stop, max(container.settings().workers, 1))
        _log.info("worker started", extra={"loops": len(workers)})
        try:
            await asyncio.gather(*workers)
        except asyncio.CancelledError:
            stop.set()
            await asyncio.gather(*workers, return_exceptions=True)
    finally:
        await close_resources(container)
