"""Associations (tenants), their agents and the agents' API tokens.

Statements are built once with bind parameters (see ``execution``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql import mappers
from wa_crm.adapters.sql.execution import execute
from wa_crm.adapters.sql.tables import agents, api_tokens, associations
from wa_crm.domain.model.association import Association
from wa_crm.domain.model.people import Agent
from wa_crm.ports.system import SecretCipher

_ADD_ASSOCIATION = insert(associations)
_UPDATE_ASSOCIATION = update(associations).where(associations.c.id == bindparam("key_id"))
_ASSOCIATION_BY_ID = select(associations).where(associations.c.id == bindparam("id"))
_ASSOCIATION_BY_SLUG = select(associations).where(associations.c.slug == bindparam("slug"))
_ASSOCIATIONS = select(associations).order_by(associations.c.slug)
# The association's row is the lock. A row lock rather than an advisory lock: it needs no
# number derived from the id (advisory locks take integers, so ids would be hashed and could
# collide), it is released with the transaction like every other lock of the unit of work, and
# it is the natural parent of what is serialized. It blocks nothing but other writers of that
# row (settings changes) for the few milliseconds it is held; readers never wait on it.
# SQLite compiles FOR UPDATE to nothing: its unit of work already holds the one write lock.
_LOCK = select(associations.c.id).where(associations.c.id == bindparam("id")).with_for_update()
_ASSOCIATIONS_BY_SESSION = _ASSOCIATIONS.where(associations.c.waha_session == bindparam("session"))

_ADD_AGENT = insert(agents)
_UPDATE_AGENT = update(agents).where(agents.c.id == bindparam("key_id"))
_AGENTS = select(agents).where(agents.c.association_id == bindparam("association_id"))
_AGENT_BY_ID = _AGENTS.where(agents.c.id == bindparam("id"))
_AGENT_BY_EMAIL = _AGENTS.where(agents.c.email == bindparam("email"))
_AGENTS_BY_EMAIL = _AGENTS.order_by(agents.c.email)
_ADD_TOKEN = insert(api_tokens)
_AGENT_BY_TOKEN = (
    select(agents)
    .join(api_tokens, api_tokens.c.agent_id == agents.c.id)
    .where(api_tokens.c.token_hash == bindparam("token_hash"))
)


class SqlAssociationRepository:
    def __init__(self, connection: AsyncConnection, cipher: SecretCipher) -> None:
        self._connection = connection
        self._cipher = cipher

    async def add(self, association: Association) -> None:
        row = mappers.association_to_row(association, self._cipher)
        await execute(self._connection, _ADD_ASSOCIATION, row)

    async def update(self, association: Association) -> None:
        row = mappers.association_to_row(association, self._cipher)
        await execute(self._connection, _UPDATE_ASSOCIATION, row | {"key_id": association.id})

    async def lock(self, association_id: str) -> None:
        await execute(self._connection, _LOCK, {"id": association_id})

    async def get(self, association_id: str) -> Association | None:
        found = await self._all(_ASSOCIATION_BY_ID, {"id": association_id})
        return found[0] if found else None

    async def get_by_slug(self, slug: str) -> Association | None:
        found = await self._all(_ASSOCIATION_BY_SLUG, {"slug": slug})
        return found[0] if found else None

    async def find_by_session(self, session: str) -> Sequence[Association]:
        return await self._all(_ASSOCIATIONS_BY_SESSION, {"session": session})

    async def list(self) -> Sequence[Association]:
        return await self._all(_ASSOCIATIONS)

    async def _all(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Sequence[Association]:
        result = await execute(self._connection, statement, parameters)
        return [mappers.association_from_row(row, self._cipher) for row in result.mappings()]


class SqlAgentRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, agent: Agent) -> None:
        await execute(self._connection, _ADD_AGENT, mappers.agent_to_row(agent))

    async def update(self, agent: Agent) -> None:
        row = mappers.agent_to_row(agent) | {"key_id": agent.id}
        await execute(self._connection, _UPDATE_AGENT, row)

    async def get(self, association_id: str, agent_id: str) -> Agent | None:
        return await self._one(_AGENT_BY_ID, {"association_id": association_id, "id": agent_id})

    async def get_by_email(self, association_id: str, email: str) -> Agent | None:
        parameters = {"association_id": association_id, "email": email.lower()}
        return await self._one(_AGENT_BY_EMAIL, parameters)

    async def list(self, association_id: str) -> Sequence[Agent]:
        parameters = {"association_id": association_id}
        result = await execute(self._connection, _AGENTS_BY_EMAIL, parameters)
        return [mappers.agent_from_row(row) for row in result.mappings()]

    async def add_token(self, agent_id: str, token_hash: str, created_at: datetime) -> None:
        row = {
            "token_hash": token_hash,
            "id": token_hash[:16],
            "agent_id": agent_id,
            "created_at": created_at,
        }
        await execute(self._connection, _ADD_TOKEN, row)

    async def find_by_token(self, token_hash: str) -> Agent | None:
        return await self._one(_AGENT_BY_TOKEN, {"token_hash": token_hash})

    async def _one(self, statement: Executable, parameters: Mapping[str, Any]) -> Agent | None:
        result = await execute(self._connection, statement, parameters)
        row = result.mappings().first()
        return None if row is None else mappers.agent_from_row(row)
