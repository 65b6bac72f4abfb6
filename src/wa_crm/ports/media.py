"""Where media files live once fetched from WAHA (which deletes them after 180 s)."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Protocol


class MediaStore(Protocol):
    async def put(self, key: str, data: bytes, mimetype: str) -> None:
        """Store (or overwrite) the bytes under ``key``."""
        ...

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], mimetype: str) -> int:
        """Store the chunks under ``key`` as they arrive, never holding them all; returns the
        size. When ``chunks`` raises, nothing is left under ``key`` and the error propagates."""
        ...

    async def stream(self, key: str, start: int = 0) -> AsyncIterator[bytes] | None:
        """The bytes from offset ``start`` on, in chunks; None when nothing is stored under
        ``key``."""
        ...

    async def get(self, key: str) -> bytes | None:
        """The bytes, or None when nothing is stored under ``key``."""
        ...

    async def delete(self, key: str) -> None:
        """Idempotent: deleting a missing key is not an error."""
        ...
