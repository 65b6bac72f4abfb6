"""Associations, agents and API tokens in memory.

These are deeply immutable (frozen dataclasses of strings, tuples and times), so stored rows
are handed out as they are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from datetime import datetime

from wa_crm.adapters.memory.store import StoredToken, Workspace, insert, replace
from wa_crm.domain.model.association import Association
from wa_crm.domain.model.people import Agent


def _slug(association: Association) -> str:
    return association.slug


def _waha_session(association: Association) -> Hashable | None:
    """Unique only once configured: unconfigured associations share ("", "default")."""
    whatsapp = association.whatsapp
    return (whatsapp.base_url, whatsapp.session) if whatsapp.base_url else None


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

    async def add_token(self, agent_id: str, token_hash: str, created_at: datetime) -> None:
        insert(self._workspace.tables.tokens, token_hash, StoredToken(agent_id, created_at))

    async def find_by_token(self, token_hash: str) -> Agent | None:
        token = self._workspace.tables.tokens.get(token_hash)
        return None if token is None else self._rows.get(token.agent_id)

    @property
    def _rows(self) -> dict[str, Agent]:
        return self._workspace.tables.agents


def _lowercased(agent: Agent) -> Agent:
    """E-mails are stored lowercased, as in SQL, so lookups ignore case."""
    return dataclasses.replace(agent, email=agent.email.lower())
