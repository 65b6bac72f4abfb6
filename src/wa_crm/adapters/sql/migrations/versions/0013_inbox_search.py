"""The inbox's search and sort (issue 18): what the search compares, kept beside what it reads,
and since when a conversation waits for an answer.

- ``contacts.search_name``/``search_phone`` and ``patients.search_name``: names without case or
  accents and the phone's digits (``inbox_search.name_key``/``phone_key``), filled here for the
  rows already stored; the mappers keep them from now on.
- ``message_terms``: each message's search terms (``inbox_search.message_terms``), filled here
  for the messages already stored (in batches, oldest first, so row ids follow time as they do
  for new messages), with the dialect's full-text index outside SQLAlchemy's metadata
  (``tables.SEARCH_OBJECTS``), as 0010 made the knowledge base's: on SQLite an FTS5 table kept
  by triggers, on PostgreSQL a generated tsvector column with a GIN index.
- ``conversations.waiting_since`` with a partial index, filled for open conversations with
  their oldest contact message that no bot or agent message followed.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from wa_crm.domain.model.inbox_search import name_key, phone_key
from wa_crm.domain.model.knowledge_text import search_terms

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)
WAITING = sa.text("waiting_since IS NOT NULL")
BATCH = 1000

_SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE message_terms_fts USING fts5(terms, "
    "content='message_terms', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER message_terms_fts_insert AFTER INSERT ON message_terms BEGIN "
    "INSERT INTO message_terms_fts(rowid, terms) VALUES (new.id, new.terms); END",
    "CREATE TRIGGER message_terms_fts_delete AFTER DELETE ON message_terms BEGIN "
    "INSERT INTO message_terms_fts(message_terms_fts, rowid, terms) "
    "VALUES ('delete', old.id, old.terms); END",
    "CREATE TRIGGER message_terms_fts_update AFTER UPDATE ON message_terms BEGIN "
    "INSERT INTO message_terms_fts(message_terms_fts, rowid, terms) "
    "VALUES ('delete', old.id, old.terms); "
    "INSERT INTO message_terms_fts(rowid, terms) VALUES (new.id, new.terms); END",
]
_POSTGRESQL_SEARCH = [
    "ALTER TABLE message_terms ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED",
    "CREATE INDEX ix_message_terms_search_vector ON message_terms USING gin (search_vector)",
]

_WAITING_SINCE = sa.text(
    """
    UPDATE conversations SET waiting_since = (
        SELECT min(m.created_at) FROM messages AS m
        WHERE m.conversation_id = conversations.id AND m.author = 'contact'
            AND NOT EXISTS (
                SELECT 1 FROM messages AS a
                WHERE a.conversation_id = m.conversation_id
                    AND a.author IN ('bot', 'agent') AND a.created_at > m.created_at
            )
    )
    WHERE status <> 'resolved'
    """
)


def upgrade() -> None:
    with op.batch_alter_table("contacts") as table:
        table.add_column(sa.Column("search_name", sa.String(), nullable=False, server_default=""))
        table.add_column(sa.Column("search_phone", sa.String(), nullable=False, server_default=""))
    with op.batch_alter_table("patients") as table:
        table.add_column(sa.Column("search_name", sa.String(), nullable=False, server_default=""))
    with op.batch_alter_table("conversations") as table:
        table.add_column(sa.Column("waiting_since", UTC_DATETIME, nullable=True))
    op.create_index(
        "ix_conversations_waiting",
        "conversations",
        ["association_id", "waiting_since", "id"],
        sqlite_where=WAITING,
        postgresql_where=WAITING,
    )
    op.create_table(
        "message_terms",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("conversation_id", sa.String(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name="fk_message_terms_message_id_messages",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_message_terms"),
        sa.UniqueConstraint("message_id", name="uq_message_terms_message_id"),
    )
    op.create_index("ix_message_terms_conversation_id", "message_terms", ["conversation_id"])
    bind = op.get_bind()
    for statement in _SQLITE_SEARCH if bind.dialect.name == "sqlite" else _POSTGRESQL_SEARCH:
        op.execute(statement)
    _fill_contacts(bind)
    _fill_patients(bind)
    _fill_message_terms(bind)
    bind.execute(_WAITING_SINCE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE message_terms_fts")  # its triggers go with their table
    op.drop_table("message_terms")
    op.drop_index("ix_conversations_waiting", table_name="conversations")
    with op.batch_alter_table("conversations") as table:
        table.drop_column("waiting_since")
    with op.batch_alter_table("patients") as table:
        table.drop_column("search_name")
    with op.batch_alter_table("contacts") as table:
        table.drop_column("search_phone")
        table.drop_column("search_name")


def _batches(
    bind: sa.Connection, select: str, key: tuple[str, ...]
) -> Iterator[Sequence[sa.RowMapping]]:
    """The rows of ``select`` (ordered by ``key``, with a ``{where}`` slot and ``:limit``) in
    batches, by key: no cursor stays open while the caller writes."""
    condition, after = "", dict[str, Any]()
    bounds = f"WHERE ({', '.join(key)}) > ({', '.join(f':after_{column}' for column in key)})"
    while True:
        statement = sa.text(select.format(where=condition))
        batch = bind.execute(statement, {"limit": BATCH, **after}).mappings().all()
        if not batch:
            return
        yield batch
        condition, after = bounds, {f"after_{column}": batch[-1][column] for column in key}


def _fill_contacts(bind: sa.Connection) -> None:
    select = "SELECT id, display_name, phone FROM contacts {where} ORDER BY id LIMIT :limit"
    update = sa.text(
        "UPDATE contacts SET search_name = :name, search_phone = :phone WHERE id = :id"
    )
    for batch in _batches(bind, select, ("id",)):
        bind.execute(
            update,
            [
                {
                    "id": row["id"],
                    "name": name_key(row["display_name"]),
                    "phone": phone_key(row["phone"]),
                }
                for row in batch
            ],
        )


def _fill_patients(bind: sa.Connection) -> None:
    select = (
        "SELECT association_id, id, full_name FROM patients {where} "
        "ORDER BY association_id, id LIMIT :limit"
    )
    update = sa.text(
        "UPDATE patients SET search_name = :name "
        "WHERE association_id = :association_id AND id = :id"
    )
    for batch in _batches(bind, select, ("association_id", "id")):
        bind.execute(
            update,
            [
                {
                    "association_id": row["association_id"],
                    "id": row["id"],
                    "name": name_key(row["full_name"]),
                }
                for row in batch
            ],
        )


def _fill_message_terms(bind: sa.Connection) -> None:
    select = (
        "SELECT id, association_id, conversation_id, body, transcript, created_at FROM messages "
        "{where} ORDER BY created_at, id LIMIT :limit"
    )
    insert = sa.text(
        "INSERT INTO message_terms (message_id, association_id, conversation_id, terms) "
        "VALUES (:message_id, :association_id, :conversation_id, :terms)"
    )
    for batch in _batches(bind, select, ("created_at", "id")):
        rows = []
        for row in batch:
            said = "\n".join(part for part in (row["body"], row["transcript"]) if part)
            terms = " ".join(dict.fromkeys(search_terms(said)))
            if terms:
                rows.append(
                    {
                        "message_id": row["id"],
                        "association_id": row["association_id"],
                        "conversation_id": row["conversation_id"],
                        "terms": terms,
                    }
                )
        if rows:
            bind.execute(insert, rows)
