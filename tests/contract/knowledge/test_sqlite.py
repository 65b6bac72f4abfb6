"""The knowledge base contract against SQLite (FTS5), a fresh migrated file per test."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from .sql import SqlKnowledgeBaseContract


class TestSqliteKnowledgeBase(SqlKnowledgeBaseContract):
    @pytest.fixture
    def engine(self, sqlite_engine: AsyncEngine) -> AsyncEngine:
        return sqlite_engine
