"""``WahaGateway``: the WhatsAppGateway port over WAHA's HTTP API.

One pooled ``httpx.AsyncClient`` per WAHA base URL; every request carries ``X-Api-Key``.
httpx failures and WAHA's error answers become ``GatewayError`` with a code that says whether
retrying can help (``errors.py``). Every request is an operation of WAHA's OpenAPI spec with a
body the spec accepts, except the media download (``GET /api/files/...``, which WAHA serves
outside its spec, and which ``media_urls`` restricts to the session's own files).
"""

from __future__ import annotations

import asyncio
import base64
import re
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from wa_crm.adapters.waha.errors import ALREADY_STARTED, error_for_response, error_for_transport
from wa_crm.adapters.waha.fixed_ids import (
    bare_id,
    own_messages_of,
    own_messages_query,
    serialized_own_id,
)
from wa_crm.adapters.waha.media_urls import files_path
from wa_crm.adapters.waha.sent_ids import sent_message_id
from wa_crm.ports.whatsapp import (
    Connection,
    GatewayError,
    GatewayErrorCode,
    OutgoingFile,
    OwnMessage,
    QrCode,
    SentMessage,
    ServerInfo,
    ServerTier,
    SessionInfo,
    SessionStatus,
    WebhookSubscription,
)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# WAHA's defaults, written out so that what a session holds is what we asked for
WEBHOOK_RETRIES: dict[str, Any] = {"policy": "exponential", "delaySeconds": 2, "attempts": 15}
# What WAHA says of itself ("2025.1.4", "WEBJS"); anything else is not shown to the admin
_VERSION = re.compile(r"^[0-9][0-9A-Za-z.+-]{0,39}$")
_RELEASE = re.compile(r"^(\d+)\.(\d+)\.(\d+)")
OLDEST_SUPPORTED_VERSION = "2024.11.5"
"""The oldest WAHA release wa_crm works with: the first whose Core signs webhooks (HMAC, in
WAHA's changelog), which wa_crm requires. Older ones (2024.10.8 was recorded) sign nothing and
send no envelope id, so every event they send is refused."""
MESSAGE_EDITED_SINCE = "2026.7.2"
"""``message.edited`` is asked for only from this release on: 2024.10.8 refuses a session config
naming it (400, shared/waha/recorded/README.md), 2026.7.2 is the oldest spec we compared that
lists it, and when it appeared in between is not documented. Older servers then simply send no
edits."""
# Session statuses a start applies to; any other one is running already (or unknown)
_STARTABLE = (SessionStatus.STOPPED, SessionStatus.FAILED)
_ENGINE = re.compile(r"^[A-Z][A-Z0-9_]{0,19}$")
NO_FIXED_IDS_SECONDS = 600.0
"""How long an engine that fixed no message id beforehand is not asked again (the server's
engine changes only when it restarts)."""
MEDIA_DOWNLOAD_SECONDS = 120.0
"""A whole media download, however the server paces it (``DEFAULT_TIMEOUT`` is per read)."""
# enough of a failed download's answer to classify it (error_for_response); the body is decoded
_ERROR_BODY_BYTES = 64 * 1024
_ERROR_HEADERS = ("content-type", "retry-after")


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
        # (base URL, session) -> until when its engine is taken to fix no ids beforehand
        self._no_fixed_ids: dict[tuple[str, str], float] = {}

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
        try:
            response = await self._client(connection.base_url).request(
                method, path, json=json, params=params, headers=_auth(connection)
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
        self,
        connection: Connection,
        chat_id: str,
        text: str,
        reply_to: str | None = None,
        message_id: str | None = None,
    ) -> SentMessage:
        body: dict[str, Any] = {"chatId": chat_id, "text": text}
        if reply_to:
            body["reply_to"] = reply_to
        if message_id:
            body["id"] = bare_id(message_id)
        return await self._send(connection, "/api/sendText", body)

    async def new_message_id(self, connection: Connection, chat_id: str) -> str | None:
        """None for an engine that lacks the method (501), remembered for the session a while
        so that its sends do not each ask again."""
        key = (connection.base_url, connection.session)
        if self._no_fixed_ids.get(key, 0.0) > time.monotonic():
            return None
        path = f"/api/{_segment(connection.session)}/new-message-id"
        try:
            data = _json_or_none(await self._call(connection, "GET", path))
        except GatewayError as error:
            if error.code is not GatewayErrorCode.REJECTED:
                raise
            self._no_fixed_ids[key] = time.monotonic() + NO_FIXED_IDS_SECONDS
            return None
        bare = data.get("id") if isinstance(data, dict) else None
        return serialized_own_id(chat_id, bare) if isinstance(bare, str) and bare else None

    async def own_messages(
        self, connection: Connection, chat_id: str, since: datetime
    ) -> Sequence[OwnMessage] | None:
        path = f"/api/{_segment(connection.session)}/chats/{_segment(chat_id)}/messages"
        try:
            response = await self._call(connection, "GET", path, params=own_messages_query(since))
        except GatewayError as error:
            if error.code is not GatewayErrorCode.REJECTED:  # NOWEB without its store: 400
                raise
            return None
        return own_messages_of(_json_or_none(response))

    async def send_image(
        self, connection: Connection, chat_id: str, file: OutgoingFile, caption: str = ""
    ) -> SentMessage:
        return await self._send(connection, "/api/sendImage", _file_body(chat_id, file, caption))

    async def send_document(
        self, connection: Connection, chat_id: str, file: OutgoingFile, caption: str = ""
    ) -> SentMessage:
        return await self._send(connection, "/api/sendFile", _file_body(chat_id, file, caption))

    async def send_seen(
        self, connection: Connection, chat_id: str, message_ids: Sequence[str] = ()
    ) -> None:
        """``messageIds``, as WAHA's spec has it now (``messageId`` is deprecated); WAHA
        2024.10.8's NOWEB refused a sendSeen without an id (shared/waha/recorded/README.md)."""
        body: dict[str, Any] = {**_chat(connection, chat_id)}
        if message_ids:
            body["messageIds"] = list(message_ids)
        await self._call(connection, "POST", "/api/sendSeen", json=body)

    async def react(self, connection: Connection, message_id: str, emoji: str) -> None:
        """WAHA's ``PUT /api/reaction`` (``MessageReactionRequest``; "" removes)."""
        body = {"messageId": message_id, "reaction": emoji, "session": connection.session}
        await self._call(connection, "PUT", "/api/reaction", json=body)

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
        """Create the session with our webhook, or add ours to an existing one, then start it,
        doing only what is still to do, since WAHA answers a repeated step with a failure or a
        restart (shared/waha/recorded/exchanges.jsonl):

        - the config is written only when our webhook is missing or differs (other webhooks
          stay), and only with events the server's release knows: a PUT restarts a running
          session, and a release refuses an event it does not know;
        - only a STOPPED or FAILED session is started: starting a running one is a 422, and a
          422 "already started" (a race, or the restart the PUT began) counts as started.
        """
        path = f"/api/sessions/{_segment(connection.session)}"
        server = await self.server_version(connection)
        ours = _webhook_config(webhook, server.version)
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
            current = (await self._call(connection, "PUT", path, json={"config": config})).json()
        info = _session_info(current, connection.session)
        if info.status not in _STARTABLE:
            return info
        try:
            started = await self._call(connection, "POST", f"{path}/start")
        except GatewayError as error:
            if ALREADY_STARTED not in error.message:
                raise
            return await self.session_status(connection)
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
        """Only an answer shaped like WAHA's is WAHA; a refused key counts as WAHA's when
        ``/ping`` (WAHA's one public route) says pong. Anything else is REJECTED, whatever it
        answered: the admin's connection check must not tell the ports of other services apart.
        """
        try:
            response = await self._call(connection, "GET", "/api/server/version")
        except GatewayError as error:
            if error.code is GatewayErrorCode.UNAUTHORIZED and not await self._pongs(connection):
                raise _not_waha() from error
            raise
        data = _json_or_none(response)
        version = data.get("version") if isinstance(data, dict) else None
        engine = data.get("engine") if isinstance(data, dict) else None
        if not isinstance(version, str) or not _VERSION.fullmatch(version):
            raise _not_waha()
        shown_engine = engine if isinstance(engine, str) and _ENGINE.fullmatch(engine) else None
        tier = data.get("tier") if isinstance(data, dict) else None
        return ServerInfo(
            version,
            shown_engine,
            ServerTier.__members__.get(tier) if isinstance(tier, str) else None,
            None if _at_least(version, OLDEST_SUPPORTED_VERSION) else OLDEST_SUPPORTED_VERSION,
        )

    async def _pongs(self, connection: Connection) -> bool:
        try:
            response = await self._call(connection, "GET", "/ping")
        except GatewayError:
            return False
        data = _json_or_none(response)
        return isinstance(data, dict) and data.get("message") == "pong"

    async def resolve_lid(self, connection: Connection, lid: str) -> str | None:
        path = f"/api/{_segment(connection.session)}/lids/{_segment(lid)}"
        data = (await self._call(connection, "GET", path)).json()
        pn = data.get("pn") if isinstance(data, dict) else None
        return str(pn) if pn else None

    async def download_media(self, connection: Connection, url: str, max_bytes: int) -> bytes:
        """Stream ``url``'s file from the configured WAHA server (``media_urls`` says which URLs
        qualify), counting while reading: a server that sends more than ``max_bytes``, or
        sends slowly for longer than ``MEDIA_DOWNLOAD_SECONDS``, is cut off. A redirect is
        refused, since following it would carry our API key wherever it points."""
        path = files_path(url, connection.session)
        if not connection.base_url:
            raise GatewayError(GatewayErrorCode.UNREACHABLE, "no WAHA base URL is configured")
        client = self._client(connection.base_url)
        try:
            async with (
                asyncio.timeout(MEDIA_DOWNLOAD_SECONDS),
                client.stream(
                    "GET", path, headers=_auth(connection), follow_redirects=False
                ) as response,
            ):
                return await _bounded_body(response, max_bytes)
        except TimeoutError as error:
            raise GatewayError(
                GatewayErrorCode.TIMEOUT, f"media took over {MEDIA_DOWNLOAD_SECONDS:.0f} s"
            ) from error
        except httpx.HTTPError as error:
            raise error_for_transport(error) from error


