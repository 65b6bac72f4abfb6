from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator


class InMemoryMediaStore:
    """The MediaStore port in a dict, for tests."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}

    async def put(self, key: str, data: bytes, mimetype: str) -> None:
        self.files[key] = (data, mimetype)

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], mimetype: str) -> int:
        data = b"".join([chunk async for chunk in chunks])
        self.files[key] = (data, mimetype)
        return len(data)

    async def stream(self, key: str, start: int = 0) -> AsyncIterator[bytes] | None:
        stored = self.files.get(key)
        return None if stored is None else _one_chunk(stored[0][start:])

    async def get(self, key: str) -> bytes | None:
        stored = self.files.get(key)
        return stored[0] if stored else None

    async def delete(self, key: str) -> None:
        self.files.pop(key, None)


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data
