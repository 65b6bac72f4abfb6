"""Alert sinks: a log line always, and a signed webhook to the operators' URL when configured."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import structlog

_log = structlog.get_logger("wa_crm.alerts")


class LogAlertSink:
    async def alert(self, association_id: str, kind: str, message: str) -> None:
        _log.warning("alert", association_id=association_id, kind=kind, message=message)


class WebhookAlertSink:
    """POSTs ``{"association", "kind", "message"}`` to ``url``, signed like WAHA signs its
    webhooks (``X-Webhook-Hmac``: hex HMAC-SHA512 of the body), after logging it. A failed
    delivery is logged, never raised: an alert must not break the work that raised it."""

    def __init__(self, url: str, secret: str, client: httpx.AsyncClient | None = None) -> None:
        self._url, self._secret = url, secret
        self._client = client or httpx.AsyncClient(timeout=10)
        self._log = LogAlertSink()

    async def alert(self, association_id: str, kind: str, message: str) -> None:
        await self._log.alert(association_id, kind, message)
        body = json.dumps({"association": association_id, "kind": kind, "message": message})
        signature = hmac.new(self._secret.encode(), body.encode(), hashlib.sha512).hexdigest()
        headers = {"Content-Type": "application/json", "X-Webhook-Hmac": signature}
        try:
            response = await self._client.post(self._url, content=body, headers=headers)
            response.raise_for_status()
        except httpx.HTTPError as error:
            _log.error("alert webhook failed", kind=kind, error=type(error).__name__)

    async def aclose(self) -> None:
        await self._client.aclose()
