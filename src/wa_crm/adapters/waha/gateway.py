"""``WahaGateway``: the WhatsAppGateway port over WAHA's HTTP API.

One pooled ``httpx.AsyncClient`` per WAHA base URL; every request carries ``X-Api-Key``.
httpx failures and WAHA's error answers become ``GatewayError`` with a code that says whether
retrying can help.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from wa_crm.adapters.waha.errors import error_for_response, error_for_transport
from wa_crm.adapters.waha.sent_ids import sent_message_id
from wa_crm.ports.whatsapp import (
    Connection,
    GatewayError,
    GatewayErrorCode,
    OutgoingFile,
    QrCode,
    SentMessage,
    SessionInfo,
    SessionStatus,
    WebhookSubscription,
)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
WEBHOOK_RETRIES = {"policy": "exponential", "delaySeconds": 2, "attempts": 15}


class WahaGateway:
    def __init__(
        self,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._timeout = timeout
        self._transport = transport
        self._clients: dict[str, httpx.AsyncClient] = {}

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    def _client(self, base_url: str) -> httpx.AsyncClient:
        client = self._clients.get(base_url)
        if client is None:
            client = httpx.AsyncClient(
                base_url=base_url,
                timeout=self._timeout,
                transport=self._transport,
                limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
            )
            self._clients[base_url] = client
        return client

    async def _call(
        self,
        connection: Connection,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        if not connection.base_url:
            raise GatewayError(GatewayErrorCode.UNREACHABLE, "no WAHA base URL is configured")
        headers = {"X-Api-Key": connection.api_key} if connection.api_key else {}
        try:
            response = await self._client(connection.base_url).request(
                method, path, json=json, params=params, headers=headers
            )
        except httpx.HTTPError as error:
            raise error_for_transport(error) from error
        if response.is_error:
            raise error_for_response(response)
        return response

    async def _send(self, connection: Connection, path: str, body: dict[str, Any]) -> SentMessage:
        response = await self._call(
            connection, "POST", path, json={**body, "session": connection.session}
        )
        return SentMessage(sent_message_id(response.content, body["chatId"]))

    async def send_text(
        self, connection: Connection, chat_id: str, text: str, reply_to: str | None = None
    ) -> SentMessage:
        body: dict[str, Any] = {"chatId": chat_id, "text": text}
        if reply_to:
            body["reply_to"] = reply_to
        return await self._send(connection, "/api/sendText", body)

    async def send_image(
        self, connection: Connection, chat_id: str, file: OutgoingFile, caption: str = ""
    ) -> SentMessage:
        return await self._send(connection, "/api/sendImage", _file_body(chat_id, file, caption))

    async def send_document(
        self, connection: Connection, chat_id: str, file: OutgoingFile, caption: str = ""
    ) -> SentMessage:
        return await self._send(connection, "/api/sendFile", _file_body(chat_id, file, caption))

    async def send_seen(self, connection: Connection, chat_id: str) -> None:
        await self._call(connection, "POST", "/api/sendSeen", json=_chat(connection, chat_id))

    async def start_typing(self, connection: Connection, chat_id: str) -> None:
        await self._call(connection, "POST", "/api/startTyping", json=_chat(connection, chat_id))

    async def stop_typing(self, connection: Connection, chat_id: str) -> None:
        await self._call(connection, "POST", "/api/stopTyping", json=_chat(connection, chat_id))

    async def session_status(self, connection: Connection) -> SessionInfo:
        response = await self._call(
            connection, "GET", f"/api/sessions/{_segment(connection.session)}"
        )
        return _session_info(response.json(), connection.session)

    async def start_session(
        self, connection: Connection, webhook: WebhookSubscription
    ) -> SessionInfo:
        path = f"/api/sessions/{_segment(connection.session)}"
        try:
            current = (await self._call(connection, "GET", path)).json()
        except GatewayError as error:
            if error.code is not GatewayErrorCode.SESSION_NOT_FOUND:
                raise
            config = {"webhooks": [_webhook_config(webhook)]}
            body = {"name": connection.session, "start": True, "config": config}
            created = await self._call(connection, "POST", "/api/sessions", json=body)
            return _session_info(created.json(), connection.session)
        config = dict((current or {}).get("config") or {})
        others = [hook for hook in config.get("webhooks") or [] if hook.get("url") != webhook.url]
        config["webhooks"] = [*others, _webhook_config(webhook)]
        await self._call(connection, "PUT", path, json={"config": config})
        started = await self._call(connection, "POST", f"{path}/start")
        return _session_info(started.json(), connection.session)

    async def qr_code(self, connection: Connection) -> QrCode:
        path = f"/api/{_segment(connection.session)}/auth/qr"
        response = await self._call(connection, "GET", path, params={"format": "raw"})
        return QrCode(value=str(response.json().get("value") or "") or None)

    async def resolve_lid(self, connection: Connection, lid: str) -> str | None:
        path = f"/api/{_segment(connection.session)}/lids/{_segment(lid)}"
        pn = (await self._call(connection, "GET", path)).json().get("pn")
        return str(pn) if pn else None

    async def download_media(self, connection: Connection, url: str) -> bytes:
        """Fetch ``url``'s path from the configured WAHA server.

        WAHA builds media URLs from its own public address, which may differ from the one we
        reach it at; and the API key must never be sent to a host a webhook named.
        """
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not parts.path.startswith("/api/files/"):
            raise GatewayError(GatewayErrorCode.REJECTED, "media URL is not a WAHA file URL")
        return (await self._call(connection, "GET", path)).content


def _segment(value: str) -> str:
    return quote(value, safe="")


def _chat(connection: Connection, chat_id: str) -> dict[str, str]:
    return {"chatId": chat_id, "session": connection.session}


def _file_body(chat_id: str, file: OutgoingFile, caption: str) -> dict[str, Any]:
    encoded = base64.b64encode(file.data).decode()
    body: dict[str, Any] = {
        "chatId": chat_id,
        "file": {"mimetype": file.mimetype, "filename": file.filename, "data": encoded},
    }
    if caption:
        body["caption"] = caption
    return body


def _webhook_config(webhook: WebhookSubscription) -> dict[str, Any]:
    config: dict[str, Any] = {
        "url": webhook.url,
        "events": list(webhook.events),
        "retries": WEBHOOK_RETRIES,
    }
    if webhook.hmac_key:
        config["hmac"] = {"key": webhook.hmac_key}
    return config


def _session_info(data: Any, session: str) -> SessionInfo:
    data = data if isinstance(data, dict) else {}
    raw_status = str(data.get("status") or "")
    status = (
        SessionStatus(raw_status)
        if raw_status in SessionStatus.__members__
        else SessionStatus.UNKNOWN
    )
    me = data.get("me") if isinstance(data.get("me"), dict) else {}
    return SessionInfo(
        name=str(data.get("name") or session),
        status=status,
        phone=me.get("id") or None,
        push_name=me.get("pushName") or None,
    )
