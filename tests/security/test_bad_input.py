"""No bad input is a 500 (issue 14, finding 6): every example of the issue, against the running
service over HTTP on both databases, gets a 422 that says what is wrong, stores nothing, and
leaves the association readable (``GET bot`` still answers).

Bodies are written as raw bytes with JSON's ASCII escapes, as an attacker would send them:
``"\\ud800"`` (a lone surrogate) and ``"\\u0000"`` (NUL) are valid JSON that Python decodes but
no database stores.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.e2e.harness import Service, running_service
from tests.support.hypothesis_profiles import examples

from wa_crm.domain.usecases.access.setup import NewAgent

CHAT = "5511988887777@c.us"
BAD_TEXT = ["\ud800", "a\udfffb", "\x00", "nul\x00inside"]
DEEP_ARRAY = b"[" * 100_000
DEEP_OBJECT = b'{"a":' * 40 + b"1" + b"}" * 40


@dataclass
class Api:
    service: Service
    admin: httpx.AsyncClient
    """Bearer client of an admin, under ``/api/associations/e2e``."""
    conversation_id: str

    async def send(self, method: str, path: str, body: Any) -> httpx.Response:
        raw = body if isinstance(body, bytes) else wire(body)
        headers = {"Content-Type": "application/json"}
        return await self.admin.request(method, path, content=raw, headers=headers)

    async def sent_texts(self) -> list[str]:
        return await self.service.texts()


def wire(value: Any) -> bytes:
    """JSON with ASCII escapes, so lone surrogates and NUL travel as the attacker wrote them."""
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


def refused(response: httpx.Response, status: int = 422) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] and error["message"]
    return str(error["message"])


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    async with running_service(database_url, tmp_path / "media", quick_sends=True) as service:
        container = service.container
        admin = NewAgent("e2e", "admin@e2e.org", "Admin", "admin", "admin-password")
        (await container.create_agent()(admin)).unwrap()
        token = (await container.issue_api_token()("e2e", "admin@e2e.org")).unwrap()
        await service.patient_writes(CHAT, "Oi")
        # the bot's greeting and first question, both: tests compare what is sent before and after
        await service.wait_for_texts(lambda texts: len(texts) >= 2)
        conversation = await service.conversation_of(CHAT)
        async with httpx.AsyncClient(
            base_url=f"{service.service_url}/api/associations/e2e",
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            yield Api(service, client, conversation.id)


def json_routes(conversation_id: str) -> list[tuple[str, str]]:
    conversation = f"/conversations/{conversation_id}"
    return [
        ("PUT", "/bot"),
        ("PUT", "/privacy"),
        ("PUT", "/assignment"),
        ("PUT", "/whatsapp"),
        ("POST", "/whatsapp/test"),
        ("POST", "/whatsapp/test-message"),
        ("POST", "/canned-replies"),
        ("POST", "/knowledge/documents"),
        ("POST", "/knowledge/try"),
        ("POST", f"{conversation}/messages"),
        ("POST", f"{conversation}/notes"),
        ("PUT", f"{conversation}/labels"),
        ("POST", f"{conversation}/snooze"),
        ("POST", f"{conversation}/assign"),
        ("POST", f"{conversation}/typing"),
    ]


async def test_deeply_nested_json_is_a_422_on_every_json_route_and_on_login(api: Api) -> None:
    for method, path in json_routes(api.conversation_id):
        for body in (DEEP_ARRAY, DEEP_OBJECT):
            assert "nests deeper" in refused(await api.send(method, path, body)), path
    async with httpx.AsyncClient(base_url=api.service.service_url) as anonymous:
        for body in (DEEP_ARRAY, DEEP_OBJECT):
            login = await anonymous.post(
                "/login", content=body, headers={"Content-Type": "application/json"}
            )
            assert "nests deeper" in refused(login)


@pytest.mark.parametrize("bad", BAD_TEXT, ids=["surrogate", "inner-surrogate", "nul", "inner-nul"])
async def test_text_no_database_stores_is_refused_and_nothing_is_stored(api: Api, bad: str) -> None:
    bot_before = (await api.admin.get("/bot")).json()
    privacy_before = (await api.admin.get("/privacy")).json()
    texts_before = await api.sent_texts()
    conversation = f"/conversations/{api.conversation_id}"

    attempts = [
        ("POST", f"{conversation}/notes", {"text": bad}),
        ("POST", "/canned-replies", {"shortcut": "oi", "text": bad}),
        ("POST", "/canned-replies", {"shortcut": "oi", "text": "ok", "title": bad}),
        ("POST", "/knowledge/documents", {"title": "Entregas", "text": bad}),
        ("POST", "/knowledge/documents", {"title": bad, "text": "ok"}),
        ("POST", "/whatsapp/test-message", {"phone": "+5511988887777", "text": bad}),
        ("POST", f"{conversation}/messages", {"text": bad}),
        ("POST", f"{conversation}/messages", {"text": "ok", "reply_to": bad}),
        ("PUT", "/bot", {"system_prompt": bad}),
        ("PUT", "/bot", {"handoff_keywords": ["humano", bad]}),
        ("PUT", "/bot", {"lead_questions": [{"field": bad, "question": "?"}]}),
        ("PUT", "/privacy", {"opt_out_confirmation": bad}),
        ("PUT", "/privacy", {"opt_out_keywords": [bad]}),
        ("PUT", "/whatsapp", {"session": bad}),
        ("PUT", f"{conversation}/labels", {"labels": [bad]}),
        ("POST", f"{conversation}/snooze", {"until": bad}),
        ("POST", "/canned-replies", {"shortcut": "oi", "text": "ok", bad: "key"}),
    ]
    for method, path, body in attempts:
        refused(await api.send(method, path, body))
    async with httpx.AsyncClient(base_url=api.service.service_url) as anonymous:
        login = {"association": "e2e", "email": f"ana{bad}@e2e.org", "password": "x" * 12}
        refused(
            await anonymous.post(
                "/login", content=wire(login), headers={"Content-Type": "application/json"}
            )
        )
        form = await anonymous.post("/login", data={**login, "email": "ana\x00@e2e.org"})
        assert form.status_code < 500

    bot_after = await api.admin.get("/bot")
    assert bot_after.status_code == 200 and bot_after.json() == bot_before
    assert (await api.admin.get("/privacy")).json() == privacy_before
    assert (await api.admin.get(f"{conversation}/notes")).json()["items"] == []
    assert (await api.admin.get("/canned-replies")).json()["items"] == []
    assert (await api.admin.get("/knowledge/documents")).json()["items"] == []
    assert await api.sent_texts() == texts_before


async def test_a_caption_or_file_name_with_nul_is_refused(api: Api) -> None:
    path = f"/conversations/{api.conversation_id}/messages"
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    )
    caption = await api.admin.post(path, files={"file": ("a.png", png)}, data={"caption": "a\x00"})
    assert "caption" in refused(caption)
    name = await api.admin.post(path, files={"file": ("a\x00.png", png, "image/png")})
    assert name.status_code < 500


async def test_reply_to_must_be_a_message_id(api: Api) -> None:
    path = f"/conversations/{api.conversation_id}/messages"
    texts_before = await api.sent_texts()
    for reply_to in ({"id": "x"}, ["x"], 7, True, "x" * 100_000):
        message = refused(await api.send("POST", path, {"text": "oi", "reply_to": reply_to}))
        assert "reply_to" in message
    assert await api.sent_texts() == texts_before


async def test_field_types_are_checked(api: Api) -> None:
    conversation = f"/conversations/{api.conversation_id}"
    attempts = [
        ("POST", f"{conversation}/messages", {"text": ["oi"]}),
        ("POST", f"{conversation}/notes", {"text": {"a": 1}}),
        ("POST", "/canned-replies", {"shortcut": 1, "text": "oi"}),
        ("PUT", "/bot", {"max_bot_turns": "many"}),
        ("PUT", "/privacy", {"retention_days": "30"}),
        ("PUT", "/whatsapp", {"messages_per_second": "2"}),
        ("PUT", "/whatsapp", {"messages_per_second": float("nan")}),
        ("PUT", "/whatsapp", {"messages_per_second": float("inf")}),
        ("PUT", "/whatsapp", {"chat_gap_seconds": 10**400}),
        ("PUT", "/bot", {"debounce_seconds": 1e999}),
        ("PUT", f"{conversation}/labels", {"labels": "urgent"}),
        ("POST", f"{conversation}/snooze", {"until": 1700000000}),
        ("POST", "/whatsapp/test-message", {"phone": ["+5511988887777"]}),
    ]
    for method, path, body in attempts:
        refused(await api.send(method, path, body))
    for body in (b"[]", b'"text"', b"null", b"not json", b"\xff\xfe", b"1" * 5000):
        refused(await api.send("POST", f"{conversation}/notes", body))
    assert (await api.admin.get("/bot")).status_code == 200


async def test_extreme_times_cursors_and_limits_are_refused(api: Api) -> None:
    conversation = f"/conversations/{api.conversation_id}"

    def cursor(activity: str, conversation_id: str = api.conversation_id) -> str:
        return base64.urlsafe_b64encode(f"{activity}|{conversation_id}".encode()).decode()

    queries = [
        (f"{conversation}/messages", {"before": "0001-01-01T00:00:00+14:00"}),
        (f"{conversation}/messages", {"before": "9999-12-31T23:59:59-14:00"}),
        (f"{conversation}/messages", {"before": "2026-01-01T00:00:00"}),
        ("/stats", {"to": "9999-12-31"}),
        ("/stats", {"from": "0001-01-01"}),
        ("/stats", {"from": "2020-01-01", "to": "2026-01-01"}),
        ("/stats", {"to": "2026-02-30"}),
        ("/audit", {"cursor": "9" * 30}),
        ("/audit", {"cursor": "-1"}),
        ("/audit", {"cursor": "abc"}),
        ("/audit", {"cursor": "²"}),
        ("/audit", {"from": "0001-01-01T00:00:00+14:00"}),
        ("/audit", {"to": "9999-12-31T23:59:59-14:00"}),
        ("/audit", {"limit": "-1"}),
        ("/audit", {"limit": "²"}),
        ("/audit", {"limit": "9" * 30}),
        ("/conversations", {"cursor": cursor("0001-01-01T00:00:00+14:00")}),
        ("/conversations", {"cursor": cursor("2026-01-01T00:00:00+00:00", "x\x00")}),
        ("/conversations", {"cursor": "not base64!"}),
        ("/conversations", {"limit": "0"}),
        ("/alerts", {"limit": "1e3"}),
    ]
    for path, params in queries:
        refused(await api.admin.get(path, params=params))
    until = {"until": "0001-01-01T00:00:00+14:00"}
    refused(await api.send("POST", f"{conversation}/snooze", until))


async def test_a_nul_in_the_url_is_refused(api: Api) -> None:
    for path in ("/conversations/%00", "/conversations?q=%00", "/audit?actor=a%00b"):
        assert "NUL" in refused(await api.admin.get(path))
    refused(await api.admin.post("/conversations/x%00/claim"))


async def test_settings_lists_and_texts_have_size_limits(api: Api) -> None:
    bot_before = (await api.admin.get("/bot")).json()
    privacy_before = (await api.admin.get("/privacy")).json()
    window = {"weekday": 0, "opens": "08:00:00", "closes": "18:00:00"}
    attempts = [
        ("/privacy", {"opt_out_keywords": [f"sair{n}" for n in range(1000)]}),
        ("/privacy", {"opt_in_keywords": ["voltar" * 1000]}),
        ("/privacy", {"opt_out_confirmation": "x" * 10_000}),
        ("/bot", {"handoff_keywords": [f"humano{n}" for n in range(1000)]}),
        ("/bot", {"handoff_keywords": ["humano" * 1000]}),
        ("/bot", {"system_prompt": "x" * 100_000}),
        ("/bot", {"greeting_lead": "x" * 10_000}),
        ("/bot", {"lead_questions": [{"field": f"f{n}", "question": "?"} for n in range(100)]}),
        ("/bot", {"business_hours": {"timezone": "America/Sao_Paulo", "windows": [window] * 100}}),
        ("/bot", {"sensitive_data": ["email"] * 1000}),
    ]
    for path, body in attempts:
        assert "at most" in refused(await api.send("PUT", path, body)), body
    assert (await api.admin.get("/bot")).json() == bot_before
    assert (await api.admin.get("/privacy")).json() == privacy_before


fuzz = settings(
    max_examples=examples(40),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
tricky_text = st.text(st.characters(exclude_categories=()), max_size=20) | st.sampled_from(BAD_TEXT)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | tricky_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky_text, inner, max_size=3),
    max_leaves=12,
)
bodies = (
    st.dictionaries(
        st.sampled_from(["text", "shortcut", "title", "system_prompt", "opt_out_keywords"]),
        json_values,
        max_size=3,
    )
    | json_values
    | st.integers(min_value=1, max_value=3000).map(lambda depth: "[" * depth)
)


@fuzz
@given(body=bodies, route=st.sampled_from(["/bot", "/privacy", "/canned-replies", "notes"]))
async def test_any_json_into_settings_notes_and_replies_is_never_a_5xx(
    api: Api, body: Any, route: str
) -> None:
    method = "PUT" if route in ("/bot", "/privacy") else "POST"
    path = f"/conversations/{api.conversation_id}/notes" if route == "notes" else route
    raw = body.encode() if isinstance(body, str) and body.startswith("[") else wire(body)
    response = await api.send(method, path, raw)
    assert response.status_code < 500, response.text
    assert (await api.admin.get("/bot")).status_code == 200
