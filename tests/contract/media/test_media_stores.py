"""One MediaStore contract, run against the filesystem store and the memory fake."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from wa_crm.adapters.media.filesystem import FilesystemMediaStore
from wa_crm.adapters.memory import InMemoryMediaStore
from wa_crm.ports.media import MediaStore


@pytest.fixture(params=["filesystem", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> MediaStore:
    if request.param == "filesystem":
        return FilesystemMediaStore(tmp_path / "media")
    return InMemoryMediaStore()


async def test_put_get_overwrite_delete(store: MediaStore) -> None:
    assert await store.get("a/1.jpg") is None
    await store.put("a/1.jpg", b"first", "image/jpeg")
    await store.put("a/1.jpg", b"second", "image/jpeg")
    assert await store.get("a/1.jpg") == b"second"
    await store.delete("a/1.jpg")
    await store.delete("a/1.jpg")
    assert await store.get("a/1.jpg") is None


async def test_keys_are_independent(store: MediaStore) -> None:
    await store.put("x", b"1", "text/plain")
    await store.put("y", b"2", "text/plain")
    assert (await store.get("x"), await store.get("y")) == (b"1", b"2")


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


async def test_a_crafted_key_never_escapes_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "media"
    store = FilesystemMediaStore(root)
    await store.put("../../escape.txt", b"x", "text/plain")
    written = await asyncio.to_thread(files_under, tmp_path)
    assert written and all(root in path.parents for path in written)
    assert await store.get("../../escape.txt") == b"x"
