"""Associations (tenants), their agents and the agents' credentials (API tokens, browser
sessions).

Statements are built once with bind parameters (see ``execution``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql import mappers
from wa_crm.adapters.sql.execution import execute
from wa_crm.adapters.sql.tables import agents, api_tokens, associations, browser_sessions
from wa_crm.domain.model.association import Association
from wa_crm.domain.model.credentials import ApiToken, BrowserSession
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
_TOKEN_BY_HASH = (
    select(agents, *(column.label(f"token_{column.name}") for column in api_tokens.columns))
    .join(api_tokens, api_tokens.c.agent_id == agents.c.id)
    .where(api_tokens.c.token_hash == bindparam("token_hash"))
)
_TOKENS = (
    select(api_tokens)
    .where(api_tokens.c.agent_id == bindparam("agent_id"))
    .order_by(api_tokens.c.created_at.desc(), api_tokens.c.id.desc())
)
_TOKEN_USED = (
    update(api_tokens)
    .where(api_tokens.c.id == bindparam("token_id"))
    .values(last_used_at=bindparam("at"))
)
_REVOKE_TOKENS = delete(api_tokens).where(api_tokens.c.agent_id == bindparam("agent_id"))
_REVOKE_TOKEN = _REVOKE_TOKENS.where(api_tokens.c.id == bindparam("token_id"))

_ADD_SESSION = insert(browser_sessions)
_SESSION = select(browser_sessions).where(browser_sessions.c.id_hash == bindparam("id_hash"))
_END_SESSION = delete(browser_sessions).where(browser_sessions.c.id_hash == bindparam("id_hash"))
_END_SESSIONS = delete(browser_sessions).where(
    browser_sessions.c.agent_id == bindparam("agent_id"),
    browser_sessions.c.id_hash != bindparam("keep"),
)
_PRUNE_SESSIONS = delete(browser_sessions).where(
    browser_sessions.c.association_id == bindparam("association_id"),
    browser_sessions.c.expires_at <= bindparam("before"),
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

    async def add_token(self, token_hash: str, token: ApiToken) -> None:
        await execute(self._connection, _ADD_TOKEN, mappers.api_token_to_row(token_hash, token))

    async def find_by_token(self, token_hash: str) -> tuple[Agent, ApiToken] | None:
        result = await execute(self._connection, _TOKEN_BY_HASH, {"token_hash": token_hash})
        row = result.mappings().first()
        if row is None:
            return None
        token_row = {key.removeprefix("token_"): row[key] for key in row if key[:6] == "token_"}
        return mappers.agent_from_row(row), mappers.api_token_from_row(token_row)

    async def list_tokens(self, agent_id: str) -> Sequence[ApiToken]:
        result = await execute(self._connection, _TOKENS, {"agent_id": agent_id})
        return [mappers.api_token_from_row(row) for row in result.mappings()]

    async def token_used(self, token_id: str, at: datetime) -> None:
        await execute(self._connection, _TOKEN_USED, {"token_id": token_id, "at": at})

    async def revoke_token(self, agent_id: str, token_id: str) -> bool:
        parameters = {"agent_id": agent_id, "token_id": token_id}
        return await self._deleted(_REVOKE_TOKEN, parameters) > 0

    async def revoke_tokens(self, agent_id: str) -> int:
        return await self._deleted(_REVOKE_TOKENS, {"agent_id": agent_id})

    async def add_session(self, session: BrowserSession) -> None:
        row = {f.name: getattr(session, f.name) for f in fields(session)}
        await execute(self._connection, _ADD_SESSION, row)

    async def find_session(self, id_hash: str) -> BrowserSession | None:
        result = await execute(self._connection, _SESSION, {"id_hash": id_hash})
        row = result.mappings().first()
        return None if row is None else BrowserSession(**row)

    async def end_session(self, id_hash: str) -> None:
        await execute(self._connection, _END_SESSION, {"id_hash": id_hash})

    async def end_sessions(self, agent_id: str, keep: str | None = None) -> int:
        return await self._deleted(_END_SESSIONS, {"agent_id": agent_id, "keep": keep or ""})

    async def prune_sessions(self, association_id: str, before: datetime) -> int:
        parameters = {"association_id": association_id, "before": before}
        return await self._deleted(_PRUNE_SESSIONS, parameters)

    async def _deleted(self, statement: Executable, parameters: Mapping[str, Any]) -> int:
        result = await execute(self._connection, statement, parameters)
        return result.rowcount

    async def _one(self, statement: Executable, parameters: Mapping[str, Any]) -> Agent | None:
        result = await execute(self._connection, statement, parameters)
        row = result.mappings().first()
        return None if row is None else mappers.agent_from_row(row)
