"""Finding the association a WAHA webhook belongs to, from its session name and ``me.id``.

- A session name is unique per WAHA server; several servers may each have a ``default``
  session, told apart by the connected number (``me.id``) or, before a session has a number
  (QR events carry no ``me``), by the webhook secret the body is signed with. An ambiguous
  match is no match.
- Every webhook needs this lookup before anything else, so answers are kept for a few
  seconds: a changed webhook secret or a new association is seen after at most ``ttl``
  (WAHA retries refused webhooks, so nothing is lost meanwhile).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from wa_crm.domain.model.association import Association
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWorkFactory


@dataclass
class SessionRouter:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    ttl: timedelta = timedelta(seconds=5)
    _cache: dict[str, tuple[datetime, Sequence[Association]]] = field(default_factory=dict)

    async def find(
        self, session: str, me_id: str | None, signed_with: Callable[[str], bool]
    ) -> Association | None:
        """``signed_with(secret)`` tells whether the webhook body carries that secret's HMAC."""
        candidates = await self._candidates(session)
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        same_phone = [a for a in candidates if me_id and a.whatsapp.phone == me_id]
        if len(same_phone) == 1:
            return same_phone[0]
        signed = [
            a
            for a in candidates
            if a.whatsapp.webhook_secret and signed_with(a.whatsapp.webhook_secret)
        ]
        return signed[0] if len(signed) == 1 else None

    async def _candidates(self, session: str) -> Sequence[Association]:
        now = self.clock.now()
        cached = self._cache.get(session)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        async with self.uow_factory() as uow:
            candidates = await uow.associations.find_by_session(session)
        if len(self._cache) > 10_000:  # sessions named by unauthenticated callers: stay bounded
            self._cache.clear()
        self._cache[session] = (now, candidates)
        return candidates
