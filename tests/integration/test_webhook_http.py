"""``POST /api/webhooks/whatsapp`` at the HTTP edge: signatures, routing, refusals, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from tests.support.waha_payloads import (
    CONTACT,
    ENGINES,
    ME,
    WaMessage,
    ack_event,
    edited_event,
    encode,
    envelope,
    headers_for,
    message_event,
    presence_event,
    reaction_event,
    revoked_event,
    session_status_event,
)
from tests.support.webhook_driver import WEBHOOK, Waha, create_association

from wa_crm.entrypoints.http.webhooks import MAX_BODY_BYTES


def error_code(response: Any) -> str:
    body = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    return str(body["error"]["code"])


# --- every subscribed event -------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
async def test_every_subscribed_event_is_acknowledged(waha: Waha, engine: str) -> None:
    inbound = WaMessage(body="Oi")
    ours = WaMessage(from_me=True, body="Olá, Maria!")
    expected = [
        (message_event(inbound, engine=engine), "stored"),
        (message_event(inbound, engine=engine, event="message.any"), "duplicate"),
        (message_event(ours, engine=engine, event="message.any"), "stored"),
        (ack_event(ours.id, 3, engine=engine), "updated"),
        (edited_event(inbound, "Oi!", engine=engine), "updated"),
        (revoked_event(inbound, engine=engine), "updated"),
        (reaction_event(inbound.id, engine=engine), "updated"),
        (presence_event(CONTACT, "typing", engine=engine), "published"),
        (session_status_event("WORKING", engine=engine), "updated"),
    ]

    outcomes = [await waha.deliver(body) for body, _ in expected]

    assert outcomes == [outcome for _, outcome in expected]
    assert waha.counted("message", "stored") == 1
    assert waha.counted("message.any", "duplicate") == 1
    assert waha.counted("message.any", "stored") == 1
    assert waha.counted("message.reaction", "updated") == 1
    assert waha.counted("session.status", "updated") == 1


@pytest.mark.parametrize(
    "event", ["group.v2.join", "call.received", "poll.vote", "engine.event", "label.upsert"]
)
async def test_events_wa_crm_does_not_use_are_acknowledged_and_counted(
    waha: Waha, event: str
) -> None:
    response = await waha.post(envelope(event, {"id": "whatever", "from": CONTACT}))

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert waha.counted(event, "ignored") == 1
    assert await waha.stored_external_ids() == {}
    assert await waha.published() == []


# --- signatures -------------------------------------------------------------------------------


async def test_an_unsigned_event_is_refused(waha: Waha) -> None:
    response = await waha.post(message_event(WaMessage()), secret=None)

    assert response.status_code == 401
    assert error_code(response) == "bad_signature"
    assert await waha.stored_external_ids() == {}
    assert waha.counted("message", "bad_signature") == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Webhook-Hmac": "0" * 128},
        {"X-Webhook-Hmac": ""},
        {"X-Webhook-Hmac": "not hex at all, ünïcode".encode("latin-1")},
    ],
    ids=["zeros", "empty", "latin-1"],
)
async def test_a_wrong_signature_is_refused(waha: Waha, headers: dict[str, Any]) -> None:
    raw = encode(message_event(WaMessage()))

    response = await waha.client.post(WEBHOOK, content=raw, headers=headers_for(raw) | headers)

    assert response.status_code == 401
    assert await waha.stored_external_ids() == {}


async def test_a_signature_made_with_another_secret_or_body_is_refused(waha: Waha) -> None:
    body = message_event(WaMessage())

    assert (await waha.post(body, secret="not-the-secret")).status_code == 401
    tampered = encode(body).replace(b"Ol\xc3\xa1", b"Tchau")
    signed_original = headers_for(encode(body))
    response = await waha.client.post(WEBHOOK, content=tampered, headers=signed_original)
    assert response.status_code == 401
    assert await waha.stored_external_ids() == {}


async def test_an_association_without_a_secret_accepts_unsigned_events(waha: Waha) -> None:
    await create_association(waha.container, "aberta", session="open-session", secret="")
    message = WaMessage()

    response = await waha.post(message_event(message, session="open-session"), secret=None)

    assert response.status_code == 200
    assert response.json()["status"] == "stored"


# --- routing ----------------------------------------------------------------------------------


async def test_an_unknown_session_is_404(waha: Waha) -> None:
    response = await waha.post(message_event(WaMessage(), session="someone-else"))

    assert response.status_code == 404
    assert error_code(response) == "unknown_session"
    assert waha.counted("message", "unknown_session") == 1


async def test_one_session_name_on_two_waha_servers_is_told_apart(waha: Waha) -> None:
    """Before a session has a phone (QR events carry no ``me``) only the HMAC key tells."""
    other = await create_association(
        waha.container, "outra", base_url="http://waha-2.test:3000", secret="other-secret"
    )
    mine, theirs = WaMessage(body="para amigos"), WaMessage(body="para outra")

    qr = session_status_event("SCAN_QR_CODE", me=None)
    assert (await waha.post(qr, secret="other-secret")).status_code == 200
    assert (await waha.post(message_event(mine, me=None))).status_code == 200
    theirs_body = message_event(theirs, me=None)
    assert (await waha.post(theirs_body, secret="other-secret")).status_code == 200
    assert (await waha.post(message_event(WaMessage(), me=None), secret="nobody")).status_code == (
        404
    )

    assert await waha.message(mine.id) is not None
    assert await waha.message(theirs.id) is None  # stored for the other association
    async with waha.container.uow_factory()() as uow:
        assert await uow.messages.get_by_external_id(other.id, theirs.id) is not None

    # Once WORKING, ``me.id`` routes too.
    working = session_status_event("WORKING", engine="WEBJS")
    assert (await waha.post(working)).status_code == 200
    assert (await waha.reload()).whatsapp.phone == ME


# --- malformed, invalid, oversized ------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"not json",
        b'{"id": "evt_1", }',
        b"\xff\xfe\xfa",
        b'{"id": "\xc3\x28"}',
        b"[" * 100_000,
        b'{"n": ' + b"1" * 5000 + b"}",
    ],
    ids=[
        "empty",
        "truncated",
        "text",
        "trailing-comma",
        "bad-utf8",
        "bad-utf8-string",
        "deep",
        "bigint",
    ],
)
async def test_a_body_that_is_not_json_is_400(waha: Waha, raw: bytes) -> None:
    response = await waha.post(raw)

    assert response.status_code == 400
    assert error_code(response) == "malformed_json"
    assert waha.counted("unknown", "malformed") == 1


@pytest.mark.parametrize(
    "body",
    [
        [],
        "message",
        42,
        None,
        {},
        {"event": "message", "session": "default", "payload": {}},
        {"id": "evt_1", "session": "default", "payload": {}},
        {"id": "evt_1", "event": "message", "payload": {}},
        {"id": "evt_1", "event": "message", "session": "default"},
        {"id": "evt_1", "event": "message", "session": "default", "payload": []},
        {"id": "", "event": "message", "session": "default", "payload": {}},
        {"id": "evt_1", "event": "message", "session": "", "payload": {}},
        {"id": "evt_1", "event": "message", "session": "default", "payload": {}, "me": "x"},
        {"id": 7, "event": "message", "session": "default", "payload": {}},
    ],
)
async def test_a_body_that_is_not_an_event_envelope_is_422(waha: Waha, body: Any) -> None:
    response = await waha.post(encode(body))

    assert response.status_code == 422
    assert error_code(response) == "invalid_event"
    assert waha.counted("unknown", "invalid") == 1


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("message", {"from": CONTACT, "body": "no id"}),
        ("message.any", {"id": "x", "fromMe": True}),
        ("message.ack", {"id": "true_x_y", "ack": "read"}),
        ("presence.update", {"presences": []}),
        ("session.status", {"name": "default"}),
    ],
)
async def test_a_signed_event_whose_payload_has_the_wrong_shape_is_422(
    waha: Waha, event: str, payload: dict[str, Any]
) -> None:
    response = await waha.post(envelope(event, payload))

    assert response.status_code == 422
    assert error_code(response) == "invalid_payload"
    assert waha.counted(event, "invalid") == 1


async def test_a_body_over_the_limit_is_413(waha: Waha) -> None:
    message = WaMessage(body="x" * MAX_BODY_BYTES)

    response = await waha.post(message_event(message))

    assert response.status_code == 413
    assert error_code(response) == "body_too_large"
    assert await waha.stored_external_ids() == {}


async def test_a_streamed_body_over_the_limit_is_413(waha: Waha) -> None:
    """Without a Content-Length the body is counted as it arrives."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"id": "evt_1", "event": "message", "session": "default", "payload": {"body": "'
        for _ in range(20):
            yield b"x" * 100_000
        yield b'"}}'

    response = await waha.client.post(WEBHOOK, content=chunks(), headers=headers_for(b""))

    assert response.status_code == 413


