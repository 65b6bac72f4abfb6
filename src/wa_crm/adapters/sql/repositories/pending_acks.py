"""Acks that came before their message's WhatsApp id was stored (``PendingAckRepository``).

Kept under ``early_ack_key`` (a digest), never the id. Rows kept before the digest was
introduced hold the id itself; ``take`` still finds them until they are pruned, so an upgrade
loses no ack."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Executable, Integer, bindparam, delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from wa_crm.adapters.sql.execution import execute, per_dialect, upsert_insert
from wa_crm.adapters.sql.tables import pending_acks
from wa_crm.domain.model.message import MessageStatus, can_advance, early_ack_key, status_progress

# the key's parameters are named apart from the columns, which an UPDATE binds by their names
_KEY = (pending_acks.c.association_id == bindparam("key_association")) & (
    pending_acks.c.external_id == bindparam("key_external")
)
_KEPT = select(pending_acks.c.status).where(_KEY)
_ADVANCE = update(pending_acks).where(_KEY)
_TAKE = (
    delete(pending_acks)
    .where(
        (pending_acks.c.association_id == bindparam("key_association"))
        & pending_acks.c.external_id.in_([bindparam("key_external"), bindparam("id_in_clear")])
    )
    .returning(pending_acks.c.status)
)
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
        key_external = early_ack_key(external_id)
        row = {
            "association_id": association_id,
            "external_id": key_external,
            "status": status.value,
            "received_at": at,
        }
        if (await execute(self._connection, _insert(self._connection), row)).first():
            return
        key = {"key_association": association_id, "key_external": key_external}
        kept = (await execute(self._connection, _KEPT, key)).scalar_one_or_none()
        if kept is None or can_advance(MessageStatus(kept), status):
            changed = {**key, "status": status.value, "received_at": at}
            await execute(self._connection, _ADVANCE, changed)

    async def take(self, association_id: str, external_id: str) -> MessageStatus | None:
        key = {
            "key_association": association_id,
            "key_external": early_ack_key(external_id),
            "id_in_clear": external_id,
        }
        taken = [
            MessageStatus(kept) for kept in (await execute(self._connection, _TAKE, key)).scalars()
        ]
        return max(taken, key=lambda status: status_progress(status) or 0.0, default=None)

    async def forget_before(self, before: datetime, limit: int) -> int:
        result = await execute(self._connection, _FORGET, {"before": before, "limit": limit})
        return result.rowcount
