"""An inbox agents and admins can live in (issue 18): the association's label catalog (name and
colour, managed by admins in the browser), and a conversation's link to the contact's previous
one, so a contact who writes again after a resolve carries the labels forward and the agent sees
the earlier conversation.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "labels",
        sa.Column("association_id", sa.String(), sa.ForeignKey("associations.id"), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("colour", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("association_id", "name"),
    )
    with op.batch_alter_table("conversations") as table:
        table.add_column(sa.Column("previous_conversation_id", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as table:
        table.drop_column("previous_conversation_id")
    op.drop_table("labels")
