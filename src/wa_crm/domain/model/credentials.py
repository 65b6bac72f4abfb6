"""What lets an agent in besides a password: browser sessions and API tokens.

Both are kept server-side, so they can be withdrawn: logging out, changing the password or
disabling the agent ends browser sessions, and a token stops working once revoked or expired.
Neither stores its secret: a session is known by the digest of the random id its cookie
carries, a token by the digest of the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class BrowserSession:
    id_hash: str
    association_id: str
    agent_id: str
    created_at: datetime
    expires_at: datetime

    def valid_at(self, now: datetime) -> bool:
        return now < self.expires_at


@dataclass(frozen=True)
class ApiToken:
    id: str
    """Shown in lists and named to revoke the token; not the token itself."""
    agent_id: str
    name: str
    created_at: datetime
    expires_at: datetime | None = None
    """None: valid until revoked."""
    last_used_at: datetime | None = None

    def valid_at(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at
