"""Associations, agents and their credentials (API tokens, browser sessions) in memory.

These are deeply immutable (frozen dataclasses of strings, tuples and times), so stored rows
are handed out as they are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime

from wa_crm.adapters.memory.store import Workspace, insert, replace
from wa_crm.domain.model.association import Association
from wa_crm.domain.model.credentials import ApiToken, BrowserSession
from wa_crm.domain.model.people import Agent


def _slug(association: Association) -> str:
    return association.slug


def _waha_session(association: Association) -> Hashable | None:
    """Unique only once configured: unconfigured associations share ("", "default")."""
    whatsapp = association.whatsapp
    return (whatsapp.server_key, whatsapp.session) if whatsapp.base_url else None


class InMemoryAssociationRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def add(self, association: Association) -> None:
        insert(self._rows, association.id, association, (_slug, _waha_session))

    async def update(self, association: Association) -> None:
        replace(self._rows, association.id, association, (_slug, _waha_session))

    async def lock(self, association_id: str) -> None:
        """Nothing to do: the store runs one unit of work at a time."""

    async def get(self, association_id: str) -> Association | None:
        return self._rows.get(association_id)

    async def get_by_slug(self, slug: str) -> Association | None:
        return next((row for row in self._rows.values() if row.slug == slug), None)

    async def find_by_session(self, session: str) -> Sequence[Association]:
        found = [row for row in self._rows.values() if row.whatsapp.session == session]
        return sorted(found, key=_slug)

    async def list(self) -> Sequence[Association]:
        return sorted(self._rows.values(), key=_slug)

    @property
    def _rows(self) -> dict[str, Association]:
        return self._workspace.tables.associations


def _email(agent: Agent) -> Hashable:
    return (agent.association_id, agent.email)


def _token_id(token: ApiToken) -> Hashable:
    return token.id


class InMemoryAgentRepository:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    async def add(self, agent: Agent) -> None:
        insert(self._rows, agent.id, _lowercased(agent), (_email,))

    async def update(self, agent: Agent) -> None:
        replace(self._rows, agent.id, _lowercased(agent), (_email,))

    async def get(self, association_id: str, agent_id: str) -> Agent | None:
        agent = self._rows.get(agent_id)
        return agent if agent is not None and agent.association_id == association_id else None

    async def get_by_email(self, association_id: str, email: str) -> Agent | None:
        wanted = (association_id, email.lower())
        return next((agent for agent in self._rows.values() if _email(agent) == wanted), None)

    async def list(self, association_id: str) -> Sequence[Agent]:
        mine = [agent for agent in self._rows.values() if agent.association_id == association_id]
        return sorted(mine, key=lambda agent: agent.email)

    async def add_token(self, token_hash: str, token: ApiToken) -> None:
        insert(self._tokens, token_hash, token, (_token_id,))

    async def find_by_token(self, token_hash: str) -> tuple[Agent, ApiToken] | None:
        token = self._tokens.get(token_hash)
        agent = None if token is None else self._rows.get(token.agent_id)
        return None if agent is None or token is None else (agent, token)

    async def list_tokens(self, agent_id: str) -> Sequence[ApiToken]:
        mine = [token for token in self._tokens.values() if token.agent_id == agent_id]
        return sorted(mine, key=lambda token: (token.created_at, token.id), reverse=True)

    async def token_used(self, token_id: str, at: datetime) -> None:
        for token_hash, token in self._tokens.items():
            if token.id == token_id:
                self._tokens[token_hash] = dataclasses.replace(token, last_used_at=at)

    async def revoke_token(self, agent_id: str, token_id: str) -> bool:
        return self._delete_tokens(lambda t: t.agent_id == agent_id and t.id == token_id) > 0

    async def revoke_tokens(self, agent_id: str) -> int:
        return self._delete_tokens(lambda token: token.agent_id == agent_id)

    async def add_session(self, session: BrowserSession) -> None:
        insert(self._sessions, session.id_hash, session)

    async def find_session(self, id_hash: str) -> BrowserSession | None:
        return self._sessions.get(id_hash)

    async def end_session(self, id_hash: str) -> None:
        self._sessions.pop(id_hash, None)

    async def end_sessions(self, agent_id: str, keep: str | None = None) -> int:
        return self._delete_sessions(lambda s: s.agent_id == agent_id and s.id_hash != keep)

    async def prune_sessions(self, association_id: str, before: datetime) -> int:
        return self._delete_sessions(
            lambda s: s.association_id == association_id and s.expires_at <= before
        )

    def _delete_tokens(self, doomed: Callable[[ApiToken], bool]) -> int:
        keys = [key for key, token in self._tokens.items() if doomed(token)]
        for key in keys:
            del self._tokens[key]
        return len(keys)

    def _delete_sessions(self, doomed: Callable[[BrowserSession], bool]) -> int:
        keys = [key for key, session in self._sessions.items() if doomed(session)]
        for key in keys:
            del self._sessions[key]
        return len(keys)

    @property
    def _tokens(self) -> dict[str, ApiToken]:
        return self._workspace.tables.tokens

    @property
    def _sessions(self) -> dict[str, BrowserSession]:
        return self._workspace.tables.browser_sessions

    @property
    def _rows(self) -> dict[str, Agent]:
        return self._workspace.tables.agents


def _lowercased(agent: Agent) -> Agent:
    """E-mails are stored lowercased, as in SQL, so lookups ignore case."""
    return dataclasses.replace(agent, email=agent.email.lower())
