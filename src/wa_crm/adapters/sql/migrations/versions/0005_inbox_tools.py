"""Inbox tools: canned replies, private notes, labels, satisfaction ratings, snooze.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)
LABELLED = sa.text("labels IS NOT NULL")
RATED = sa.text("rated_at IS NOT NULL")
SNOOZED = sa.text("snoozed_until IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("conversations") as table:
        table.add_column(sa.Column("labels", sa.JSON(none_as_null=True), nullable=True))
        table.add_column(sa.Column("rating", sa.Integer(), nullable=True))
        table.add_column(sa.Column("rating_requested_at", UTC_DATETIME, nullable=True))
        table.add_column(sa.Column("rated_at", UTC_DATETIME, nullable=True))
        table.add_column(sa.Column("snoozed_until", UTC_DATETIME, nullable=True))
    op.create_index(
        "ix_conversations_labelled",
        "conversations",
        ["association_id", "created_at"],
        sqlite_where=LABELLED,
        postgresql_where=LABELLED,
    )
    op.create_index(
        "ix_conversations_rated",
        "conversations",
        ["association_id", "rated_at", "rating"],
        sqlite_where=RATED,
        postgresql_where=RATED,
    )
    op.create_index(
        "ix_conversations_snoozed",
        "conversations",
        ["association_id", "snoozed_until"],
        sqlite_where=SNOOZED,
        postgresql_where=SNOOZED,
    )
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("shortcut", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["associations.id"],
            name="fk_canned_replies_association_id_associations",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_canned_replies"),
        sa.UniqueConstraint(
            "association_id", "shortcut", name="uq_canned_replies_association_id_shortcut"
        ),
    )
    op.create_table(
        "conversation_notes",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("conversation_id", sa.String(), nullable=False),
        sa.Column("agent_id", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conversation_notes"),
    )
    op.create_index(
        "ix_conversation_notes_conversation_id_created_at",
        "conversation_notes",
        ["conversation_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_conversation_notes_conversation_id_created_at", table_name="conversation_notes"
    )
    op.drop_table("conversation_notes")
    op.drop_table("canned_replies")
    op.drop_index("ix_conversations_snoozed", table_name="conversations")
    op.drop_index("ix_conversations_rated", table_name="conversations")
    op.drop_index("ix_conversations_labelled", table_name="conversations")
    with op.batch_alter_table("conversations") as table:
        table.drop_column("snoozed_until")
        table.drop_column("rated_at")
        table.drop_column("rating_requested_at")
        table.drop_column("rating")
        table.drop_column("labels")
