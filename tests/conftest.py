"""Shared fixtures. Database ones:

- ``cipher``: a reversible ``TestCipher`` (not secure; production uses ``FernetSecretCipher``).
- ``sqlite_url`` / ``sqlite_engine``: a fresh SQLite file per test, migrated to head (a copy of
  ``sqlite_template``, migrated once per session).
- ``postgres_url`` / ``postgres_engine``: this session's PostgreSQL database (created with a
  random name, migrated, dropped at the end), every table emptied before each test. Each
  pytest-xdist worker is a session of its own, so parallel workers never share a database.
- ``postgres_blank_url``: a fresh, never migrated PostgreSQL database, dropped after the test.

The PostgreSQL server comes from ``WA_CRM_TEST_POSTGRES_URL`` (default
``postgresql+asyncpg://postgres@127.0.0.1:5432/test``, trust auth; user ``root`` is tried when
``postgres`` is refused). Unreachable, PostgreSQL tests skip, except under ``CI=true``, where they
fail. Mark such tests ``@pytest.mark.postgres``. Other engineers share the server, so only
databases created here are ever touched.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from hypothesis import settings
from sqlalchemy import URL, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from tests.support.hypothesis_profiles import PROFILE

from wa_crm.adapters.sql import create_engine, upgrade
from wa_crm.adapters.sql.tables import metadata

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"

settings.load_profile(PROFILE)
# Tests create agents by the thousand: their passwords are hashed with argon2's cheapest
# parameters, here and in the services tests start as subprocesses (they inherit this
# environment). The hasher's own tests build ``Argon2PasswordHasher()`` with the real ones.
os.environ.setdefault("WA_CRM_PASSWORD_HASHING", "cheapest-for-tests")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` run first: spread over the workers of a parallel run (``-n``) from
    the start, they end while the short tests fill the other workers, rather than being handed
    out last and leaving every other worker idle while they finish."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


class TestCipher:
    """Reversible and visibly not the plaintext, so tests can tell a stored secret was encrypted."""

    __test__ = False  # not a test class, despite the name
    PREFIX = "test-cipher:"

    def encrypt(self, plaintext: str) -> str:
        return self.PREFIX + base64.urlsafe_b64encode(plaintext[::-1].encode()).decode()

    def decrypt(self, token: str) -> str:
        if not token.startswith(self.PREFIX):
            raise ValueError(f"not a TestCipher token: {token!r}")
        return base64.urlsafe_b64decode(token.removeprefix(self.PREFIX)).decode()[::-1]


@pytest.fixture
def cipher() -> TestCipher:
    return TestCipher()


# --- SQLite ---------------------------------------------------------------------------------


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session: copying it costs a millisecond, running
    every migration again costs a few hundred (tests/contract/persistence still migrates)."""
    path = tmp_path_factory.mktemp("sqlite_template") / "wa_crm.db"
    await upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "wa_crm.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def sqlite_engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(sqlite_url)
    yield engine
    await engine.dispose()


# --- PostgreSQL -----------------------------------------------------------------------------


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def postgres_server() -> URL:
    """A URL of the server's maintenance database that accepts us; skip or fail otherwise."""
    configured = os.environ.get("WA_CRM_TEST_POSTGRES_URL")
    first = make_url(configured or DEFAULT_POSTGRES_URL)
    candidates = [first] if configured else [first, first.set(username="root")]
    problems = []
    for url in candidates:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return url
        except Exception as error:  # any failure to connect means "no server for us"
            problems.append(f"{url.render_as_string(hide_password=True)}: {error}")
        finally:
            await engine.dispose()
    reason = "PostgreSQL unreachable (set WA_CRM_TEST_POSTGRES_URL): " + "; ".join(problems)
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


async def _create_database(server: URL) -> URL:
    name = f"wa_crm_t_{secrets.token_hex(6)}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    return server.set(database=name)


async def _drop_database(server: URL, database: URL) -> None:
    await _admin(server, f'DROP DATABASE IF EXISTS "{database.database}" WITH (FORCE)')


async def _admin(server: URL, statement: str) -> None:
    engine = create_async_engine(server, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def _as_string(url: URL) -> str:
    return url.render_as_string(hide_password=False)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def postgres_database(postgres_server: URL) -> AsyncIterator[str]:
    """This session's migrated database; prefer ``postgres_url``, which also cleans it."""
    database = await _create_database(postgres_server)
    try:
        await upgrade(_as_string(database))
        yield _as_string(database)
    finally:
        await _drop_database(postgres_server, database)


@pytest.fixture
async def postgres_url(postgres_database: str) -> str:
    """The session's database, emptied: DELETE, children first, rather than TRUNCATE, which
    gives every table new files and costs six times as much on tables of a few rows."""
    engine = create_async_engine(postgres_database, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            for table in reversed(metadata.sorted_tables):
                await connection.execute(table.delete())
    finally:
        await engine.dispose()
    return postgres_database


@pytest.fixture
async def postgres_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(postgres_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def postgres_blank_url(postgres_server: URL) -> AsyncIterator[str]:
    database = await _create_database(postgres_server)
    try:
        yield _as_string(database)
    finally:
        await _drop_database(postgres_server, database)
