"""Security: browser sessions kept server-side, API tokens that expire and can be revoked,
agents that can be disabled, patient/order imports as durable jobs with progress, and an index
to prune processed event ids.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from wa_crm.domain.model.waha_server import server_key

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)
_log = logging.getLogger("wa_crm.migrations")


def upgrade() -> None:
    with op.batch_alter_table("agents") as table:
        table.add_column(sa.Column("disabled_at", UTC_DATETIME, nullable=True))

    # Tokens made before this revision get an id from their digest, so they can be listed and
    # revoked like new ones; they keep working and never expire unless revoked.
    with op.batch_alter_table("api_tokens") as table:
        table.add_column(sa.Column("id", sa.String(), nullable=True))
        table.add_column(sa.Column("name", sa.String(), nullable=False, server_default=""))
        table.add_column(sa.Column("expires_at", UTC_DATETIME, nullable=True))
        table.add_column(sa.Column("last_used_at", UTC_DATETIME, nullable=True))
    op.execute("UPDATE api_tokens SET id = substr(token_hash, 1, 16) WHERE id IS NULL")
    with op.batch_alter_table("api_tokens") as table:
        table.alter_column("id", existing_type=sa.String(), nullable=False)
        table.create_unique_constraint("uq_api_tokens_id", ["id"])
        table.create_index("ix_api_tokens_agent_id", ["agent_id"])

    op.create_table(
        "browser_sessions",
        sa.Column("id_hash", sa.String(), nullable=False),
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("agent_id", sa.String(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["associations.id"],
            name="fk_browser_sessions_association_id_associations",
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name="fk_browser_sessions_agent_id_agents"
        ),
        sa.PrimaryKeyConstraint("id_hash", name="pk_browser_sessions"),
    )
    op.create_index("ix_browser_sessions_agent_id", "browser_sessions", ["agent_id"])
    op.create_index("ix_browser_sessions_expires_at", "browser_sessions", ["expires_at"])

    op.create_table(
        "imports",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("file_key", sa.String(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("bad_rows", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.Column("file_offset", sa.BigInteger(), nullable=False),
        sa.Column("lines_read", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["association_id"], ["associations.id"], name="fk_imports_association_id_associations"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_imports"),
    )
    op.create_index(
        "ix_imports_association_id_created_at", "imports", ["association_id", "created_at"]
    )

    op.create_index("ix_processed_events_processed_at", "processed_events", ["processed_at"])

    # One association per WAHA server and session, by server identity (WahaServer.key) rather
    # than by the URL as typed.
    with op.batch_alter_table("associations") as table:
        table.add_column(sa.Column("waha_server", sa.String(), nullable=False, server_default=""))
        table.drop_index("uq_associations_waha_session")
    _identify_waha_servers()
    with op.batch_alter_table("associations") as table:
        table.create_index(
            "uq_associations_waha_server_session",
            ["waha_server", "waha_session"],
            unique=True,
            sqlite_where=sa.text("waha_server <> ''"),
            postgresql_where=sa.text("waha_server <> ''"),
        )


def _identify_waha_servers() -> None:
    """Fill ``waha_server``. Associations that held one server and session under two spellings
    (the takeover issue 14 closes) leave it to the oldest: the others are disconnected (base URL
    and phone cleared, so their admins set them up again) and named in the log.
    """
    associations = sa.table(
        "associations",
        sa.column("id", sa.String()),
        sa.column("slug", sa.String()),
        sa.column("waha_base_url", sa.String()),
        sa.column("waha_session", sa.String()),
        sa.column("waha_server", sa.String()),
        sa.column("whatsapp_phone", sa.String()),
        sa.column("created_at", UTC_DATETIME),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(associations)
        .where(associations.c.waha_base_url != "")
        .order_by(associations.c.created_at, associations.c.id)
    ).mappings()
    held: set[tuple[str, str]] = set()
    for row in list(rows):
        key = server_key(row["waha_base_url"])
        by_id = associations.update().where(associations.c.id == row["id"])
        if (key, row["waha_session"]) in held:
            _log.warning(
                "association %r shared its WAHA server and session with an older association: "
                "its WhatsApp connection was cleared, set it up again",
                row["slug"],
            )
            bind.execute(by_id.values(waha_base_url="", whatsapp_phone=None))
            continue
        held.add((key, row["waha_session"]))
        bind.execute(by_id.values(waha_server=key))


def downgrade() -> None:
    with op.batch_alter_table("associations") as table:
        table.drop_index("uq_associations_waha_server_session")
        table.create_index(
            "uq_associations_waha_session",
            ["waha_base_url", "waha_session"],
            unique=True,
            sqlite_where=sa.text("waha_base_url <> ''"),
            postgresql_where=sa.text("waha_base_url <> ''"),
        )
        table.drop_column("waha_server")
    op.drop_index("ix_processed_events_processed_at", table_name="processed_events")
    op.drop_index("ix_imports_association_id_created_at", table_name="imports")
    op.drop_table("imports")
    op.drop_index("ix_browser_sessions_expires_at", table_name="browser_sessions")
    op.drop_index("ix_browser_sessions_agent_id", table_name="browser_sessions")
    op.drop_table("browser_sessions")
    with op.batch_alter_table("api_tokens") as table:
        table.drop_index("ix_api_tokens_agent_id")
        table.drop_constraint("uq_api_tokens_id", type_="unique")
        table.drop_column("last_used_at")
        table.drop_column("expires_at")
        table.drop_column("name")
        table.drop_column("id")
    with op.batch_alter_table("agents") as table:
        table.drop_column("disabled_at")
