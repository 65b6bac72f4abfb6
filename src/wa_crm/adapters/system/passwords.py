from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST


class Argon2PasswordHasher:
    """argon2id with the library's defaults (RFC 9106 low-memory profile), in a worker thread:
    argon2-cffi releases the GIL while it hashes, so the event loop keeps serving meanwhile.

    ``cheapest``: argon2's cheapest parameters, for test suites that create thousands of
    agents; such hashes protect nothing, and a real hasher still verifies them."""

    def __init__(self, *, cheapest: bool = False) -> None:
        self._hasher = PasswordHasher.from_parameters(CHEAPEST) if cheapest else PasswordHasher()

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await asyncio.to_thread(self._verify, password_hash, password)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
