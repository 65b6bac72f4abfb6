"""The KnowledgeBase port on SQLite or PostgreSQL (architecture.md sections 3 and 4).

Writes go through the service's engine; reads, and above all ``search``, through the read-only
one (``create_engine(url, read_only=True)``), so the assistant's searches never wait for the
SQLite writer. Each passage keeps its search terms (``knowledge_text.search_terms``: unaccented
Portuguese stems), and the dialect's full-text index over those terms finds the candidates in
one round trip, tenant first:

- SQLite: the FTS5 table ``knowledge_passages_fts`` (``unicode61 remove_diacritics 2``; FTS5
  has no Portuguese stemmer, so it indexes the stems made in Python), ``"t1" OR "t2"``, best
  by ``bm25``.
- PostgreSQL: the generated ``search_vector`` column, ``to_tsvector('simple', terms)`` with a
  GIN index, ``to_tsquery('simple', 't1 | t2')``, best by ``ts_rank``. Its ``portuguese``
  configuration is not used: its stemmer gives "associacao" and "associações" different stems,
  where the Python terms fold accents and plurals first.

Both then rerank the best ``CANDIDATES`` with the shared scorer (``knowledge_text``), as the
memory adapter ranks all of its passages, so the three agree on the top results. With the
question's embedding, every passage of the association that has one is a candidate too (a
paraphrase sharing no word can still be found), scored by the better of its full-text score
and its cosine similarity. Embeddings are stored as ``knowledge_text.stored_embedding`` in
little-endian float32: parsing them as JSON took most of a hybrid search.
"""

from __future__ import annotations

import sys
import uuid
from array import array
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Integer,
    LargeBinary,
    String,
    Text,
    bindparam,
    delete,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.selectable import TextualSelect

from wa_crm.adapters.sql.execution import execute, per_dialect, upsert_insert
from wa_crm.adapters.sql.tables import (
    KNOWLEDGE_FTS,
    KNOWLEDGE_OPEN_QUESTION,
    KNOWLEDGE_TSVECTOR,
    knowledge_documents,
    knowledge_passages,
    knowledge_unanswered,
)
from wa_crm.domain.model.knowledge import (
    DocumentKind,
    KnowledgeDocument,
    Passage,
    UnansweredQuestion,
)
from wa_crm.domain.model.knowledge_text import (
    Candidate,
    best_passages,
    question_key,
    question_terms,
    search_terms,
    stored_embedding,
)

CANDIDATES = 100
"""How many full-text matches are reranked; more would only add passages the scorer ranks
below them anyway."""

_DOCUMENT_IN_ASSOCIATION = (
    knowledge_documents.c.association_id == bindparam("association_id"),
    knowledge_documents.c.id == bindparam("document_id"),
)
_DOCUMENT = select(knowledge_documents).where(*_DOCUMENT_IN_ASSOCIATION)
_DOCUMENTS = (
    select(knowledge_documents)
    .where(knowledge_documents.c.association_id == bindparam("association_id"))
    .order_by(knowledge_documents.c.created_at.desc(), knowledge_documents.c.id.desc())
)
_ADD_DOCUMENT = insert(knowledge_documents)
_REPLACE_DOCUMENT = update(knowledge_documents).where(
    knowledge_documents.c.association_id == bindparam("key_association_id"),
    knowledge_documents.c.id == bindparam("key_id"),
)
_REMOVE_DOCUMENT = delete(knowledge_documents).where(*_DOCUMENT_IN_ASSOCIATION)
_REMOVE_PASSAGES = delete(knowledge_passages).where(
    knowledge_passages.c.document_id == bindparam("document_id")
)
_ADD_PASSAGE = insert(knowledge_passages)

