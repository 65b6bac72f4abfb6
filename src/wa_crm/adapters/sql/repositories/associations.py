"""Associations (tenants), their agents and the agents' API tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Executable, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql import mappers
from wa_crm.adapters.sql.execution import execute
from wa_crm.adapters.sql.tables import agents, api_tokens, associations
from wa_crm.domain.model.association import Association
from wa_crm.domain.model.people import Agent
from wa_crm.ports.system import SecretCipher


class SqlAssociationRepository:
    def __init__(self, connection: AsyncConnection, cipher: SecretCipher) -> None:
        self._connection = connection
        self._cipher = cipher

    async def add(self, association: Association) -> None:
        row = mappers.association_to_row(association, self._cipher)
        await execute(self._connection, insert(associations).values(row))

    async def update(self, association: Association) -> None:
        row = mappers.association_to_row(association, self._cipher)
        statement = update(associations).where(associations.c.id == association.id).values(row)
        await execute(self._connection, statement)

    async def get(self, association_id: str) -> Association | None:
        return await self._one(select(associations).where(associations.c.id == association_id))

    async def get_by_slug(self, slug: str) -> Association | None:
        return await self._one(select(associations).where(associations.c.slug == slug))

    async def find_by_session(self, session: str) -> Sequence[Association]:
        return await self._many(
            select(associations)
            .where(associations.c.waha_session == session)
            .order_by(associations.c.slug)
        )

    async def list(self) -> Sequence[Association]:
        return await self._many(select(associations).order_by(associations.c.slug))

    async def _one(self, statement: Executable) -> Association | None:
        found = await self._many(statement)
        return found[0] if found else None

    async def _many(self, statement: Executable) -> Sequence[Association]:
        result = await execute(self._connection, statement)
        return [mappers.association_from_row(row, self._cipher) for row in result.mappings()]


class SqlAgentRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, agent: Agent) -> None:
        await execute(self._connection, insert(agents).values(mappers.agent_to_row(agent)))

    async def update(self, agent: Agent) -> None:
        statement = (
            update(agents).where(agents.c.id == agent.id).values(mappers.agent_to_row(agent))
        )
        await execute(self._connection, statement)

    async def get(self, association_id: str, agent_id: str) -> Agent | None:
        return await self._one(
            select(agents).where(agents.c.association_id == association_id, agents.c.id == agent_id)
        )

    async def get_by_email(self, association_id: str, email: str) -> Agent | None:
        return await self._one(
            select(agents).where(
                agents.c.association_id == association_id, agents.c.email == email.lower()
            )
        )

    async def list(self, association_id: str) -> Sequence[Agent]:
        result = await execute(
            self._connection,
            select(agents)
            .where(agents.c.association_id == association_id)
            .order_by(agents.c.email),
        )
        return [mappers.agent_from_row(row) for row in result.mappings()]

    async def add_token(self, agent_id: str, token_hash: str, created_at: datetime) -> None:
        statement = insert(api_tokens).values(
            token_hash=token_hash, agent_id=agent_id, created_at=created_at
        )
        await execute(self._connection, statement)

    async def find_by_token(self, token_hash: str) -> Agent | None:
        return await self._one(
            select(agents)
            .join(api_tokens, api_tokens.c.agent_id == agents.c.id)
            .where(api_tokens.c.token_hash == token_hash)
        )

    async def _one(self, statement: Executable) -> Agent | None:
        result = await execute(self._connection, statement)
        row = result.mappings().first()
        return None if row is None else mappers.agent_from_row(row)
