from __future__ import annotations


class InMemoryMediaStore:
    """The MediaStore port in a dict, for tests."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}

    async def put(self, key: str, data: bytes, mimetype: str) -> None:
        self.files[key] = (data, mimetype)

    async def get(self, key: str) -> bytes | None:
        stored = self.files.get(key)
        return stored[0] if stored else None

    async def delete(self, key: str) -> None:
        self.files.pop(key, None)
