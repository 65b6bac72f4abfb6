"""Delivery reliability: per-association send rates, send slots, session status history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("associations") as table:
        table.add_column(
            sa.Column(
                "whatsapp_rate_per_second",
                sa.Float(),
                nullable=False,
                server_default=sa.text("2.0"),
            )
        )
        table.add_column(
            sa.Column(
                "whatsapp_chat_gap_seconds",
                sa.Float(),
                nullable=False,
                server_default=sa.text("1.0"),
            )
        )
    op.create_table(
        "send_slots",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("next_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_send_slots"),
    )
    op.create_table(
        "session_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["associations.id"],
            name="fk_session_events_association_id_associations",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_session_events"),
    )
    op.create_index(
        "ix_session_events_association_id_at", "session_events", ["association_id", "at"]
    )


def downgrade() -> None:
    op.drop_index("ix_session_events_association_id_at", table_name="session_events")
    op.drop_table("session_events")
    op.drop_table("send_slots")
    with op.batch_alter_table("associations") as table:
        table.drop_column("whatsapp_chat_gap_seconds")
        table.drop_column("whatsapp_rate_per_second")
