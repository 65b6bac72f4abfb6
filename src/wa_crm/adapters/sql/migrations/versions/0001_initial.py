"""Initial schema.

Revision ID: 0001
Revises:
Create Date: 2026-01-01

Written by hand to match tables.py; a contract test compares the two on both dialects.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "associations",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("slug", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("locale", sa.String(), nullable=False),
        sa.Column("waha_base_url", sa.String(), nullable=False),
        sa.Column("waha_api_key", sa.Text(), nullable=False),
        sa.Column("waha_session", sa.String(), nullable=False),
        sa.Column("webhook_secret", sa.Text(), nullable=False),
        sa.Column("whatsapp_phone", sa.String(), nullable=True),
        sa.Column("bot_settings", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_associations"),
        sa.UniqueConstraint("slug", name="uq_associations_slug"),
    )
    op.create_index(
        "uq_associations_waha_session",
        "associations",
        ["waha_base_url", "waha_session"],
        unique=True,
        sqlite_where=sa.text("waha_base_url <> ''"),
        postgresql_where=sa.text("waha_base_url <> ''"),
    )
    op.create_table(
        "agents",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agents"),
        sa.ForeignKeyConstraint(
            ["association_id"], ["associations.id"], name="fk_agents_association_id_associations"
        ),
        sa.UniqueConstraint("association_id", "email", name="uq_agents_association_id_email"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("agent_id", sa.String(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_api_tokens"),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name="fk_api_tokens_agent_id_agents"),
    )
    op.create_table(
        "patients",
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("full_name", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("association_id", "id", name="pk_patients"),
    )
    op.create_table(
        "patient_phones",
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("patient_id", sa.String(), nullable=False),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("association_id", "patient_id", "phone", name="pk_patient_phones"),
        sa.ForeignKeyConstraint(
            ["association_id", "patient_id"],
            ["patients.association_id", "patients.id"],
            name="fk_patient_phones_association_id_patients",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_patient_phones_association_id_phone", "patient_phones", ["association_id", "phone"]
    )
    op.create_table(
        "orders",
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("patient_id", sa.String(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("total", sa.Numeric(12, 2), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("association_id", "id", name="pk_orders"),
    )
    op.create_index(
        "ix_orders_association_id_patient_id", "orders", ["association_id", "patient_id"]
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("wa_chat_id", sa.String(), nullable=False),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("lid", sa.String(), nullable=True),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("patient_id", sa.String(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contacts"),
        sa.UniqueConstraint(
            "association_id", "wa_chat_id", name="uq_contacts_association_id_wa_chat_id"
        ),
    )
    op.create_index("ix_contacts_association_id_phone", "contacts", ["association_id", "phone"])
    op.create_index("ix_contacts_association_id_lid", "contacts", ["association_id", "lid"])
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("contact_id", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("session", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("assignee_id", sa.String(), nullable=True),
        sa.Column("handoff_reason", sa.String(), nullable=True),
        sa.Column("handoff_note", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("bot_turns", sa.Integer(), nullable=False),
        sa.Column("last_message_id", sa.String(), nullable=True),
        sa.Column("last_message_at", UTC_DATETIME, nullable=True),
        sa.Column("unread_count", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("resolved_at", UTC_DATETIME, nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conversations"),
    )
    op.create_index(
        "ix_conversations_association_id_status_last_message_at",
        "conversations",
        ["association_id", "status", "last_message_at"],
    )
    op.create_index("ix_conversations_contact_id", "conversations", ["contact_id"])
    op.create_index(
        "uq_conversations_open_contact_channel",
        "conversations",
        ["contact_id", "channel"],
        unique=True,
        sqlite_where=sa.text("status <> 'resolved'"),
        postgresql_where=sa.text("status <> 'resolved'"),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("conversation_id", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=True),
        sa.Column("direction", sa.String(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("agent_id", sa.String(), nullable=True),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("media", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("reply_to", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.UniqueConstraint(
            "association_id", "external_id", name="uq_messages_association_id_external_id"
        ),
    )
    op.create_index(
        "ix_messages_conversation_id_created_at", "messages", ["conversation_id", "created_at"]
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("association_id", sa.String(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("run_after", UTC_DATETIME, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("locked_by", sa.String(), nullable=True),
        sa.Column("locked_until", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.UniqueConstraint("key", name="uq_jobs_key"),
    )
    op.create_index("ix_jobs_status_run_after", "jobs", ["status", "run_after"])
    op.create_table(
        "processed_events",
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("processed_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("association_id", "event_id", name="pk_processed_events"),
    )


def downgrade() -> None:
    for table in (
        "processed_events",
        "jobs",
        "messages",
        "conversations",
        "contacts",
        "orders",
        "patient_phones",
        "patients",
        "api_tokens",
        "agents",
        "associations",
    ):
        op.drop_table(table)
