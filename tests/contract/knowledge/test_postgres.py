"""The knowledge base contract against PostgreSQL (tsvector), this session's database."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from .sql import SqlKnowledgeBaseContract

pytestmark = pytest.mark.postgres


class TestPostgresKnowledgeBase(SqlKnowledgeBaseContract):
    @pytest.fixture
    def engine(self, postgres_engine: AsyncEngine) -> AsyncEngine:
        return postgres_engine
