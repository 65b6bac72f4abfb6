"""Redis fixtures for the event bus contracts.

- ``redis_url``: the test server, from ``WA_CRM_TEST_REDIS_URL`` (default
  ``redis://127.0.0.1:6379/0``). Unreachable, Redis tests skip, except under ``CI=true``, where
  they fail. Mark such tests ``@pytest.mark.redis``.
- ``stream_prefix``: a random key prefix for one test; every key under it is deleted after the
  test. Other engineers share the server, so only keys made here are ever touched.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator

import pytest
import redis
from redis.asyncio import Redis

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("WA_CRM_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        reason = f"Redis unreachable at {url} (set WA_CRM_TEST_REDIS_URL): {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    finally:
        client.close()
    return url


@pytest.fixture
async def stream_prefix(redis_url: str) -> AsyncIterator[str]:
    prefix = f"wa_crm_test:{secrets.token_hex(8)}:"
    yield prefix
    client = Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
