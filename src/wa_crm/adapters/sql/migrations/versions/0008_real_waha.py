"""Real WAHA (issue 15): reactions kept on the message they react to, the quoted text of a
reply, per-minute counts of refused webhooks for the monitoring page, and pending acks: acks
that overtook our send's WhatsApp id, kept until the id is stored; and when a message's first
send began, so that a send that may have gone is looked for before it is sent again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "message_reactions",
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("from_me", sa.Boolean(), nullable=False),
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("emoji", sa.String(), nullable=False),
        sa.Column("reacted_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name="fk_message_reactions_message_id_messages",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", "from_me", name="pk_message_reactions"),
    )
    with op.batch_alter_table("messages") as table:
        table.add_column(sa.Column("quoted_body", sa.Text(), nullable=True))
        table.add_column(sa.Column("send_started_at", UTC_DATETIME, nullable=True))
    op.create_table(
        "webhook_refusals",
        sa.Column("scope", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("minute", UTC_DATETIME, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "minute", "reason", name="pk_webhook_refusals"),
    )
    op.create_table(
        "pending_acks",
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("received_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("association_id", "external_id", name="pk_pending_acks"),
    )
    op.create_index("ix_pending_acks_received_at", "pending_acks", ["received_at"])
    # Failures withheld on purpose are not delivery failures: the count reads `error` too, from
    # the index alone.
    _failed_messages_index(["association_id", "created_at", "error"])


def _failed_messages_index(columns: list[str]) -> None:
    failed_outbound = sa.text("direction = 'out' AND status = 'failed'")
    op.drop_index("ix_messages_failed_association_id_created_at", table_name="messages")
    op.create_index(
        "ix_messages_failed_association_id_created_at",
        "messages",
        columns,
        sqlite_where=failed_outbound,
        postgresql_where=failed_outbound,
    )


def downgrade() -> None:
    _failed_messages_index(["association_id", "created_at"])
    op.drop_index("ix_pending_acks_received_at", table_name="pending_acks")
    op.drop_table("pending_acks")
    op.drop_table("webhook_refusals")
    with op.batch_alter_table("messages") as table:
        table.drop_column("send_started_at")
        table.drop_column("quoted_body")
    op.drop_table("message_reactions")
