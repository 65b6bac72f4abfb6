"""Urgent conversations pinned atop the inbox list read a partial index of their own, rather
than walking the association's whole activity index for the few marked urgent.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

URGENT = sa.text("urgent = true")


def upgrade() -> None:
    op.create_index(
        "ix_conversations_urgent",
        "conversations",
        ["association_id", "last_message_at", "id"],
        sqlite_where=URGENT,
        postgresql_where=URGENT,
    )


def downgrade() -> None:
    op.drop_index("ix_conversations_urgent", table_name="conversations")
