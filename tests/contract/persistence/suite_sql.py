"""What only the SQL adapter promises: encrypted secrets, migrations that match the tables, the
startup schema check, and timezone discipline."""

from __future__ import annotations

from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from wa_crm.adapters.sql import (
    SchemaNotCurrent,
    SqlUnitOfWork,
    create_engine,
    ensure_schema_current,
    upgrade,
)
from wa_crm.adapters.sql.migrate import head_revision
from wa_crm.adapters.sql.tables import associations, metadata
from wa_crm.ports.system import SecretCipher

from .builders import a_contact, an_association


class SqlStorageContract:
    """An adapter's test class provides ``engine`` (migrated) and ``blank_url`` (empty)."""

    @pytest.fixture
    def engine(self) -> AsyncEngine:
        raise NotImplementedError

    @pytest.fixture
    def blank_url(self) -> str:
        raise NotImplementedError

    async def test_secrets_are_stored_encrypted(
        self, engine: AsyncEngine, cipher: SecretCipher
    ) -> None:
        association = an_association()
        async with SqlUnitOfWork(engine, cipher) as uow:
            await uow.associations.add(association)
            await uow.commit()
        async with engine.connect() as connection:
            raw = (
                await connection.execute(
                    select(associations.c.waha_api_key, associations.c.webhook_secret)
                )
            ).one()
        whatsapp = association.whatsapp
        assert raw.waha_api_key != whatsapp.api_key
        assert raw.webhook_secret != whatsapp.webhook_secret
        assert whatsapp.api_key not in raw.waha_api_key
        assert cipher.decrypt(raw.waha_api_key) == whatsapp.api_key
        assert cipher.decrypt(raw.webhook_secret) == whatsapp.webhook_secret

    async def test_migrations_create_exactly_the_tables(self, engine: AsyncEngine) -> None:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
        assert differences == []

    async def test_a_migrated_database_is_current(self, engine: AsyncEngine) -> None:
        await ensure_schema_current(engine)

    async def test_an_unmigrated_database_is_refused(self, blank_url: str) -> None:
        engine = create_engine(blank_url)
        try:
            with pytest.raises(SchemaNotCurrent) as refused:
                await ensure_schema_current(engine)
        finally:
            await engine.dispose()
        message = str(refused.value)
        assert f"(at revision none, code expects {head_revision()})" in message
        assert message.endswith("run `wa-crm db upgrade`")
        if engine.url.password:
            assert engine.url.password not in message

    async def test_upgrade_is_idempotent(self, blank_url: str) -> None:
        await upgrade(blank_url)
        await upgrade(blank_url)
        engine = create_engine(blank_url)
        try:
            await ensure_schema_current(engine)
        finally:
            await engine.dispose()

    async def test_naive_datetimes_are_refused(
        self, engine: AsyncEngine, cipher: SecretCipher
    ) -> None:
        async with SqlUnitOfWork(engine, cipher) as uow:
            with pytest.raises(StatementError, match="naive datetime"):
                await uow.contacts.add(a_contact("assoc-1", created_at=datetime(2026, 1, 1)))