_QUESTION_IN_ASSOCIATION = (
    knowledge_unanswered.c.association_id == bindparam("association_id"),
    knowledge_unanswered.c.id == bindparam("question_id"),
)
_QUESTION = select(knowledge_unanswered).where(*_QUESTION_IN_ASSOCIATION)
_OPEN_QUESTIONS = (
    select(knowledge_unanswered)
    .where(
        knowledge_unanswered.c.association_id == bindparam("association_id"),
        knowledge_unanswered.c.answered_by.is_(None),
    )
    .order_by(
        knowledge_unanswered.c.times_asked.desc(),
        knowledge_unanswered.c.last_asked_at.desc(),
        knowledge_unanswered.c.id,
    )
    .limit(bindparam("limit", type_=Integer))
)
_MARK_ANSWERED = (
    update(knowledge_unanswered)
    .where(
        knowledge_unanswered.c.association_id == bindparam("key_association_id"),
        knowledge_unanswered.c.id == bindparam("key_id"),
        knowledge_unanswered.c.answered_by.is_(None),
    )
    .values(answered_by=bindparam("answer_id"))
)
_OF_CONVERSATIONS = (
    knowledge_unanswered.c.association_id == bindparam("association_id"),
    knowledge_unanswered.c.conversation_id.in_(bindparam("conversation_ids", expanding=True)),
)
_QUESTIONS_OF_CONVERSATIONS = (
    select(knowledge_unanswered)
    .where(*_OF_CONVERSATIONS)
    .order_by(knowledge_unanswered.c.first_asked_at, knowledge_unanswered.c.id)
)
_FORGET_QUESTIONS = delete(knowledge_unanswered).where(*_OF_CONVERSATIONS)
_EXPIRED_QUESTION_IDS = (
    select(knowledge_unanswered.c.id)
    .where(
        knowledge_unanswered.c.association_id == bindparam("association_id"),
        knowledge_unanswered.c.first_asked_at < bindparam("before"),
    )
    .order_by(knowledge_unanswered.c.first_asked_at, knowledge_unanswered.c.id)
    .limit(bindparam("limit", type_=Integer))
)
_PURGE_QUESTIONS = delete(knowledge_unanswered).where(
    knowledge_unanswered.c.id.in_(_EXPIRED_QUESTION_IDS)
)

_CANDIDATE_COLUMNS = """
    SELECT p.document_id, p.position, d.title, p.text, p.terms, p.embedding,
        (SELECT count(*) FROM knowledge_passages AS n
         WHERE n.association_id = :association_id) AS passage_count
    FROM knowledge_passages AS p JOIN knowledge_documents AS d ON d.id = p.document_id
"""
_MATCHES = {
    "sqlite": f"""
        SELECT m.id FROM {KNOWLEDGE_FTS} AS f JOIN knowledge_passages AS m ON m.id = f.rowid
        WHERE {KNOWLEDGE_FTS} MATCH :query AND m.association_id = :association_id
        ORDER BY f.rank LIMIT {CANDIDATES}
    """,
    "postgresql": f"""
        SELECT m.id FROM knowledge_passages AS m
        WHERE m.{KNOWLEDGE_TSVECTOR} @@ to_tsquery('simple', :query)
            AND m.association_id = :association_id
        ORDER BY ts_rank(m.{KNOWLEDGE_TSVECTOR}, to_tsquery('simple', :query)) DESC, m.id
        LIMIT {CANDIDATES}
    """,
}
_EMBEDDED = "(p.association_id = :association_id AND p.embedding IS NOT NULL)"


@cache
def _candidates_statement(dialect: str, full_text: bool, embedded: bool) -> TextualSelect:
    """The candidates of a question, with the association's passage count, in one query."""
    conditions = []
    if full_text:
        conditions.append(f"p.id IN ({_MATCHES[dialect]})")
    if embedded:
        conditions.append(_EMBEDDED)
    return text(f"{_CANDIDATE_COLUMNS} WHERE {' OR '.join(conditions)}").columns(
        document_id=String,
        position=Integer,
        title=String,
        text=Text,
        terms=Text,
        embedding=LargeBinary,
        passage_count=Integer,
    )


def _match_query(dialect: str, terms: Sequence[str]) -> str:
    """The question's terms OR-ed in the dialect's syntax; terms are letters and digits only
    (``search_terms``), quoted all the same."""
    if dialect == "sqlite":
        return " OR ".join(f'"{term}"' for term in terms)
    return " | ".join(f"'{term}'" for term in terms)