async def _bounded_body(response: httpx.Response, max_bytes: int) -> bytes:
    """The body of a 200 answer, read up to ``max_bytes``; a failure for anything else."""
    if response.is_redirect or not response.is_success:
        head = await _head(response, _ERROR_BODY_BYTES)
        kept = {name: response.headers[name] for name in _ERROR_HEADERS if name in response.headers}
        failed = httpx.Response(
            response.status_code, headers=kept, content=head, request=response.request
        )
        if response.is_error:
            raise error_for_response(failed)
        raise GatewayError(
            GatewayErrorCode.REJECTED,
            f"WAHA answered {response.status_code} to a media download; redirects are not followed",
        )
    declared = response.headers.get("content-length", "")
    size = int(declared) if declared.isdigit() else None
    if size is not None and size > max_bytes:
        raise _too_large(max_bytes, size)
    body = await _head(response, max_bytes + 1)
    if len(body) > max_bytes:
        raise _too_large(max_bytes, size)
    return body


async def _head(response: httpx.Response, limit: int) -> bytes:
    """At most about ``limit`` bytes of the (decoded) body; the rest is never read."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) >= limit:
            break
    return bytes(body[:limit])


def _too_large(max_bytes: int, size: int | None) -> GatewayError:
    """``size``: the declared length, kept only when it is over the limit (a lying server's
    smaller figure is no size at all)."""
    return GatewayError(
        GatewayErrorCode.TOO_LARGE,
        f"media is over the limit of {max_bytes} bytes",
        size=size if size is not None and size > max_bytes else None,
    )


def _auth(connection: Connection) -> dict[str, str]:
    return {"X-Api-Key": connection.api_key} if connection.api_key else {}


def _not_waha() -> GatewayError:
    return GatewayError(GatewayErrorCode.REJECTED, "the server does not answer as WAHA does")


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


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


def _release(version: str) -> tuple[int, int, int] | None:
    """``2024.10.8`` as (2024, 10, 8); None for a version not numbered so."""
    match = _RELEASE.match(version)
    if match is None:
        return None
    year, month, build = (int(part) for part in match.groups())
    return year, month, build


def _at_least(version: str, oldest: str) -> bool:
    """A version numbered otherwise (a development build) is taken to be recent."""
    found, needed = _release(version), _release(oldest)
    return found is None or needed is None or found >= needed


def _webhook_config(webhook: WebhookSubscription, server_version: str) -> dict[str, Any]:
    events = [
        event
        for event in webhook.events
        if event != "message.edited" or _at_least(server_version, MESSAGE_EDITED_SINCE)
    ]
    config: dict[str, Any] = {
        "url": webhook.url,
        "events": events,
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
        webhooks=_webhooks_of(data),
    )


def _webhooks_of(session: dict[str, Any]) -> tuple[WebhookSubscription, ...]:
    """``config.webhooks``, as far as a session answer carries it (not every answer does)."""
    hooks = _config_of(session).get("webhooks")
    found = []
    for hook in hooks if isinstance(hooks, list) else []:
        if not isinstance(hook, dict) or not isinstance(hook.get("url"), str):
            continue
        listed = hook.get("events")
        events = listed if isinstance(listed, list) else []
        key = hook["hmac"].get("key") if isinstance(hook.get("hmac"), dict) else None
        found.append(
            WebhookSubscription(
                hook["url"], tuple(str(e) for e in events), str(key) if key else None
            )
        )
    return tuple(found)
