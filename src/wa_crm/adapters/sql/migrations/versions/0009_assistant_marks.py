"""The assistant that knows the association (issue 17): an emergency marks its conversation
urgent, so the inbox lists it first; a pending conversation no agent answered in time is marked
with when its first-response target passed; a voice note keeps its transcript.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("conversations") as table:
        table.add_column(
            sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        table.add_column(sa.Column("sla_breached_at", UTC_DATETIME, nullable=True))
    with op.batch_alter_table("messages") as table:
        table.add_column(sa.Column("transcript", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as table:
        table.drop_column("transcript")
    with op.batch_alter_table("conversations") as table:
        table.drop_column("sla_breached_at")
        table.drop_column("urgent")