def _open_question_upsert(dialect: str) -> Any:
    """Insert the question, or count it on the open record of the same question."""
    statement = upsert_insert(dialect, knowledge_unanswered)
    return statement.on_conflict_do_update(
        index_elements=[knowledge_unanswered.c.association_id, knowledge_unanswered.c.question_key],
        index_where=KNOWLEDGE_OPEN_QUESTION,
        set_={
            "times_asked": knowledge_unanswered.c.times_asked + 1,
            "last_asked_at": statement.excluded.last_asked_at,
        },
    ).returning(*knowledge_unanswered.c)


_RECORD_QUESTION = per_dialect(_open_question_upsert)


class SqlKnowledgeBase:
    def __init__(self, engine: AsyncEngine, read_engine: AsyncEngine) -> None:
        """``read_engine`` is ``create_engine(url, read_only=True)`` on the same database."""
        self._engine = engine
        self._read_engine = read_engine

    async def save(
        self,
        document: KnowledgeDocument,
        passages: Sequence[str],
        embeddings: Sequence[Sequence[float]] | None = None,
    ) -> None:
        if embeddings is not None and len(embeddings) != len(passages):
            raise ValueError("one embedding per passage")
        changed = {
            "title": document.title,
            "kind": document.kind.value,
            "text": document.text,
            "filename": document.filename,
            "chunks": len(passages),
            "updated_at": document.updated_at,
        }
        key = {"key_association_id": document.association_id, "key_id": document.id}
        passage_rows = [
            {
                "document_id": document.id,
                "association_id": document.association_id,
                "position": position,
                "text": passage,
                "terms": " ".join(search_terms(f"{document.title}\n{passage}")),
                "embedding": None if embeddings is None else _packed(embeddings[position]),
            }
            for position, passage in enumerate(passages)
        ]
        async with self._engine.begin() as connection:
            replaced = await execute(connection, _REPLACE_DOCUMENT, changed | key)
            if replaced.rowcount:
                await execute(connection, _REMOVE_PASSAGES, {"document_id": document.id})
            else:
                added = changed | {
                    "id": document.id,
                    "association_id": document.association_id,
                    "created_at": document.created_at,
                }
                await execute(connection, _ADD_DOCUMENT, added)
            if passage_rows:
                await execute(connection, _ADD_PASSAGE, passage_rows)

    async def remove(self, association_id: str, document_id: str) -> bool:
        parameters = {"association_id": association_id, "document_id": document_id}
        async with self._engine.begin() as connection:
            owned = (await execute(connection, _DOCUMENT, parameters)).first()
            if owned is None:
                return False
            await execute(connection, _REMOVE_PASSAGES, parameters)
            await execute(connection, _REMOVE_DOCUMENT, parameters)
            return True

    async def get(self, association_id: str, document_id: str) -> KnowledgeDocument | None:
        parameters = {"association_id": association_id, "document_id": document_id}
        async with self._read_engine.connect() as connection:
            row = (await execute(connection, _DOCUMENT, parameters)).mappings().first()
        return None if row is None else _document(row)

    async def documents(self, association_id: str) -> list[KnowledgeDocument]:
        async with self._read_engine.connect() as connection:
            result = await execute(connection, _DOCUMENTS, {"association_id": association_id})
            return [_document(row) for row in result.mappings()]

    async def search(
        self,
        association_id: str,
        question: str,
        limit: int,
        embedding: Sequence[float] | None = None,
    ) -> list[Passage]:
        terms = question_terms(question)
        if limit <= 0 or (not terms and embedding is None):
            return []
        async with self._read_engine.connect() as connection:
            dialect = connection.dialect.name
            statement = _candidates_statement(dialect, bool(terms), embedding is not None)
            parameters = {"association_id": association_id, "query": _match_query(dialect, terms)}
            rows = (await execute(connection, statement, parameters)).mappings().all()
        candidates = [
            Candidate(
                document_id=row["document_id"],
                position=row["position"],
                title=row["title"],
                text=row["text"],
                terms=row["terms"].split(),
                embedding=None if row["embedding"] is None else _unpacked(row["embedding"]),
            )
            for row in rows
        ]
        passage_count = rows[0]["passage_count"] if rows else 0
        return best_passages(question, candidates, passage_count, limit, embedding)

    async def record_unanswered(
        self, association_id: str, text: str, conversation_id: str | None, at: datetime
    ) -> UnansweredQuestion:
        row = {
            "id": str(uuid.uuid4()),
            "association_id": association_id,
            "question_key": question_key(text),
            "text": text,
            "conversation_id": conversation_id,
            "first_asked_at": at,
            "last_asked_at": at,
            "times_asked": 1,
            "answered_by": None,
        }
        async with self._engine.begin() as connection:
            recorded = (
                (await execute(connection, _RECORD_QUESTION(connection), row)).mappings().one()
            )
        return _question(recorded)

    async def unanswered(self, association_id: str, limit: int) -> list[UnansweredQuestion]:
        parameters = {"association_id": association_id, "limit": limit}
        async with self._read_engine.connect() as connection:
            result = await execute(connection, _OPEN_QUESTIONS, parameters)
            return [_question(row) for row in result.mappings()]

    async def get_unanswered(
        self, association_id: str, question_id: str
    ) -> UnansweredQuestion | None:
        parameters = {"association_id": association_id, "question_id": question_id}
        async with self._read_engine.connect() as connection:
            row = (await execute(connection, _QUESTION, parameters)).mappings().first()
        return None if row is None else _question(row)

    async def mark_answered(self, association_id: str, question_id: str, document_id: str) -> bool:
        parameters = {
            "key_association_id": association_id,
            "key_id": question_id,
            "answer_id": document_id,
        }
        async with self._engine.begin() as connection:
            return (await execute(connection, _MARK_ANSWERED, parameters)).rowcount > 0

    async def unanswered_of_conversations(
        self, association_id: str, conversation_ids: Sequence[str]
    ) -> list[UnansweredQuestion]:
        if not conversation_ids:
            return []
        parameters = {"association_id": association_id, "conversation_ids": list(conversation_ids)}
        async with self._read_engine.connect() as connection:
            result = await execute(connection, _QUESTIONS_OF_CONVERSATIONS, parameters)
            return [_question(row) for row in result.mappings()]

    async def forget_unanswered(self, association_id: str, conversation_ids: Sequence[str]) -> int:
        if not conversation_ids:
            return 0
        parameters = {"association_id": association_id, "conversation_ids": list(conversation_ids)}
        async with self._engine.begin() as connection:
            return (await execute(connection, _FORGET_QUESTIONS, parameters)).rowcount

    async def purge_unanswered_before(
        self, association_id: str, before: datetime, limit: int
    ) -> int:
        if limit <= 0:
            return 0
        parameters = {"association_id": association_id, "before": before, "limit": limit}
        async with self._engine.begin() as connection:
            return (await execute(connection, _PURGE_QUESTIONS, parameters)).rowcount


def _packed(vector: Sequence[float]) -> bytes:
    """``stored_embedding`` as little-endian float32."""
    values = array("f", stored_embedding(vector))
    if sys.byteorder == "big":
        values.byteswap()
    return values.tobytes()


def _unpacked(data: bytes) -> array[float]:
    values = array("f")
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def _document(row: Any) -> KnowledgeDocument:
    return KnowledgeDocument(
        id=row["id"],
        association_id=row["association_id"],
        title=row["title"],
        text=row["text"],
        kind=DocumentKind(row["kind"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        chunks=row["chunks"],
        filename=row["filename"],
    )


def _question(row: Any) -> UnansweredQuestion:
    return UnansweredQuestion(
        id=row["id"],
        association_id=row["association_id"],
        text=row["text"],
        conversation_id=row["conversation_id"],
        first_asked_at=row["first_asked_at"],
        last_asked_at=row["last_asked_at"],
        times_asked=row["times_asked"],
        answered_by=row["answered_by"],
    )
