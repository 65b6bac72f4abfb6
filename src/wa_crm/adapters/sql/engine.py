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


def create_engine(url: str, *, enforce_foreign_keys: bool = True) -> AsyncEngine:
    """``enforce_foreign_keys=False`` is for migrations on SQLite only (see ``migrate``);
    PostgreSQL always enforces them."""
    parsed = async_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, enforce_foreign_keys)
    return create_async_engine(
        parsed,
        pool_size=10,
        max_overflow=10,
        pool_timeout=30,
        pool_pre_ping=True,  # survive server restarts and idle connections cut by proxies
        pool_recycle=1800,
    )


def _sqlite_engine(url: URL, enforce_foreign_keys: bool) -> AsyncEngine:
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
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def begin(connection: Any) -> None:
        # SQLite has one writer. Taking the write lock up front makes a concurrent unit of work
        # wait (busy_timeout) rather than fail with SQLITE_BUSY when its read turns into a write.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
