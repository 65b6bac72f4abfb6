"""The inbox search's index of what messages say (``tables.message_terms``), written by the
message repository in the unit of work that stores the message.

A message that says nothing (media without a caption, a revoked one) has no row. Deleting a
message deletes its row through the foreign key's cascade, and the dialect's full-text index
follows its table (SQLite's triggers, PostgreSQL's generated column).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable, bindparam, delete, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql.execution import execute, per_dialect, upsert_insert
from wa_crm.adapters.sql.tables import message_terms
from wa_crm.domain.model.inbox_search import message_terms as terms_of
from wa_crm.domain.model.message import Message

_ADD = insert(message_terms)
_FORGET = delete(message_terms).where(message_terms.c.message_id == bindparam("message_id"))


@per_dialect
def _replace(dialect: str) -> Executable:
    """Insert the row, or change its terms when they differ (an unchanged row is not written,
    so a delivery ack costs no full-text update)."""
    statement = upsert_insert(dialect, message_terms)
    return statement.on_conflict_do_update(
        index_elements=[message_terms.c.message_id],
        set_={"terms": statement.excluded.terms},
        where=message_terms.c.terms != statement.excluded.terms,
    )


def _row(message: Message, terms: Sequence[str]) -> dict[str, Any]:
    return {
        "message_id": message.id,
        "association_id": message.association_id,
        "conversation_id": message.conversation_id,
        "terms": " ".join(terms),
    }


async def index_new(connection: AsyncConnection, message: Message) -> None:
    """A message just stored."""
    terms = terms_of(message)
    if terms:
        await execute(connection, _ADD, _row(message, terms))


async def index_changed(connection: AsyncConnection, message: Message) -> None:
    """A stored message whose text or transcript may have changed (an edit, a revoke, a
    transcript)."""
    terms = terms_of(message)
    if terms:
        await execute(connection, _replace(connection), _row(message, terms))
    else:
        await execute(connection, _FORGET, {"message_id": message.id})
