"""The AIProvider contract against ``OpenAIProvider`` over real HTTP, with the fake
OpenAI-compatible server on the other side: with tools, and in JSON mode (no tools)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from wa_crm.adapters.ai.openai import OpenAIProvider
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
    JsonText,
    Reply,
    Text,
    ToolCall,
    create_fake_openai_app,
)

from .suite import (
    API_KEY,
    COMPLETE_ARGS,
    HANDOFF_ARGS,
    MODEL,
    OBJECTIVE,
    PROMPT,
    REQUEST,
    TIMEOUT,
    AIProviderContract,
    Seen,
    quick_transport,
)


class OpenAIDriver:
    def __init__(self, url: str, fake: FakeAIServer, *, use_tools: bool) -> None:
        self.url = url
        self.fake = fake
        self.use_tools = use_tools
        self.openai = OpenAIProvider(
            url,
            API_KEY,
            MODEL,
            timeout=TIMEOUT,
            use_tools=use_tools,
            transport=quick_transport(),
        )
        self.provider: AIProvider = self.openai
        self._others: list[OpenAIProvider] = []

    def script_text(self, text: str) -> None:
        if self.use_tools:
            self.fake.push(Text(text))
        else:
            self.fake.push(JsonText({"text": text, "action": "none"}))

    def script_action(self, tool: str, arguments: dict[str, Any], text: str = "") -> None:
        if self.use_tools:
            self.fake.push(ToolCall(tool, arguments, text=text))
        else:
            self.fake.push(JsonText({"text": text, "action": tool, **arguments}))

    def seen(self) -> Seen:
        body = self.fake.last_body
        system, *rest = body["messages"]
        assert system["role"] == "system"
        return Seen(
            model=body["model"],
            system=system["content"],
            turns=[(message["role"], message["content"]) for message in rest],
        )

    def another(self, *, url: str | None = None, api_key: str | None = None) -> AIProvider:
        provider = OpenAIProvider(
            url or self.url,
            api_key or API_KEY,
            MODEL,
            timeout=TIMEOUT,
            use_tools=self.use_tools,
            transport=quick_transport(),
        )
        self._others.append(provider)
        return provider

    async def aclose(self) -> None:
        for provider in [self.openai, *self._others]:
            await provider.aclose()


# one fake server per test class (its event loop is the class's), reset before each test
pytestmark = pytest.mark.asyncio(loop_scope="class")


@pytest_asyncio.fixture(scope="class", loop_scope="class")
async def server() -> AsyncIterator[tuple[str, FakeAIServer]]:
    app = create_fake_openai_app(api_key=API_KEY)
    async with serve_app(app) as url:
        yield url, app.state.fake


async def _driver(server: tuple[str, FakeAIServer], use_tools: bool) -> AsyncIterator[OpenAIDriver]:
    url, fake = server
    fake.reset()
    driver = OpenAIDriver(url, fake, use_tools=use_tools)
    try:
        yield driver
    finally:
        await driver.aclose()


class TestOpenAIWithTools(AIProviderContract):
    @pytest_asyncio.fixture(loop_scope="class")
    async def driver(  # type: ignore[override]
        self, server: tuple[str, FakeAIServer]
    ) -> AsyncIterator[OpenAIDriver]:
        async for driver in _driver(server, use_tools=True):
            yield driver

    async def test_the_request_offers_the_two_tools(self, driver: OpenAIDriver) -> None:
        driver.script_text("ok")

        await driver.provider.reply(REQUEST)

        body = driver.fake.last_body
        assert [tool["function"]["name"] for tool in body["tools"]] == [
            "handoff",
            "objective_complete",
        ]
        handoff = body["tools"][0]["function"]["parameters"]
        assert set(handoff["properties"]) == {"reason", "summary", "collected"}
        assert body["tool_choice"] == "auto"
        assert "response_format" not in body
        assert driver.fake.requests[-1].headers["authorization"] == f"Bearer {API_KEY}"
        assert driver.fake.requests[-1].path == "/v1/chat/completions"

    @pytest.mark.parametrize("suffix", ["/", "/v1", "/v1/"])
    async def test_the_base_url_may_end_in_v1(self, driver: OpenAIDriver, suffix: str) -> None:
        driver.script_text("ok")

        reply = await driver.another(url=driver.url + suffix).reply(REQUEST)

        assert reply.text == "ok"
        assert driver.fake.requests[-1].path == "/v1/chat/completions"

    async def test_no_authorization_without_a_key(self) -> None:
        app = create_fake_openai_app()  # like Ollama: no key needed
        async with serve_app(app) as url:
            provider = OpenAIProvider(url, None, "llama3.2", timeout=TIMEOUT)
            try:
                reply = await provider.reply(REQUEST)
            finally:
                await provider.aclose()

        assert reply.text == "echo: Quero saber sobre o óleo de CBD para minha mãe"
        assert "authorization" not in app.state.fake.requests[-1].headers

    async def test_a_short_key_is_not_quoted_either(self) -> None:
        app = create_fake_openai_app()
        app.state.fake.push(HttpError(400, message="unknown key 'k3y-1' for this server"))
        async with serve_app(app) as url:
            provider = OpenAIProvider(url, "k3y-1", "llama3.2", transport=quick_transport())
            try:
                with pytest.raises(AIProviderError) as caught:
                    await provider.reply(REQUEST)
            finally:
                await provider.aclose()

        assert caught.value.kind is AIProviderErrorKind.REJECTED
        assert "k3y-1" not in str(caught.value)

    async def test_arguments_that_are_not_json_keep_the_action(self, driver: OpenAIDriver) -> None:
        driver.fake.push(ToolCall("handoff", raw_arguments='{"reason": "cut sh'))

        reply = await driver.provider.reply(REQUEST)

        assert reply == BotReply(text="", action=BotAction.HANDOFF)

    async def test_calls_of_unknown_tools_are_ignored(self, driver: OpenAIDriver) -> None:
        driver.fake.push(ToolCall("search_web", {"q": "cbd"}, text="Um momento, por favor."))

        reply = await driver.provider.reply(REQUEST)

        assert reply == BotReply(text="Um momento, por favor.")

    async def test_handoff_wins_over_objective_complete(self, driver: OpenAIDriver) -> None:
        driver.fake.push(
            Reply(
                tool_calls=(
                    ToolCall("objective_complete", COMPLETE_ARGS),
                    ToolCall("handoff", {**HANDOFF_ARGS, "collected": {"phone_ok": True}}),
                )
            )
        )

        reply = await driver.provider.reply(REQUEST)

        assert reply.action is BotAction.HANDOFF
        assert reply.reason == HANDOFF_ARGS["reason"]
        assert reply.collected == {**COMPLETE_ARGS["collected"], "phone_ok": True}

    async def test_history_keeps_each_message_and_skips_empty_ones(
        self, driver: OpenAIDriver
    ) -> None:
        history = (
            TurnMessage(Speaker.CONTACT, "oi"),
            TurnMessage(Speaker.CONTACT, "  "),  # a photo without caption
            TurnMessage(Speaker.CONTACT, "tem óleo?"),
        )

        await driver.provider.reply(TurnRequest(PROMPT, OBJECTIVE, history))

        assert driver.seen().turns == [("user", "oi"), ("user", "tem óleo?")]


class TestOpenAIJsonMode(AIProviderContract):
    @pytest_asyncio.fixture(loop_scope="class")
    async def driver(  # type: ignore[override]
        self, server: tuple[str, FakeAIServer]
    ) -> AsyncIterator[OpenAIDriver]:
        async for driver in _driver(server, use_tools=False):
            yield driver

    async def test_the_request_asks_for_a_json_object(self, driver: OpenAIDriver) -> None:
        driver.script_text("ok")

        await driver.provider.reply(REQUEST)

        body = driver.fake.last_body
        assert body["response_format"] == {"type": "json_object"}
        assert "tools" not in body
        assert "tool_choice" not in body
        system = body["messages"][0]["content"]
        assert "JSON" in system
        assert all(f'"{key}"' in system for key in ("text", "action", "summary", "collected"))

    @pytest.mark.parametrize(
        "content",
        [
            "Claro! Posso ajudar com o óleo.",
            '{"text": "Claro! Posso ajudar',
            '["Claro!"]',
            '{"answer": "Claro!"}',
        ],
        ids=["prose", "broken-json", "json-array", "json-without-our-keys"],
    )
    async def test_content_that_is_not_our_json_is_plain_text(
        self, driver: OpenAIDriver, content: str
    ) -> None:
        driver.fake.push(Text(content))

        reply = await driver.provider.reply(REQUEST)

        assert reply == BotReply(text=content)

    async def test_json_in_a_code_fence_counts(self, driver: OpenAIDriver) -> None:
        driver.fake.push(
            Text('```json\n{"text": "Vou chamar alguém.", "action": "handoff", "reason": "x"}\n```')
        )

        reply = await driver.provider.reply(REQUEST)

        assert reply == BotReply(text="Vou chamar alguém.", action=BotAction.HANDOFF, reason="x")

    async def test_an_unknown_action_is_none(self, driver: OpenAIDriver) -> None:
        driver.fake.push(JsonText({"text": "Até logo!", "action": "dance", "reason": "?"}))

        reply = await driver.provider.reply(REQUEST)

        assert reply == BotReply(text="Até logo!")

    async def test_loose_field_types_are_tolerated(self, driver: OpenAIDriver) -> None:
        driver.fake.push(
            JsonText(
                {
                    "text": None,
                    "action": "HANDOFF",
                    "reason": 42,
                    "summary": ["not", "a", "string"],
                    "collected": "name=Ana",
                }
            )
        )

        reply = await driver.provider.reply(REQUEST)

        assert reply == BotReply(text="", action=BotAction.HANDOFF, reason="42")
