"""The inbox query contract against SQLite (FTS5), a fresh migrated file per test."""

from __future__ import annotations

from tests.contract.persistence.test_sqlite import SqliteAdapter

from .sql import SqlInboxSearchContract


class TestSqliteInboxSearch(SqliteAdapter, SqlInboxSearchContract): ...
