"""Persistence on SQLite (aiosqlite) or PostgreSQL (asyncpg) with SQLAlchemy Core and Alembic."""

from __future__ import annotations

from wa_crm.adapters.sql.engine import create_engine
from wa_crm.adapters.sql.migrate import SchemaNotCurrent, ensure_schema_current, upgrade
from wa_crm.adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = [
    "SchemaNotCurrent",
    "SqlUnitOfWork",
    "create_engine",
    "ensure_schema_current",
    "upgrade",
]
