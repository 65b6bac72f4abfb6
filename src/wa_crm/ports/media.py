"""Where media files live once fetched from WAHA (which deletes them after 180 s)."""

from __future__ import annotations

from typing import Protocol


class MediaStore(Protocol):
    async def put(self, key: str, data: bytes, mimetype: str) -> None:
        """Store (or overwrite) the bytes under ``key``."""
        ...

    async def get(self, key: str) -> bytes | None:
        """The bytes, or None when nothing is stored under ``key``."""
        ...

    async def delete(self, key: str) -> None:
        """Idempotent: deleting a missing key is not an error."""
        ...
