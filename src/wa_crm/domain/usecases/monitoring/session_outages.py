"""Sessions that are down: WAHA has no such session now, or it is not WORKING.

WAHA restarts a session after a config change or a logout, and while it does (seconds) every
call for it answers 404 "We didn't find a session" or 422 "Session status is not as expected"
(shared/waha/recorded/). That means "wait", never "give the message up":

- A call that meets it marks the session down in this process; the first one to do so also
  asks for the session poll at once, which records the status (session health raises the alert
  if the session stays down, ``session_health.CheckSessionDown``).
- While it is down nothing is sent: delivery asks ``is_up`` first, which re-reads the status
  from WAHA at most once per ``recheck_every`` per session, and waits that long otherwise.
- Typing indicators and read receipts are dropped quietly meanwhile (``is_down``): shown late
  they would be wrong, and the next read marks every unread message read anyway.

State lives in the process, like the circuit breakers: each worker learns for itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from wa_crm.ports.system import Clock
from wa_crm.ports.whatsapp import Connection, GatewayError, SessionStatus, WhatsAppGateway


def _key(connection: Connection) -> str:
    return f"{connection.base_url.rstrip('/')}#{connection.session}"


@dataclass
class SessionOutages:
    gateway: WhatsAppGateway
    clock: Clock
    recheck_every: timedelta = timedelta(seconds=5)
    _checked_at: dict[str, datetime] = field(default_factory=dict)
    """Sessions known to be down, with when their status was last read (or found down)."""

    def went_down(self, connection: Connection) -> bool:
        """A call met a missing or not WORKING session; True when it was not known down."""
        key = _key(connection)
        known = key in self._checked_at
        self._checked_at[key] = self.clock.now()
        return not known

    def is_down(self, connection: Connection) -> bool:
        return _key(connection) in self._checked_at

    def wait(self, connection: Connection) -> timedelta:
        """How long until the session's status is worth reading again."""
        checked_at = self._checked_at.get(_key(connection))
        if checked_at is None:
            return timedelta(0)
        return max(checked_at + self.recheck_every - self.clock.now(), timedelta(0))

    async def is_up(self, connection: Connection) -> bool:
        """True unless the session is known down and WAHA, asked again when a recheck is due,
        still does not show it WORKING."""
        key = _key(connection)
        if key not in self._checked_at:
            return True
        if self.wait(connection) > timedelta(0):
            return False
        # noted before the read, so that concurrent senders wait instead of asking too
        self._checked_at[key] = self.clock.now()
        try:
            info = await self.gateway.session_status(connection)
        except GatewayError:
            return False
        if info.status is not SessionStatus.WORKING:
            return False
        self._checked_at.pop(key, None)
        return True

    def came_back(self, connection: Connection) -> None:
        """A call for the session succeeded: it is up."""
        self._checked_at.pop(_key(connection), None)
