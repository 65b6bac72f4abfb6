"""What only the SQL adapter promises: encrypted secrets, migrations that match the tables, the
startup schema check, timezone discipline, and read-modify-write of a conversation under
concurrency."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, select
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
from wa_crm.adapters.sql.tables import (
    SEARCH_OBJECTS,
    associations,
    metadata,
    pending_acks,
)
from wa_crm.domain.model.conversation import Channel
from wa_crm.domain.model.message import MessageStatus
from wa_crm.ports.system import SecretCipher

from .builders import SAO_PAULO, a_contact, a_conversation, a_message, an_association, at


class _UnknownKeyCipher:
    """A cipher with another key: it can decrypt nothing stored by the test cipher."""

    def encrypt(self, plaintext: str) -> str:
        raise NotImplementedError

    def decrypt(self, token: str) -> str:
        raise ValueError("not my key")


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

    async def test_an_early_ack_keeps_no_phone_number_and_one_kept_before_still_counts(
        self, engine: AsyncEngine, cipher: SecretCipher
    ) -> None:
        """An ack may come after its contact was erased: its message id names the chat, so the
        row holds a digest of it; a row kept before the digest (the id itself) is still taken."""
        sent_id, kept_before_upgrade = "true_5511988887777@c.us_3EB0AAAA", "true_x@c.us_OLD"
        async with SqlUnitOfWork(engine, cipher) as uow:
            await uow.pending_acks.keep("assoc-1", sent_id, MessageStatus.DELIVERED, at(0))
            await uow.commit()
        async with engine.begin() as connection:
            stored = (await connection.execute(select(pending_acks.c.external_id))).scalars()
            assert [value for value in stored if "988887777" in value] == []
            legacy_row = {
                "association_id": "assoc-1",
                "external_id": kept_before_upgrade,
                "status": MessageStatus.READ.value,
                "received_at": at(0),
            }
            await connection.execute(insert(pending_acks).values(legacy_row))
        async with SqlUnitOfWork(engine, cipher) as uow:
            assert await uow.pending_acks.take("assoc-1", sent_id) is MessageStatus.DELIVERED
            assert await uow.pending_acks.take("assoc-1", kept_before_upgrade) is MessageStatus.READ
            assert await uow.pending_acks.take("assoc-1", kept_before_upgrade) is None
            await uow.commit()

    async def test_migrations_create_exactly_the_tables(self, engine: AsyncEngine) -> None:
        """Except the full-text objects the migrations make outside the metadata, which must
        all be there."""
        outside = SEARCH_OBJECTS[engine.dialect.name]
        seen: set[str] = set()

        def known(name: str | None, _type: str, _parents: object) -> bool:
            if name in outside:
                seen.add(name)
                return False
            return True

        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"include_name": known}), metadata
                )
            )
        assert differences == []
        assert seen == outside

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

    async def test_secrets_are_decrypted_by_the_cipher_that_reads_them(
        self, engine: AsyncEngine, cipher: SecretCipher
    ) -> None:
        association = an_association()
        async with SqlUnitOfWork(engine, cipher) as uow:
            await uow.associations.add(association)
            assert await uow.associations.get(association.id) == association
            await uow.commit()
        async with SqlUnitOfWork(engine, _UnknownKeyCipher()) as uow:
            with pytest.raises(ValueError, match="not my key"):
                await uow.associations.get(association.id)

    async def test_bound_values_are_converted_to_utc(
        self, engine: AsyncEngine, cipher: SecretCipher
    ) -> None:
        older = a_message("assoc-1", "conv-1", created_at=at(0))
        newer = a_message("assoc-1", "conv-1", created_at=at(10))
        async with SqlUnitOfWork(engine, cipher) as uow:
            await uow.messages.add(older)
            await uow.messages.add(newer)
            history = await uow.messages.list_for_conversation(
                "assoc-1", "conv-1", before=at(5).astimezone(SAO_PAULO), limit=10
            )
        assert history == [older]

    async def test_naive_datetimes_are_refused_in_conditions(
        self, engine: AsyncEngine, cipher: SecretCipher
    ) -> None:
        async with SqlUnitOfWork(engine, cipher) as uow:
            with pytest.raises(StatementError, match="naive datetime"):
                await uow.jobs.claim_due(datetime(2026, 1, 1), "w", at(60), ["bot_turn"], 1)

    async def test_concurrent_read_modify_writes_of_a_conversation_all_count(
        self, engine: AsyncEngine, cipher: SecretCipher
    ) -> None:
        """``get`` and ``find_open`` lock the row (PostgreSQL) or the unit runs alone (SQLite):
        units that read, change and write back one conversation do not undo each other."""
        conversation = a_conversation("assoc-1", "contact-1")
        async with SqlUnitOfWork(engine, cipher) as uow:
            await uow.conversations.add(conversation)
            await uow.commit()

        async def receive(n: int) -> None:
            async with SqlUnitOfWork(engine, cipher) as uow:
                found = (
                    await uow.conversations.get("assoc-1", conversation.id)
                    if n % 2
                    else await uow.conversations.find_open("assoc-1", "contact-1", Channel.WHATSAPP)
                )
                assert found is not None
                await asyncio.sleep(0.01)  # the others read meanwhile, unless the row is locked
                found.receive(f"msg-{n}", at(n))
                await uow.conversations.update(found)
                await uow.commit()

        await asyncio.gather(*(receive(n) for n in range(6)))
        async with SqlUnitOfWork(engine, cipher) as uow:
            stored = await uow.conversations.get("assoc-1", conversation.id)
        assert stored is not None and stored.unread_count == 6
