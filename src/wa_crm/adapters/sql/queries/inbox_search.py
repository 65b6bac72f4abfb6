"""The inbox search's SQL (``inbox_search.InboxSearch``): the condition that finds conversations
by name, phone or message words, and the message each was found by.

Names and phones are compared with LIKE over the normalized columns the mappers keep
(``contacts.search_name``/``search_phone``, ``patients.search_name``), within one association:
a scan of its contacts, which no B-tree index serves (issue 19 measures it). Message words go
through the dialect's full-text index over ``message_terms.terms`` (built as the knowledge
base's, migration 0013): SQLite's FTS5 table ``message_terms_fts`` (read in rowid order, latest
stored first, so the LIMIT stops it early) or PostgreSQL's GIN-indexed ``search_vector``. Both
read at most ``MATCHES_READ`` matching messages of the association, latest first: a word said
in thousands of messages finds the conversations of the latest ones, and the search stays
bounded however large the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)

from wa_crm.adapters.sql.tables import (
    MESSAGE_FTS,
    MESSAGE_TSVECTOR,
    contacts,
    conversations,
    message_terms,
    messages,
    patients,
)
from wa_crm.domain.model.inbox_search import InboxSearch

MATCHES_READ = 2000
"""How many of the latest matching messages a search reads at most."""


def like_pattern(*words: str) -> str:
    """The words anywhere, in order, their LIKE wildcards taken literally (escape character:
    backslash)."""
    escaped = (w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in words)
    return f"%{'%'.join(escaped)}%"


def search_parameters(search: InboxSearch, dialect: str) -> dict[str, Any]:
    """The bind parameters of ``found_by_search``'s condition."""
    parameters: dict[str, Any] = {"name_pattern": like_pattern(*search.name_words)}
    if search.phone_digits is not None:
        parameters["phone_pattern"] = like_pattern(search.phone_digits)
    if search.terms:
        parameters["terms_query"] = _terms_query(search.terms, dialect)
    return parameters


def _terms_query(terms: Sequence[str], dialect: str) -> str:
    """Every term, the last as a prefix, in the dialect's syntax; terms are letters and digits
    only (``search_terms``), quoted all the same."""
    *whole, last = terms
    if dialect == "sqlite":
        return " ".join([*(f'"{term}"' for term in whole), f'"{last}"*'])
    return " & ".join([*(f"'{term}'" for term in whole), f"'{last}':*"])


def matching_messages(dialect: str) -> Select[Any]:
    """The association's messages whose terms match ``:terms_query``: (``message_terms.id``,
    ``conversation_id``), latest stored first, at most ``MATCHES_READ``."""
    association_id: BindParameter[str] = bindparam("association_id")
    columns = (message_terms.c.id, message_terms.c.conversation_id)
    if dialect == "sqlite":
        fts = table(MESSAGE_FTS, column("rowid", Integer))
        return (
            select(*columns)
            .select_from(fts.join(message_terms, message_terms.c.id == fts.c.rowid))
            .where(
                text(f"{MESSAGE_FTS} MATCH :terms_query"),
                message_terms.c.association_id == association_id,
            )
            .order_by(fts.c.rowid.desc())
            .limit(MATCHES_READ)
        )
    vector: ColumnElement[Any] = literal_column(f"message_terms.{MESSAGE_TSVECTOR}")
    query = func.to_tsquery(literal_column("'simple'"), bindparam("terms_query"))
    return (
        select(*columns)
        .where(vector.op("@@")(query), message_terms.c.association_id == association_id)
        .order_by(message_terms.c.id.desc())
        .limit(MATCHES_READ)
    )


def found_by_search(dialect: str, phone: bool, words: bool) -> ColumnElement[bool]:
    """Conversations of a contact whose name, patient's name or (``phone``) phone matches, or
    (``words``) with a message whose terms match."""
    association_id: BindParameter[str] = bindparam("association_id")
    name: BindParameter[str] = bindparam("name_pattern")
    by_contact = [contacts.c.search_name.like(name, escape="\\")]
    if phone:
        by_contact.append(contacts.c.search_phone.like(bindparam("phone_pattern"), escape="\\"))
    named = select(contacts.c.id).where(
        contacts.c.association_id == association_id, or_(*by_contact)
    )
    patient_named = (
        select(contacts.c.id)
        .select_from(
            contacts.join(
                patients,
                and_(
                    patients.c.association_id == contacts.c.association_id,
                    patients.c.id == contacts.c.patient_id,
                ),
            )
        )
        .where(
            contacts.c.association_id == association_id,
            patients.c.search_name.like(name, escape="\\"),
        )
    )
    found = [
        conversations.c.contact_id.in_(named),
        conversations.c.contact_id.in_(patient_named),
    ]
    if words:
        said = matching_messages(dialect).subquery()
        found.append(conversations.c.id.in_(select(said.c.conversation_id)))
    return or_(*found)


def found_by_words(dialect: str) -> Select[Any]:
    """The latest matching message of each conversation of ``:conversation_ids`` (one that
    ``found_by_search`` found by its words has its latest match among the messages read)."""
    said = matching_messages(dialect).subquery()
    latest = (
        select(func.max(said.c.id))
        .where(said.c.conversation_id.in_(bindparam("conversation_ids", expanding=True)))
        .group_by(said.c.conversation_id)
    )
    return (
        select(messages)
        .select_from(messages.join(message_terms, message_terms.c.message_id == messages.c.id))
        .where(message_terms.c.id.in_(latest))
    )
