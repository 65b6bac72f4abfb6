"""``FilesystemMediaStore``: media files in a local folder, one file per key.

Keys are opaque strings chosen by wa_crm; they are hashed into file names, so no key (however
crafted, e.g. ``../../etc/passwd``) can name a path outside the folder.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import BinaryIO

CHUNK_BYTES = 64 * 1024


class FilesystemMediaStore:
    def __init__(self, root: str | Path) -> None:
        self._root = Path(root)

    def _path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self._root / digest[:2] / digest

    async def put(self, key: str, data: bytes, mimetype: str) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], mimetype: str) -> int:
        path = self._path(key)
        temporary = path.with_suffix(f".{os.getpid()}.{id(chunks)}.tmp")
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        size = 0
        try:
            with await asyncio.to_thread(temporary.open, "wb") as file:
                async for chunk in chunks:
                    await asyncio.to_thread(file.write, chunk)
                    size += len(chunk)
            await asyncio.to_thread(temporary.replace, path)
        except BaseException:
            await asyncio.to_thread(temporary.unlink, missing_ok=True)
            raise
        return size

    async def stream(self, key: str, start: int = 0) -> AsyncIterator[bytes] | None:
        try:
            file = await asyncio.to_thread(self._path(key).open, "rb")
        except FileNotFoundError:
            return None
        return self._chunks(file, start)

    @staticmethod
    async def _chunks(file: BinaryIO, start: int) -> AsyncIterator[bytes]:
        with file:
            await asyncio.to_thread(file.seek, start)
            while chunk := await asyncio.to_thread(file.read, CHUNK_BYTES):
                yield chunk

    async def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        """Write to a temporary file and rename: readers never see half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(data)
        temporary.replace(path)
