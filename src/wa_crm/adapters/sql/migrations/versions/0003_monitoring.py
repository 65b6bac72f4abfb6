"""Monitoring: handoffs and alerts kept for the monitoring page, indexes for statistics.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)
FAILED_OUTBOUND = sa.text("direction = 'out' AND status = 'failed'")


def upgrade() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("conversation_id", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("answered_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_handoffs"),
    )
    op.create_index(
        "ix_handoffs_statistics", "handoffs", ["association_id", "at", "answered_at", "reason"]
    )
    op.create_index(
        "ix_handoffs_unanswered_conversation_id",
        "handoffs",
        ["conversation_id"],
        sqlite_where=sa.text("answered_at IS NULL"),
        postgresql_where=sa.text("answered_at IS NULL"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["association_id"], ["associations.id"], name="fk_alerts_association_id_associations"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
    )
    op.create_index("ix_alerts_association_id_at", "alerts", ["association_id", "at"])
    op.create_index(
        "ix_messages_statistics",
        "messages",
        ["association_id", "created_at", "direction", "author", "conversation_id"],
    )
    op.create_index(
        "ix_messages_failed_association_id_created_at",
        "messages",
        ["association_id", "created_at"],
        sqlite_where=FAILED_OUTBOUND,
        postgresql_where=FAILED_OUTBOUND,
    )
    op.create_index(
        "ix_conversations_association_id_last_message_at_id",
        "conversations",
        ["association_id", "last_message_at", "id"],
    )
    op.drop_index(
        "ix_conversations_association_id_status_last_message_at", table_name="conversations"
    )
    op.create_index(
        "ix_conversations_association_id_status_last_message_at_id",
        "conversations",
        ["association_id", "status", "last_message_at", "id"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_conversations_association_id_status_last_message_at_id", table_name="conversations"
    )
    op.create_index(
        "ix_conversations_association_id_status_last_message_at",
        "conversations",
        ["association_id", "status", "last_message_at"],
    )
    op.drop_index("ix_conversations_association_id_last_message_at_id", table_name="conversations")
    op.drop_index("ix_messages_failed_association_id_created_at", table_name="messages")
    op.drop_index("ix_messages_statistics", table_name="messages")
    op.drop_index("ix_alerts_association_id_at", table_name="alerts")
    op.drop_table("alerts")
    op.drop_index("ix_handoffs_unanswered_conversation_id", table_name="handoffs")
    op.drop_index("ix_handoffs_statistics", table_name="handoffs")
    op.drop_table("handoffs")
