"""The inbox query contract against PostgreSQL (tsvector), this session's database."""

from __future__ import annotations

import pytest
from tests.contract.persistence.test_postgres import PostgresAdapter

from .sql import SqlInboxSearchContract

pytestmark = pytest.mark.postgres


class TestPostgresInboxSearch(PostgresAdapter, SqlInboxSearchContract): ...
