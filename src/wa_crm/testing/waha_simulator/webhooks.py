"""Webhook envelopes, HMAC signing and delivery with WAHA's retry rules.

Mirrors WAHA's `WebhookSender` (shared/waha/notes.md section 5): the body is compact JSON,
signed with HMAC-SHA512 over the exact bytes sent; `X-Webhook-Request-Id` is generated once per
event and target, so every retry repeats it together with the envelope's `evt_` id; every
non-2xx answer and every network error is retried `attempts` times (axios-retry `retries`, so
at most `attempts + 1` requests), waiting `delaySeconds` (constant unless a policy says
otherwise, never less than a `Retry-After`). Deliveries run as background tasks, concurrently,
so their order is not guaranteed.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import hmac
import json
import random
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from .config import SimulatorConfig, WebhookTarget
from .ids import event_id, ulid
from .payloads import environment
from .state import iso_now, now_ms
from .tasks import BackgroundTasks

ATTEMPT_LOG_SIZE = 10000


def build_envelope(
    *,
    config: SimulatorConfig,
    event: str,
    session: str,
    payload: dict[str, Any],
    me: dict[str, Any] | None,
    metadata: dict[str, Any] | None = None,
    timestamp_ms: int | None = None,
) -> dict[str, Any]:
    stamp = now_ms() if timestamp_ms is None else timestamp_ms
    envelope = {
        "id": event_id(stamp),
        "timestamp": stamp,
        "event": event,
        "session": session,
        "metadata": metadata or {},
        "me": me,
        "payload": payload,
        "engine": config.wire_engine,
        "environment": environment(config),
    }
    if not config.release.signs_webhooks:  # no id, no timestamp (shared/waha/recorded/README)
        del envelope["id"], envelope["timestamp"]
    return envelope


def encode_body(envelope: dict[str, Any]) -> bytes:
    """`JSON.stringify` equivalent: compact separators, non-ASCII kept as UTF-8."""
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign_body(body: bytes, key: str) -> str:
    """`X-Webhook-Hmac`: lowercase hex HMAC-SHA512 of the raw body."""
    return hmac.new(key.encode("utf-8"), body, hashlib.sha512).hexdigest()


def webhook_headers(
    *,
    envelope: dict[str, Any],
    body: bytes,
    target: WebhookTarget,
    request_id: str,
    version: str,
) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "User-Agent": f"WAHA/{version}"}
    for name, value in target.custom_headers:
        headers[name] = value
    if "timestamp" not in envelope:  # a release before signing: none of the X-Webhook-* headers
        return headers
    headers["X-Webhook-Request-Id"] = request_id
    headers["X-Webhook-Timestamp"] = str(envelope["timestamp"])
    if target.hmac_key:
        headers["X-Webhook-Hmac"] = sign_body(body, target.hmac_key)
        headers["X-Webhook-Hmac-Algorithm"] = "sha512"
    return headers


def retry_delay(target: WebhookTarget, retry_number: int, retry_after: float | None) -> float:
    """Seconds to wait before retry number `retry_number` (1-based), as WAHA computes it."""
    floor = max(0.0, retry_after or 0.0)
    base = target.retries_delay_seconds
    if not base:
        return floor
    if target.retries_policy == "linear":
        return max(retry_number * base, floor)
    if target.retries_policy == "exponential":
        delay = max(float(2**retry_number) * base, floor)
        return delay + delay * 0.2 * random.random()
    return max(base, floor)


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass(frozen=True)
class DeliveryAttempt:
    url: str
    event: str
    event_id: str
    request_id: str
    session: str
    attempt: int
    status_code: int | None
    error: str | None
    at: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class WebhookDispatcher:
    """Sends envelopes to targets in the background and logs every attempt."""

    def __init__(self, config: SimulatorConfig, tasks: BackgroundTasks) -> None:
        self._config = config
        self._tasks = tasks
        self._client: httpx.AsyncClient | None = None
        self.attempts: deque[DeliveryAttempt] = deque(maxlen=ATTEMPT_LOG_SIZE)

    def dispatch(self, targets: Iterable[WebhookTarget], envelope: dict[str, Any]) -> None:
        event = envelope["event"]
        for target in targets:
            if target.wants(event):
                self._tasks.spawn(self._deliver(target, envelope), name=f"webhook {event}")

    def clear(self) -> None:
        self.attempts.clear()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self._config.webhook_timeout_seconds, trust_env=False
            )
        return self._client

    async def _deliver(self, target: WebhookTarget, envelope: dict[str, Any]) -> None:
        body = encode_body(envelope)
        request_id = ulid()
        headers = webhook_headers(
            envelope=envelope,
            body=body,
            target=target,
            request_id=request_id,
            version=self._config.version,
        )
        total = max(0, target.retries_attempts) + 1
        for attempt in range(1, total + 1):
            status: int | None = None
            error: str | None = None
            retry_after: float | None = None
            try:
                response = await self._http().post(target.url, content=body, headers=headers)
                status = response.status_code
                retry_after = parse_retry_after(response.headers.get("retry-after"))
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            self.attempts.append(
                DeliveryAttempt(
                    url=target.url,
                    event=envelope["event"],
                    event_id=envelope.get("id", ""),
                    request_id=request_id,
                    session=envelope["session"],
                    attempt=attempt,
                    status_code=status,
                    error=error,
                    at=iso_now(),
                )
            )
            if status is not None and 200 <= status < 300:
                return
            if attempt < total:
                await asyncio.sleep(retry_delay(target, attempt, retry_after))
