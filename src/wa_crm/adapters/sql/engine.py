"""The async engine for SQLite (aiosqlite) or PostgreSQL (asyncpg), tuned for each."""

from __future__ import annotations

from typing import Any

from sqlalchemy import URL, event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
}


def async_url(url: str | URL) -> URL:
    """The URL with the async driver we use, so plain ``postgresql://`` URLs work too."""
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


def create_engine(
    url: str, *, enforce_foreign_keys: bool = True, read_only: bool = False
) -> AsyncEngine:
    """``enforce_foreign_keys=False`` is for migrations on SQLite only (see ``migrate``);
    PostgreSQL always enforces them.

    ``read_only=True`` makes the engine of the query adapters (``adapters/sql/queries``): every
    transaction only reads, and on SQLite it does not take the writer lock, so a long read (the
    statistics) never holds up the units of work, nor waits for them.
    """
    parsed = async_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, enforce_foreign_keys, read_only)
    return create_async_engine(
        parsed,
        pool_size=5 if read_only else 10,
        max_overflow=5 if read_only else 10,
        pool_timeout=30,
        pool_pre_ping=True,  # survive server restarts and idle connections cut by proxies
        pool_recycle=1800,
        # asyncpg begins each transaction READ ONLY, in the BEGIN itself (no extra round trip).
        execution_options={"postgresql_readonly": True} if read_only else {},
    )


def read_only_engine(engine: AsyncEngine) -> AsyncEngine:
    """The query adapters' engine on ``engine``'s database (``read_only=True``)."""
    return create_engine(engine.url.render_as_string(hide_password=False), read_only=True)


def _sqlite_engine(url: URL, enforce_foreign_keys: bool, read_only: bool) -> AsyncEngine:
    engine = create_async_engine(url)

    @event.listens_for(engine.sync_engine, "connect")
    def configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (see "begin" below) instead of the sqlite3 driver,
        # which starts transactions late and never for SELECT.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if enforce_foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def begin(connection: Any) -> None:
        # SQLite has one writer. Taking the write lock up front makes a concurrent unit of work
        # wait (busy_timeout) rather than fail with SQLITE_BUSY when its read turns into a write.
        # A read-only connection begins deferred: it reads a snapshot of the WAL, beside the
        # writer.
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine
