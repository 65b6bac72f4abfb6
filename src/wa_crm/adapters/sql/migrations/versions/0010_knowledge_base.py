"""The knowledge base (issue 17): an association's documents split into passages, with the
passages' search terms indexed for full text, and the questions no passage answered.

The full-text index is the dialect's own and lives outside SQLAlchemy's metadata (tables.py,
``KNOWLEDGE_SEARCH_OBJECTS``): on SQLite an FTS5 table over the passages' terms, kept by
triggers (a later migration that rebuilds ``knowledge_passages`` with ``batch_alter_table`` must
make them again); on PostgreSQL a generated tsvector column with a GIN index.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)

_SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE knowledge_passages_fts USING fts5(terms, "
    "content='knowledge_passages', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER knowledge_passages_fts_insert AFTER INSERT ON knowledge_passages BEGIN "
    "INSERT INTO knowledge_passages_fts(rowid, terms) VALUES (new.id, new.terms); END",
    "CREATE TRIGGER knowledge_passages_fts_delete AFTER DELETE ON knowledge_passages BEGIN "
    "INSERT INTO knowledge_passages_fts(knowledge_passages_fts, rowid, terms) "
    "VALUES ('delete', old.id, old.terms); END",
    "CREATE TRIGGER knowledge_passages_fts_update AFTER UPDATE ON knowledge_passages BEGIN "
    "INSERT INTO knowledge_passages_fts(knowledge_passages_fts, rowid, terms) "
    "VALUES ('delete', old.id, old.terms); "
    "INSERT INTO knowledge_passages_fts(rowid, terms) VALUES (new.id, new.terms); END",
]
_POSTGRESQL_SEARCH = [
    "ALTER TABLE knowledge_passages ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED",
    "CREATE INDEX ix_knowledge_passages_search_vector ON knowledge_passages "
    "USING gin (search_vector)",
]


def upgrade() -> None:
    op.create_table(
        "knowledge_documents",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("filename", sa.String(), nullable=True),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["associations.id"],
            name="fk_knowledge_documents_association_id_associations",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_knowledge_documents"),
    )
    op.create_index(
        "ix_knowledge_documents_association_id_created_at",
        "knowledge_documents",
        ["association_id", "created_at"],
    )
    op.create_table(
        "knowledge_passages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("document_id", sa.String(), nullable=False),
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["knowledge_documents.id"],
            name="fk_knowledge_passages_document_id_knowledge_documents",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_knowledge_passages"),
        sa.UniqueConstraint(
            "document_id", "position", name="uq_knowledge_passages_document_id_position"
        ),
    )
    op.create_index(
        "ix_knowledge_passages_association_id", "knowledge_passages", ["association_id"]
    )
    op.create_table(
        "knowledge_unanswered",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("association_id", sa.String(), nullable=False),
        sa.Column("question_key", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("conversation_id", sa.String(), nullable=True),
        sa.Column("first_asked_at", UTC_DATETIME, nullable=False),
        sa.Column("last_asked_at", UTC_DATETIME, nullable=False),
        sa.Column("times_asked", sa.Integer(), nullable=False),
        sa.Column("answered_by", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["association_id"],
            ["associations.id"],
            name="fk_knowledge_unanswered_association_id_associations",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_knowledge_unanswered"),
    )
    op.create_index(
        "ix_knowledge_unanswered_open_question",
        "knowledge_unanswered",
        ["association_id", "question_key"],
        unique=True,
        sqlite_where=sa.text("answered_by IS NULL"),
        postgresql_where=sa.text("answered_by IS NULL"),
    )
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE_SEARCH if dialect == "sqlite" else _POSTGRESQL_SEARCH:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE knowledge_passages_fts")  # its triggers go with their table
    op.drop_table("knowledge_unanswered")
    op.drop_table("knowledge_passages")
    op.drop_table("knowledge_documents")
