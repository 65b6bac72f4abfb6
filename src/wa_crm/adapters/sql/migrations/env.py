"""Alembic environment: runs on the connection ``wa_crm.adapters.sql.migrate`` hands over.

Run standalone (``alembic`` with ``sqlalchemy.url`` set), it opens its own async engine.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from wa_crm.adapters.sql.engine import create_engine
from wa_crm.adapters.sql.tables import metadata

config = context.config


def run_on(connection: Connection) -> None:
    # Batch mode lets later migrations ALTER tables on SQLite, which rebuilds them.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        migration = context.get_context()
        before = migration.get_current_revision()
        context.run_migrations()
        if migration.get_current_revision() != before:
            _check_foreign_keys(connection)


def _check_foreign_keys(connection: Connection) -> None:
    """SQLite alters a table by copying it and dropping the old one; with foreign keys enforced
    that drop fails when other tables refer to the rows (or deletes them, ``ON DELETE
    CASCADE``). So migrations run unenforced (``wa_crm.adapters.sql.migrate``), and, as SQLite
    advises for altering tables, every key is checked before the commit instead."""
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration left rows whose foreign key points nowhere: {broken[:5]}")


async def run_standalone(url: str) -> None:
    engine = create_engine(url, enforce_foreign_keys=False)  # see _check_foreign_keys
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_on)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run `wa-crm db upgrade`")

shared: Connection | None = config.attributes.get("connection")
if shared is not None:
    run_on(shared)
else:
    asyncio.run(run_standalone(config.get_main_option("sqlalchemy.url", "")))
