"""Privacy: opt-out state of contacts, privacy settings per association, the audit log, the
anonymous counts of deleted messages.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("associations") as table:
        table.add_column(
            sa.Column("privacy_settings", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    with op.batch_alter_table("contacts") as table:
        table.add_column(sa.Column("opted_out_at", UTC_DATETIME, nullable=True))
        table.add_column(sa.Column("opt_out_source", sa.String(), nullable=True))
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("target_type", sa.String(), nullable=False),
        sa.Column("target_id", sa.String(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["associations.id"],
            name="fk_audit_log_association_id_associations",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_association_id_at", "audit_log", ["association_id", "at"])
    op.create_index("ix_audit_log_association_id_id", "audit_log", ["association_id", "id"])
    op.create_table(
        "message_rollups",
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("hour", UTC_DATETIME, nullable=False),
        sa.Column("conversation_id", sa.String(), nullable=False),
        sa.Column("inbound", sa.Integer(), nullable=False),
        sa.Column("outbound", sa.Integer(), nullable=False),
        sa.Column("bot", sa.Integer(), nullable=False),
        sa.Column("agent", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "association_id", "hour", "conversation_id", name="pk_message_rollups"
        ),
    )


def downgrade() -> None:
    op.drop_table("message_rollups")
    op.drop_index("ix_audit_log_association_id_id", table_name="audit_log")
    op.drop_index("ix_audit_log_association_id_at", table_name="audit_log")
    op.drop_table("audit_log")
    with op.batch_alter_table("contacts") as table:
        table.drop_column("opt_out_source")
        table.drop_column("opted_out_at")
    with op.batch_alter_table("associations") as table:
        table.drop_column("privacy_settings")
