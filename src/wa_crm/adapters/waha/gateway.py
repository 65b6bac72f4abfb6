"""``WahaGateway``: the WhatsAppGateway port over WAHA's HTTP API.

One pooled ``httpx.AsyncClient`` per WAHA base URL; every request carries ``X-Api-Key``.
httpx failures and WAHA's error answers become ``GatewayError`` with a code that says whether
retrying can help (``errors.py``). Every request is an operation of WAHA's OpenAPI spec with a
body the spec accepts, except the media download (``GET /api/files/...``, which WAHA serves
outside its spec).
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
    ServerInfo,
    SessionInfo,
    SessionStatus,
    WebhookSubscription,
)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# WAHA's defaults, written out so that what a session holds is what we asked for
WEBHOOK_RETRIES: dict[str, Any] = {"policy": "exponential", "delaySeconds": 2, "attempts": 15}
_FILES_PREFIX = "/api/files/"


class WahaGateway:
    def __init__(
        self,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``transport`` (tests: ``httpx.MockTransport`` or a wrapper that inspects requests)
        is shared by the clients of every base URL and closed by ``aclose``."""
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
        """Create the session with our webhook, or add ours to an existing one, then start it.

        Other webhooks stay; a webhook of ours with other events or key is replaced. WAHA
        restarts a running session when its config is updated, so the config is only written
        when ours is missing or differs: calling this again leaves a WORKING session alone.
        """
        path = f"/api/sessions/{_segment(connection.session)}"
        ours = _webhook_config(webhook)
        try:
            current = (await self._call(connection, "GET", path)).json()
        except GatewayError as error:
            if error.code is not GatewayErrorCode.SESSION_NOT_FOUND:
                raise
            body = {"name": connection.session, "start": True, "config": {"webhooks": [ours]}}
            created = await self._call(connection, "POST", "/api/sessions", json=body)
            return _session_info(created.json(), connection.session)
        config = _config_of(current)
        hooks = [hook for hook in config.get("webhooks") or [] if isinstance(hook, dict)]
        if [_without_nulls(hook) for hook in hooks if hook.get("url") == webhook.url] != [ours]:
            others = [_without_nulls(hook) for hook in hooks if hook.get("url") != webhook.url]
            config["webhooks"] = [*others, ours]
            await self._call(connection, "PUT", path, json={"config": config})
        started = await self._call(connection, "POST", f"{path}/start")
        return _session_info(started.json(), connection.session)

    async def qr_code(self, connection: Connection) -> QrCode:
        """The QR's raw value (``format`` is a required query parameter in WAHA's spec)."""
        path = f"/api/{_segment(connection.session)}/auth/qr"
        data = (await self._call(connection, "GET", path, params={"format": "raw"})).json()
        value = data.get("value") if isinstance(data, dict) else None
        return QrCode(value=str(value) if value else None)

    async def logout_session(self, connection: Connection) -> SessionInfo:
        path = f"/api/sessions/{_segment(connection.session)}/logout"
        response = await self._call(connection, "POST", path, json={})
        return _session_info(response.json(), connection.session)

    async def server_version(self, connection: Connection) -> ServerInfo:
        data = (await self._call(connection, "GET", "/api/server/version")).json()
        data = data if isinstance(data, dict) else {}
        engine = data.get("engine")
        return ServerInfo(str(data.get("version") or "unknown"), str(engine) if engine else None)

    async def resolve_lid(self, connection: Connection, lid: str) -> str | None:
        path = f"/api/{_segment(connection.session)}/lids/{_segment(lid)}"
        data = (await self._call(connection, "GET", path)).json()
        pn = data.get("pn") if isinstance(data, dict) else None
        return str(pn) if pn else None

    async def download_media(self, connection: Connection, url: str) -> bytes:
        """Fetch ``url``'s path from the configured WAHA server.

        WAHA builds media URLs from its own public address, which may differ from the one we
        reach it at; and the API key must never be sent to a host a webhook named. The path is
        taken from ``/api/files/`` on, so a WAHA behind a path prefix works too.
        """
        parts = urlsplit(url)
        start = parts.path.find(_FILES_PREFIX)
        if start < 0:
            raise GatewayError(GatewayErrorCode.REJECTED, "media URL is not a WAHA file URL")
        path = parts.path[start:] + (f"?{parts.query}" if parts.query else "")
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


def _config_of(session: Any) -> dict[str, Any]:
    """A session's config, fit to be sent back whole (PUT replaces it): WAHA answers with
    nulls (``"proxy": null``) that its own request schema refuses, and absent means the same."""
    config = session.get("config") if isinstance(session, dict) else None
    return _without_nulls(config) if isinstance(config, dict) else {}


def _without_nulls(mapping: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if value is not None}


def _webhook_config(webhook: WebhookSubscription) -> dict[str, Any]:
    config: dict[str, Any] = {
        "url": webhook.url,
        "events": list(webhook.events),
        "retries": dict(WEBHOOK_RETRIES),
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