async def test_a_body_just_under_the_limit_is_read(waha: Waha) -> None:
    message = WaMessage(body="")
    room = (MAX_BODY_BYTES - len(encode(message_event(message))) - 100) // 2  # body, _data.body
    message = message.with_(body="x" * room)
    assert MAX_BODY_BYTES - 200 < len(encode(message_event(message))) <= MAX_BODY_BYTES

    assert await waha.deliver(message_event(message)) == "stored"
    stored = await waha.message(message.id)
    assert stored is not None and len(stored.body) == room


async def test_text_no_database_stores_is_cleaned_not_refused(waha: Waha) -> None:
    r"""NUL (PostgreSQL refuses it) and lone surrogates (``"\ud800"``: no UTF-8 for them)."""
    message = WaMessage(body="oi\x00 tudo bem? LONE", push_name="Ma\x00ria")
    raw = encode(message_event(message)).replace(b"LONE", b"\\ud83d")
    assert b"\\u0000" in raw

    response = await waha.post(raw)

    assert response.status_code == 200, response.text
    stored = await waha.message(message.id)
    assert stored is not None and stored.body == "oi tudo bem? ?"
    contact = await waha.contact(CONTACT)
    assert contact is not None and contact.display_name == "Maria"


async def test_a_replayed_event_is_200_without_a_second_effect(waha: Waha) -> None:
    body = message_event(WaMessage())

    first, replay = await waha.post(body), await waha.post(body)

    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay.json()["status"] == "duplicate"
    assert list((await waha.stored_external_ids()).values()) == [1]
    assert waha.counted("message", "duplicate") == 1
