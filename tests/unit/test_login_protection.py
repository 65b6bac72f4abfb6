"""The login's defences at the edge that need no service running: the failed-login table, the
client address behind proxies, and password hashing that leaves the event loop free."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from starlette.requests import Request

from wa_crm.adapters.system.passwords import Argon2PasswordHasher
from wa_crm.entrypoints.http.client_address import client_address
from wa_crm.entrypoints.http.login_throttle import LoginThrottle
from wa_crm.settings import Settings


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_locked_key_gets_one_try_per_cool_down() -> None:
    clock = Ticks()
    throttle = LoginThrottle(cool_down=60, attempts=5, window=300, clock=clock)
    for _ in range(5):
        assert not throttle.blocked("k")
        throttle.failed("k")
    assert throttle.blocked("k")
    clock.now = 59
    assert throttle.blocked("k")
    clock.now = 60
    assert not throttle.blocked("k")  # the right password would get in now
    throttle.failed("k")
    assert throttle.blocked("k")
    throttle.succeeded("k")
    assert not throttle.blocked("k")


def test_the_table_forgets_old_failures_and_never_outgrows_its_cap() -> None:
    clock = Ticks()
    throttle = LoginThrottle(window=300, max_keys=100, clock=clock)
    for n in range(1000):
        throttle.failed(f"made-up-{n}@example.org")
    assert len(throttle) == 100
    clock.now = 301
    throttle.failed("fresh")
    assert len(throttle) == 1
    assert not throttle.blocked("made-up-999@example.org")
    assert len(throttle) == 1  # asking adds nothing


def _request(peer: str, forwarded: list[str], trusted: str) -> Request:
    settings = Settings(trusted_proxies=trusted)
    app = SimpleNamespace(
        state=SimpleNamespace(container=SimpleNamespace(settings=lambda: settings))
    )
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    scope = {"type": "http", "client": (peer, 4321), "headers": headers, "app": app}
    return Request(scope)


def test_x_forwarded_for_counts_only_from_a_trusted_proxy() -> None:
    assert client_address(_request("198.51.100.7", ["203.0.113.1"], "")) == "198.51.100.7"
    assert client_address(_request("198.51.100.7", ["203.0.113.1"], "10.0.0.0/8")) == (
        "198.51.100.7"
    )
    behind_proxy = _request("10.0.0.2", ["203.0.113.9, 203.0.113.1"], "10.0.0.2")
    assert client_address(behind_proxy) == "203.0.113.1"  # the left one is the client's to write
    two_proxies = _request("10.0.0.2", ["203.0.113.1, 10.0.0.3"], "10.0.0.0/24")
    assert client_address(two_proxies) == "203.0.113.1"
    assert client_address(_request("10.0.0.2", [], "10.0.0.2")) == "10.0.0.2"


async def test_argon2_leaves_the_event_loop_free() -> None:
    hasher = Argon2PasswordHasher()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        password_hash = await hasher.hash("correct horse")
        assert await hasher.verify(password_hash, "correct horse")
        assert not await hasher.verify(password_hash, "wrong horse")
    finally:
        task.cancel()
    assert ticks >= 5, "the loop stood still while argon2 ran"
