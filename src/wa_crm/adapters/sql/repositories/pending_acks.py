"""Acks that came before their message's WhatsApp id was stored (``PendingAckRepository``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Executable, Integer, bindparam, delete, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql.execution import execute, per_dialect, upsert_insert
from wa_crm.adapters.sql.tables import pending_acks
from wa_crm.domain.model.message import MessageStatus, can_advance

# the key's parameters are named apart from the columns, which an UPDATE binds by their names
_KEY = (pending_acks.c.association_id == bindparam("key_association")) & (
    pending_acks.c.external_id == bindparam("key_external")
)
_KEPT = select(pending_acks.c.status).where(_KEY)
_ADVANCE = update(pending_acks).where(_KEY)
_TAKE = delete(pending_acks).where(_KEY).returning(pending_acks.c.status)
_OLDEST_BEFORE = (  # in the order of ix_pending_acks_received_at
    select(pending_acks.c.association_id, pending_acks.c.external_id)
    .where(pending_acks.c.received_at < bindparam("before"))
    .order_by(pending_acks.c.received_at)
    .limit(bindparam("limit", type_=Integer))
)
_FORGET = delete(pending_acks).where(
    tuple_(pending_acks.c.association_id, pending_acks.c.external_id).in_(_OLDEST_BEFORE)
)


@per_dialect
def _insert(dialect: str) -> Executable:
    """Returns a row only when it inserted one."""
    insert = upsert_insert(dialect, pending_acks)
    return insert.on_conflict_do_nothing().returning(pending_acks.c.status)


class SqlPendingAckRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def keep(
        self, association_id: str, external_id: str, status: MessageStatus, at: datetime
    ) -> None:
        row = {
            "association_id": association_id,
            "external_id": external_id,
            "status": status.value,
            "received_at": at,
        }
        if (await execute(self._connection, _insert(self._connection), row)).first():
            return
        key = {"key_association": association_id, "key_external": external_id}
        kept = (await execute(self._connection, _KEPT, key)).scalar_one_or_none()
        if kept is None or can_advance(MessageStatus(kept), status):
            changed = {**key, "status": status.value, "received_at": at}
            await execute(self._connection, _ADVANCE, changed)

    async def take(self, association_id: str, external_id: str) -> MessageStatus | None:
        key = {"key_association": association_id, "key_external": external_id}
        kept = (await execute(self._connection, _TAKE, key)).scalar_one_or_none()
        return MessageStatus(kept) if kept is not None else None

    async def forget_chats(self, association_id: str, chat_ids: Sequence[str]) -> int:
        if not chat_ids:
            return 0
        in_chats = or_(
            *(
                pending_acks.c.external_id.contains(f"_{chat}_", autoescape=True)
                for chat in chat_ids
            )
        )
        statement = delete(pending_acks).where(
            (pending_acks.c.association_id == association_id) & in_chats
        )
        return (await execute(self._connection, statement)).rowcount

    async def forget_before(self, before: datetime, limit: int) -> int:
        result = await execute(self._connection, _FORGET, {"before": before, "limit": limit})
        return result.rowcount
