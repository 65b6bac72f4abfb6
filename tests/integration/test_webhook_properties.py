"""Properties of the webhook: no input makes it fail, and no delivery order stores twice.

Examples share one app and database per test (and backend); each example uses fresh message
ids and contacts, so what earlier examples stored does not matter.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import defaultdict
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.hypothesis_profiles import examples
from tests.support.waha_payloads import (
    CONTACT,
    ENGINES,
    SECRET,
    WaMessage,
    ack_event,
    edited_event,
    envelope,
    headers_for,
    message_event,
    new_event_id,
    new_hex_id,
    presence_event,
    reaction_event,
    revoked_event,
    session_status_event,
)
from tests.support.webhook_driver import WEBHOOK, Waha

WEBHOOK_STATUSES = {200, 400, 401, 404, 413, 422}
EVENTS = [
    "message",
    "message.any",
    "message.ack",
    "message.revoked",
    "message.edited",
    "message.reaction",
    "session.status",
    "presence.update",
    "group.v2.join",
]
TRICKY_TEXT = ["\x00", "\ud800", "\udfff", "💥", "ção", "\u202e", "@c.us", "@lid", "_", "9" * 40]

fuzz = settings(
    max_examples=examples(150),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Bodies the webhook refuses before anything is stored test the edge, not a database: SQLite only.
# Whatever may be stored runs on both, where PostgreSQL's text and integer rules differ.
REFUSED_BEFORE_STORAGE = pytest.mark.parametrize("backend_url", ["sqlite"], indirect=True)

# Every code point, NUL and lone surrogates included (``to_wire`` escapes what needs it).
any_text = st.text(st.characters(exclude_categories=()), max_size=30)
text = (
    any_text
    | st.sampled_from(TRICKY_TEXT)
    | st.builds(str.__add__, any_text, st.sampled_from(TRICKY_TEXT))
)
numbers = (
    st.integers()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats()
    | st.sampled_from([0, -1, 1e300, -1e300, 10**15, -(10**12), 2**63, 1.5e14])
)
scalars = st.none() | st.booleans() | numbers | text
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=20,
)
# Bodies that break parsers rather than schemas: deep nesting, integers too long to convert.
hostile_bytes = (
    st.binary(max_size=300)
    | st.integers(min_value=1, max_value=150_000).map(lambda n: b"[" * n)
    | st.integers(min_value=1, max_value=50_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n)
    | st.integers(min_value=1, max_value=20_000).map(lambda n: b'{"id":' + b"9" * n + b"}")
)


def to_wire(value: Any) -> bytes:
    """JSON as a sender might write it: ASCII escapes keep lone surrogates encodable."""
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


def realistic_bodies() -> list[dict[str, Any]]:
    message = WaMessage(body="Oi")
    return [
        message_event(message),
        message_event(message.with_(from_me=True), engine="NOWEB", event="message.any"),
        ack_event(message.id, 3, engine="GOWS"),
        revoked_event(message, engine="NOWEB"),
        edited_event(message, "editada"),
        reaction_event(message.id),
        presence_event(CONTACT),
        session_status_event("WORKING"),
    ]


def like(value: Any) -> st.SearchStrategy[Any]:
    """Mostly values of the same JSON type as ``value``, sometimes anything."""
    if isinstance(value, str):
        return text | json_values
    if isinstance(value, int | float) and not isinstance(value, bool):
        return numbers | json_values
    return json_values


@st.composite
def mutated_envelopes(draw: st.DrawFn) -> dict[str, Any]:
    """A realistic event whose payload fields are replaced, removed or added at random."""
    body = draw(st.sampled_from(realistic_bodies()))
    body["id"] = new_event_id()
    body["event"] = draw(st.sampled_from([body["event"], *EVENTS]))
    payload: dict[str, Any] = dict(body["payload"])
    for key in draw(st.lists(st.sampled_from(sorted(payload)), max_size=5, unique=True)):
        if draw(st.integers(min_value=0, max_value=4)) == 0:
            del payload[key]
        else:
            payload[key] = draw(like(payload[key]))
    payload.update(draw(st.dictionaries(text, json_values, max_size=2)))
    body["payload"] = payload
    return body


async def post_signed(client: httpx.AsyncClient, raw: bytes) -> httpx.Response:
    return await client.post(WEBHOOK, content=raw, headers=headers_for(raw, SECRET))


@REFUSED_BEFORE_STORAGE
@fuzz
@given(body=json_values)
async def test_any_json_body_gets_a_webhook_status(waha: Waha, body: Any) -> None:
    raw = to_wire(body)
    for secret in (SECRET, None):
        response = await waha.client.post(WEBHOOK, content=raw, headers=headers_for(raw, secret))
        assert response.status_code in WEBHOOK_STATUSES, response.text


@REFUSED_BEFORE_STORAGE
@fuzz
@given(raw=hostile_bytes)
async def test_any_bytes_get_a_webhook_status(waha: Waha, raw: bytes) -> None:
    response = await post_signed(waha.client, raw)
    assert response.status_code in WEBHOOK_STATUSES, response.text


@fuzz
@given(
    fields=st.dictionaries(
        st.sampled_from(["id", "event", "session", "me", "payload", "timestamp", "engine"]),
        json_values,
    )
)
async def test_any_envelope_gets_a_webhook_status(waha: Waha, fields: dict[str, Any]) -> None:
    body = envelope("message", WaMessage().payload("WEBJS")) | fields
    response = await post_signed(waha.client, to_wire(body))
    assert response.status_code in WEBHOOK_STATUSES, response.text


@fuzz
@given(body=mutated_envelopes())
async def test_a_signed_event_with_any_payload_is_stored_or_refused_never_a_fault(
    waha: Waha, body: dict[str, Any]
) -> None:
    response = await post_signed(waha.client, to_wire(body))
    assert response.status_code in {200, 422}, response.text


@fuzz
@given(body=text, push_name=text, timestamp=numbers | st.none(), engine=st.sampled_from(ENGINES))
async def test_a_message_with_any_text_and_time_is_stored(
    waha: Waha, body: str, push_name: str, timestamp: float | None, engine: str
) -> None:
    """Text no database takes is cleaned: NUL dropped, lone surrogates replaced."""
    message = WaMessage(body=body, push_name=push_name)
    wire = message_event(message, engine=engine)
    wire["payload"]["timestamp"] = timestamp

    response = await post_signed(waha.client, to_wire(wire))

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "stored"
    stored = await waha.message(message.id)
    assert stored is not None
    assert stored.body == body.replace("\x00", "").encode("utf-8", "replace").decode()


# --- duplicates and replays -------------------------------------------------------------------

_numbers = itertools.count(1)
DELIVERY_KINDS = ["replay", "new_event_id", "any_replay", "any_new_event_id"]


def fresh_contact() -> str:
    """A São Paulo mobile no earlier example wrote from."""
    return f"551199{next(_numbers):07d}@c.us"


@st.composite
def delivery_plans(draw: st.DrawFn) -> list[list[tuple[int, str, str]]]:
    """Batches (delivered one after the other) of concurrent deliveries: message, kind, engine."""
    messages = draw(st.integers(min_value=1, max_value=3))
    delivery = st.tuples(
        st.integers(min_value=0, max_value=messages - 1),
        st.sampled_from(DELIVERY_KINDS),
        st.sampled_from(ENGINES),
    )
    return draw(st.lists(st.lists(delivery, min_size=1, max_size=6), min_size=1, max_size=3))


@settings(fuzz, max_examples=examples(40))
@given(plan=delivery_plans(), same_contact=st.booleans())
async def test_duplicates_and_replays_in_any_order_store_each_message_once(
    waha: Waha, plan: list[list[tuple[int, str, str]]], same_contact: bool
) -> None:
    shared = fresh_contact()
    messages = [
        WaMessage(chat_id=shared if same_contact else fresh_contact(), hex_id=new_hex_id())
        for _ in range(3)
    ]
    first_event_ids = defaultdict(new_event_id)  # (message, event) -> the id WAHA retries

    def body(index: int, kind: str, engine: str) -> dict[str, Any]:
        event = "message.any" if kind.startswith("any") else "message"
        event_id = first_event_ids[index, event] if kind.endswith("replay") else new_event_id()
        return message_event(messages[index], engine=engine, event=event, event_id=event_id)

    for batch in plan:
        responses = await asyncio.gather(
            *(waha.post(body(index, kind, engine)) for index, kind, engine in batch)
        )
        assert [r.status_code for r in responses] == [200] * len(batch)
        assert {r.json()["status"] for r in responses} <= {"stored", "duplicate"}

    delivered = {messages[index].id for batch in plan for index, _, _ in batch}
    stored = await waha.stored_external_ids()
    assert {external_id: stored[external_id] for external_id in delivered} == dict.fromkeys(
        delivered, 1
    )
    for chat_id in {messages[index].chat_id for batch in plan for index, _, _ in batch}:
        open_conversations = [c for c in await waha.conversations(chat_id) if c.is_open]
        assert len(open_conversations) == 1
