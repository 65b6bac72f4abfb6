"""Schema migrations (Alembic, configured in code: no alembic.ini) and the startup check."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from wa_crm.adapters.sql.engine import async_url, create_engine

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaNotCurrent(Exception):
    """The database's schema revision is not the one this code was written for."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations in {MIGRATIONS}")
    return head


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision``, the newest by default (creates a SQLite
    file's folder). Tests stop at earlier revisions to prove each migration keeps data."""
    _create_sqlite_folder(async_url(url))
    # SQLite's foreign keys are checked once the migrations ran, not while they rebuild
    # tables (migrations/env.py).
    engine = create_engine(url, enforce_foreign_keys=False)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to, revision)
    finally:
        await engine.dispose()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's revision; None for a database that was never migrated."""
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def ensure_schema_current(engine: AsyncEngine) -> None:
    """Refuse to start on an empty, older or newer schema, saying what to do about it."""
    current, expected = await current_revision(engine), head_revision()
    if current == expected:
        return
    where = engine.url.render_as_string(hide_password=True)
    known = {script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}
    if current is not None and current not in known:
        raise SchemaNotCurrent(
            f"database at {where} is at revision {current}, newer than this code "
            f"(expects {expected}): upgrade wa_crm"
        )
    raise SchemaNotCurrent(
        f"database at {where} is not migrated (at revision {current or 'none'}, "
        f"code expects {expected}): run `wa-crm db upgrade`"
    )


def _upgrade_to(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection  # env.py runs on our connection
    command.upgrade(config, revision)


def _create_sqlite_folder(url: URL) -> None:
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return
    if database.startswith("file:"):  # URI filename
        return
    Path(database).parent.mkdir(parents=True, exist_ok=True)
