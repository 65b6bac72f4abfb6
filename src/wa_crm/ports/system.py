"""Time, identifiers and alerts: small ports that keep the domain deterministic in tests."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> str:
        """A new unique id; ids generated later sort after earlier ones."""
        ...


class AlertSink(Protocol):
    async def alert(self, association_id: str, kind: str, message: str) -> None:
        """Tell operators something needs attention; must not raise on delivery problems."""
        ...


class PasswordHasher(Protocol):
    """Hashing is deliberately slow (tens of milliseconds of CPU): adapters do it off the event
    loop, so a burst of logins does not stall every other request."""

    async def hash(self, password: str) -> str: ...
    async def verify(self, password_hash: str, password: str) -> bool: ...


class SecretCipher(Protocol):
    """Encrypts secrets (WAHA API keys, webhook secrets) before they are stored."""

    def encrypt(self, plaintext: str) -> str: ...
    def decrypt(self, token: str) -> str: ...
