"""Assignment: automatic assignment settings per association, agents' presence and turns.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("associations") as table:
        table.add_column(
            sa.Column(
                "assignment_settings", sa.JSON(), nullable=False, server_default=sa.text("'{}'")
            )
        )
    op.create_table(
        "agent_presence",
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("agent_id", sa.String(), nullable=False),
        sa.Column("last_seen_at", UTC_DATETIME, nullable=True),
        sa.Column("left_at", UTC_DATETIME, nullable=True),
        sa.Column("last_assigned_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["associations.id"],
            name="fk_agent_presence_association_id_associations",
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name="fk_agent_presence_agent_id_agents"
        ),
        sa.PrimaryKeyConstraint("association_id", "agent_id", name="pk_agent_presence"),
    )


def downgrade() -> None:
    op.drop_table("agent_presence")
    with op.batch_alter_table("associations") as table:
        table.drop_column("assignment_settings")
