"""The AIProvider contract against ``AnthropicProvider`` over real HTTP, with the fake Messages
API server on the other side."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from wa_crm.adapters.ai.anthropic import AnthropicProvider
from wa_crm.ports.ai import (
    AIProvider,
    AIProviderError,
    AIProviderErrorKind,
    BotAction,
    BotReply,
    Speaker,
    TurnMessage,
    TurnRequest,
)
from wa_crm.testing import serve_app
from wa_crm.testing.fake_ai_servers import (
    FakeAIServer,
    HttpError,
    RawJson,
    Text,
    ToolCall,
    create_fake_anthropic_app,
)

from .suite import (
    API_KEY,
    MODEL,
    OBJECTIVE,
    PROMPT,
    REQUEST,
    TIMEOUT,
    AIProviderContract,
    Seen,
    quick_transport,
)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(block["text"] for block in content if block["type"] == "text")


class AnthropicDriver:
    def __init__(self, url: str, fake: FakeAIServer) -> None:
        self.url = url
        self.fake = fake
        self.anthropic = AnthropicProvider(
            API_KEY, MODEL, base_url=url, timeout=TIMEOUT, transport=quick_transport()
        )
        self.provider: AIProvider = self.anthropic
        self._others: list[AnthropicProvider] = []

    def script_text(self, text: str) -> None:
        self.fake.push(Text(text))

    def script_action(self, tool: str, arguments: dict[str, Any], text: str = "") -> None:
        self.fake.push(ToolCall(tool, arguments, text=text))

    def seen(self) -> Seen:
        body = self.fake.last_body
        return Seen(
            model=body["model"],
            system=_text(body["system"]),
            turns=[(message["role"], _text(message["content"])) for message in body["messages"]],
        )

    def another(self, *, url: str | None = None, api_key: str | None = None) -> AIProvider:
        provider = AnthropicProvider(
            api_key or API_KEY,
            MODEL,
            base_url=url or self.url,
            timeout=TIMEOUT,
            transport=quick_transport(),
        )
        self._others.append(provider)
        return provider

    async def aclose(self) -> None:
        for provider in [self.anthropic, *self._others]:
            await provider.aclose()


# one fake server for the class (its event loop is the class's), reset before each test
pytestmark = pytest.mark.asyncio(loop_scope="class")


@pytest_asyncio.fixture(scope="class", loop_scope="class")
async def server() -> AsyncIterator[tuple[str, FakeAIServer]]:
    app = create_fake_anthropic_app(api_key=API_KEY)
    async with serve_app(app) as url:
        yield url, app.state.fake


class TestAnthropic(AIProviderContract):
    @pytest_asyncio.fixture(loop_scope="class")
    async def driver(  # type: ignore[override]
        self, server: tuple[str, FakeAIServer]
    ) -> AsyncIterator[AnthropicDriver]:
        url, fake = server
        fake.reset()
        driver = AnthropicDriver(url, fake)
        try:
            yield driver
        finally:
            await driver.aclose()

    async def test_headers_and_request_shape(self, driver: AnthropicDriver) -> None:
        driver.script_text("ok")

        await driver.provider.reply(REQUEST)

        request = driver.fake.requests[-1]
        assert request.path == "/v1/messages"
        assert request.headers["x-api-key"] == API_KEY
        assert request.headers["anthropic-version"] == "2023-06-01"
        assert request.headers["content-type"] == "application/json"
        assert "authorization" not in request.headers
        body = request.body
        assert body["max_tokens"] == 1024
        assert isinstance(body["system"], str)
        assert [tool["name"] for tool in body["tools"]] == ["handoff", "objective_complete"]
        assert all(tool["input_schema"]["type"] == "object" for tool in body["tools"])
        assert body["tool_choice"] == {"type": "auto"}

    async def test_max_tokens_and_a_base_url_ending_in_v1(self, driver: AnthropicDriver) -> None:
        provider = AnthropicProvider(
            API_KEY, MODEL, base_url=driver.url + "/v1/", timeout=TIMEOUT, max_tokens=300
        )
        try:
            reply = await provider.reply(REQUEST)
        finally:
            await provider.aclose()

        assert reply.text.startswith("echo: ")
        assert driver.fake.requests[-1].path == "/v1/messages"
        assert driver.fake.last_body["max_tokens"] == 300

    async def test_consecutive_messages_of_one_speaker_are_joined(
        self, driver: AnthropicDriver
    ) -> None:
        history = (
            TurnMessage(Speaker.CONTACT, "oi"),
            TurnMessage(Speaker.CONTACT, ""),  # a photo without caption
            TurnMessage(Speaker.CONTACT, "tem óleo?"),
            TurnMessage(Speaker.ASSISTANT, "Temos sim."),
            TurnMessage(Speaker.ASSISTANT, "Qual é a sua cidade?"),
            TurnMessage(Speaker.CONTACT, "Campinas "),
        )

        await driver.provider.reply(TurnRequest(PROMPT, OBJECTIVE, history))

        assert driver.seen().turns == [
            ("user", "oi\ntem óleo?"),
            ("assistant", "Temos sim.\nQual é a sua cidade?"),
            ("user", "Campinas"),
        ]

    async def test_a_conversation_the_bot_opened_starts_with_the_user(
        self, driver: AnthropicDriver
    ) -> None:
        history = (
            TurnMessage(Speaker.ASSISTANT, "Olá! Sou a assistente da associação."),
            TurnMessage(Speaker.CONTACT, "oi"),
        )

        reply = await driver.provider.reply(TurnRequest(PROMPT, OBJECTIVE, history))

        assert reply.text == "echo: oi"
        roles = [role for role, _ in driver.seen().turns]
        assert roles == ["user", "assistant", "user"]

    async def test_overloaded_is_a_server_error(self, driver: AnthropicDriver) -> None:
        driver.fake.push(HttpError(529))

        with pytest.raises(AIProviderError) as caught:
            await driver.provider.reply(REQUEST)

        assert caught.value.kind is AIProviderErrorKind.SERVER_ERROR
        assert "overloaded_error" in str(caught.value)

    async def test_text_blocks_are_joined_and_tool_use_read(self, driver: AnthropicDriver) -> None:
        driver.fake.push(
            RawJson(
                {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "model": MODEL,
                    "content": [
                        {"type": "text", "text": "Entendi."},
                        {"type": "text", "text": "Vou chamar uma atendente. "},
                        {
                            "type": "tool_use",
                            "id": "toolu_1",
                            "name": "handoff",
                            "input": {"reason": "pedido", "summary": "quer humano"},
                        },
                    ],
                    "stop_reason": "tool_use",
                    "stop_sequence": None,
                    "usage": {"input_tokens": 10, "output_tokens": 10},
                }
            )
        )

        reply = await driver.provider.reply(REQUEST)

        assert reply == BotReply(
            text="Entendi.\n\nVou chamar uma atendente.",
            action=BotAction.HANDOFF,
            reason="pedido",
            summary="quer humano",
        )
