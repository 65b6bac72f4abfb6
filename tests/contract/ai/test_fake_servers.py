"""The fake AI servers refuse what the real APIs refuse (for the fields wa_crm uses), in each
API's error shape, and answer scripts in each API's reply shape."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from wa_crm.testing.fake_ai_servers import (
    Delay,
    FakeAIServer,
    HttpError,
    Text,
    ToolCall,
    create_fake_anthropic_app,
    create_fake_openai_app,
)

KEY = "sk-fake-servers-0123456789abcdef"
USER = {"role": "user", "content": "oi"}
ASSISTANT = {"role": "assistant", "content": "Olá!"}


def _client(app: Starlette, headers: dict[str, str]) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://fake", headers=headers
    )


@pytest.fixture
async def openai() -> AsyncIterator[tuple[httpx.AsyncClient, FakeAIServer]]:
    app = create_fake_openai_app(api_key=KEY, models=["gpt-test"])
    async with _client(app, {"authorization": f"Bearer {KEY}"}) as client:
        yield client, app.state.fake


@pytest.fixture
async def anthropic() -> AsyncIterator[tuple[httpx.AsyncClient, FakeAIServer]]:
    app = create_fake_anthropic_app(api_key=KEY)
    headers = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
    async with _client(app, headers) as client:
        yield client, app.state.fake


def _chat(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "gpt-test", "messages": [USER]}
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def _messages(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "claude-test", "max_tokens": 100, "messages": [USER]}
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


TOOL = {"type": "function", "function": {"name": "handoff", "parameters": {"type": "object"}}}


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (_chat(model=None), 400, "must provide a model"),
        (_chat(messages=None), 400, "Missing required parameter: 'messages'"),
        (_chat(messages=[]), 400, "empty array"),
        (_chat(messages=[{"role": "bot", "content": "x"}]), 400, "Supported values"),
        (_chat(messages=[{"role": "user"}]), 400, "messages[0].content"),
        (_chat(tool_choice="auto"), 400, "only allowed when 'tools'"),
        (
            _chat(tools=[{"type": "function", "function": {"name": "hand off"}}]),
            400,
            "does not match pattern",
        ),
        (_chat(response_format={"type": "json_object"}), 400, "must contain the word 'json'"),
        (_chat(response_format={"type": "yaml"}), 400, "Supported values"),
        (_chat(model="gpt-unknown"), 404, "does not exist"),
    ],
)
async def test_openai_refuses_what_openai_refuses(
    openai: tuple[httpx.AsyncClient, FakeAIServer], body: Any, status: int, message: str
) -> None:
    client, fake = openai
    fake.push(Text("scripted"))

    response = await client.post("/v1/chat/completions", json=body)

    assert response.status_code == status
    error = response.json()["error"]
    assert message in error["message"]
    assert set(error) == {"message", "type", "param", "code"}
    assert fake.pending == 1  # a refused request does not use up the script
    assert fake.requests[-1].status == status


async def test_openai_accepts_tools_and_json_mode(
    openai: tuple[httpx.AsyncClient, FakeAIServer],
) -> None:
    client, _ = openai
    json_mode = _chat(
        messages=[{"role": "system", "content": "Answer in JSON."}, USER],
        response_format={"type": "json_object"},
    )
    for body in (_chat(tools=[TOOL], tool_choice="auto"), json_mode):
        assert (await client.post("/v1/chat/completions", json=body)).status_code == 200


async def test_openai_checks_the_bearer_key(
    openai: tuple[httpx.AsyncClient, FakeAIServer],
) -> None:
    client, _ = openai
    wrong = "sk-not-the-right-one-0000000000"
    missing = await client.post("/v1/chat/completions", json=_chat(), headers={"authorization": ""})
    refused = await client.post(
        "/v1/chat/completions", json=_chat(), headers={"authorization": f"Bearer {wrong}"}
    )

    assert missing.status_code == refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_api_key"
    assert wrong not in refused.text  # masked, as OpenAI does


async def test_openai_renders_text_tool_calls_and_errors(
    openai: tuple[httpx.AsyncClient, FakeAIServer],
) -> None:
    client, fake = openai
    fake.push(Text("Olá!"), ToolCall("handoff", {"reason": "r"}, text="Um momento"), HttpError(429))

    text = (await client.post("/v1/chat/completions", json=_chat())).json()
    call = (await client.post("/v1/chat/completions", json=_chat())).json()
    limited = await client.post("/v1/chat/completions", json=_chat())

    assert text["object"] == "chat.completion"
    assert text["choices"][0]["message"] == {
        "role": "assistant",
        "content": "Olá!",
        "refusal": None,
    }
    assert text["choices"][0]["finish_reason"] == "stop"
    message = call["choices"][0]["message"]
    assert message["content"] == "Um momento"
    assert message["tool_calls"][0]["type"] == "function"
    assert message["tool_calls"][0]["function"]["name"] == "handoff"
    assert json.loads(message["tool_calls"][0]["function"]["arguments"]) == {"reason": "r"}
    assert call["choices"][0]["finish_reason"] == "tool_calls"
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "1"
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"


async def test_openai_lists_models(openai: tuple[httpx.AsyncClient, FakeAIServer]) -> None:
    client, _ = openai

    response = await client.get("/v1/models")

    assert [model["id"] for model in response.json()["data"]] == ["gpt-test"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (_messages(max_tokens=None), 400, "max_tokens: Field required"),
        (_messages(max_tokens=0), 400, "max_tokens"),
        (_messages(model=None), 400, "model: Field required"),
        (_messages(messages=[]), 400, "at least one message"),
        (_messages(messages=[ASSISTANT, USER]), 400, 'first message must use the "user" role'),
        (_messages(messages=[USER, USER]), 400, "roles must alternate"),
        (_messages(messages=[USER, ASSISTANT, ASSISTANT]), 400, "roles must alternate"),
        (_messages(messages=[{"role": "user", "content": " "}]), 400, "non-empty content"),
        (
            _messages(messages=[USER, {"role": "assistant", "content": "Olá! "}]),
            400,
            "trailing whitespace",
        ),
        (_messages(system={"text": "x"}), 400, "system"),
        (_messages(tools=[{"name": "handoff"}]), 400, "input_schema: Field required"),
        (
            _messages(tools=[{"name": "hand off", "input_schema": {"type": "object"}}]),
            400,
            "should match pattern",
        ),
        (_messages(tool_choice={"type": "auto"}), 400, "tool_choice"),
    ],
)
async def test_anthropic_refuses_what_anthropic_refuses(
    anthropic: tuple[httpx.AsyncClient, FakeAIServer], body: Any, status: int, message: str
) -> None:
    client, fake = anthropic
    fake.push(Text("scripted"))

    response = await client.post("/v1/messages", json=body)

    assert response.status_code == status
    assert response.json()["type"] == "error"
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert message in response.json()["error"]["message"]
    assert fake.pending == 1


@pytest.mark.parametrize(
    ("headers", "status", "kind"),
    [
        ({"x-api-key": ""}, 401, "authentication_error"),
        ({"x-api-key": "wrong"}, 401, "authentication_error"),
        ({"anthropic-version": ""}, 400, "invalid_request_error"),
    ],
)
async def test_anthropic_checks_its_headers(
    anthropic: tuple[httpx.AsyncClient, FakeAIServer],
    headers: dict[str, str],
    status: int,
    kind: str,
) -> None:
    client, _ = anthropic

    response = await client.post("/v1/messages", json=_messages(), headers=headers)

    assert response.status_code == status
    assert response.json()["error"]["type"] == kind


async def test_anthropic_renders_text_tool_use_and_overload(
    anthropic: tuple[httpx.AsyncClient, FakeAIServer],
) -> None:
    client, fake = anthropic
    fake.push(Text("Olá!"), ToolCall("handoff", {"reason": "r"}), HttpError(529))
    tools = [{"name": "handoff", "input_schema": {"type": "object"}}]
    body = _messages(tools=tools, tool_choice={"type": "auto"})

    text = (await client.post("/v1/messages", json=body)).json()
    call = (await client.post("/v1/messages", json=body)).json()
    overloaded = await client.post("/v1/messages", json=body)

    assert text["type"] == "message"
    assert text["content"] == [{"type": "text", "text": "Olá!"}]
    assert text["stop_reason"] == "end_turn"
    assert call["content"][0]["type"] == "tool_use"
    assert call["content"][0]["input"] == {"reason": "r"}
    assert call["stop_reason"] == "tool_use"
    assert overloaded.status_code == 529
    assert overloaded.json()["error"]["type"] == "overloaded_error"


async def test_a_delay_ends_on_release(anthropic: tuple[httpx.AsyncClient, FakeAIServer]) -> None:
    client, fake = anthropic
    fake.push(Delay(30, then=Text("finally")))

    pending = asyncio.create_task(client.post("/v1/messages", json=_messages()))
    for _ in range(1000):
        if fake.held:
            break
        await asyncio.sleep(0.001)
    fake.release()
    response = await asyncio.wait_for(pending, 5)

    assert response.json()["content"] == [{"type": "text", "text": "finally"}]


async def test_the_fallback_echoes_the_last_user_text(
    anthropic: tuple[httpx.AsyncClient, FakeAIServer],
) -> None:
    client, fake = anthropic
    body = _messages(messages=[USER, ASSISTANT, {"role": "user", "content": "tem óleo?"}])

    response = await client.post("/v1/messages", json=body)

    assert response.json()["content"][0]["text"] == "echo: tem óleo?"
    assert fake.last_body == body
