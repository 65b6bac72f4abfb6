"""The AIProvider contract: one abstract suite, subclassed once per adapter (and mode).

An adapter's test class provides a ``driver`` fixture (an ``AIDriver``): the provider under test,
talking over real HTTP to a fake server of its API (``wa_crm.testing.fake_ai_servers``), and
the means to script what the "model" answers and to read back what reached it, in a common
shape. The assertions are the same for every adapter.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from dataclasses import dataclass, replace
from typing import Any, Protocol

import httpx
import pytest

from wa_crm.domain.model.knowledge import Passage
from wa_crm.ports.ai import (
    MEDICAL_QUESTION,
    NO_ANSWER,
    AIProvider,
    AIProviderError,
    AIProviderErrorKind,
    BotAction,
    BotReply,
    Speaker,
    TurnMessage,
    TurnRequest,
    TurnTask,
)
from wa_crm.testing.fake_ai_servers import (
    Delay,
    FakeAIServer,
    HttpError,
    RawBody,
    RawJson,
    Text,
)

API_KEY = "sk-contract-0123456789abcdefghijklmnop"
MODEL = "contract-model"
TIMEOUT = 0.5  # seconds; the provider's, short so that the timeout case is quick

PROMPT = "Você é a assistente virtual da Associação Cannabis Vida. Seja cordial e breve."
OBJECTIVE = "Descobrir o nome, a cidade e o interesse do contato."
HISTORY = (
    TurnMessage(Speaker.CONTACT, "Oi, boa tarde"),
    TurnMessage(Speaker.ASSISTANT, "Olá! Como posso ajudar?"),
    TurnMessage(Speaker.CONTACT, "Quero saber sobre o óleo de CBD para minha mãe"),
)
REQUEST = TurnRequest(
    system_prompt=PROMPT,
    objective=OBJECTIVE,
    history=HISTORY,
    contact={"kind": "lead", "first_name": "Ana"},
)
HANDOFF_ARGS: dict[str, Any] = {
    "reason": "pede para falar com uma pessoa",
    "summary": "Quer óleo de CBD para a mãe.\nPrefere falar com um atendente.",
    "collected": {"name": "Ana", "city": "Campinas"},
}
DELIVERIES = Passage(
    "d-1", "Regras de entrega", "Entregamos em Campinas às terças e quintas-feiras.", 0.8
)
MEMBERSHIP = Passage(
    "d-2", "Como se associar", "Para se associar, envie a receita e um documento.", 0.4
)
WITH_PASSAGES = TurnRequest(
    system_prompt=PROMPT,
    objective=OBJECTIVE,
    history=(TurnMessage(Speaker.CONTACT, "Vocês entregam em Campinas?"),),
    contact={"kind": "member", "first_name": "Maria"},
    passages=(DELIVERIES, MEMBERSHIP),
)
COMPLETE_ARGS: dict[str, Any] = {
    "summary": "Lead de Campinas interessada em óleo de CBD.",
    "collected": {"name": "Ana", "city": "Campinas", "interest": "óleo de CBD"},
}


_TLS = ssl.create_default_context()


def quick_transport() -> httpx.AsyncHTTPTransport:
    """httpx's own transport, sharing one TLS context: a new client loads the CA certificates
    again (some 50 ms), which adds up over a hundred tests that never use TLS."""
    return httpx.AsyncHTTPTransport(verify=_TLS)


def closed_port_url() -> str:
    """A local URL where nothing listens (the port was free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass(frozen=True)
class Seen:
    """What one request put before the model, in a common shape."""

    model: str
    system: str
    turns: list[tuple[str, str]]  # (user | assistant, text), in order


class AIDriver(Protocol):
    provider: AIProvider  # talks to ``fake`` with API_KEY, MODEL and TIMEOUT
    fake: FakeAIServer
    url: str

    def script_text(self, text: str) -> None:
        """The model's next answer is this message."""
        ...

    def script_action(self, tool: str, arguments: dict[str, Any], text: str = "") -> None:
        """The model's next answer calls ``tool`` (handoff | objective_complete) with these
        arguments, with ``text`` beside the call."""
        ...

    def seen(self) -> Seen:
        """The last request, as the model would see it."""
        ...

    def another(self, *, url: str | None = None, api_key: str | None = None) -> AIProvider:
        """A provider like ``provider`` but at another URL or with another key."""
        ...


class AIProviderContract:
    """The suite. Subclasses provide the ``driver`` fixture."""

    @pytest.fixture
    def driver(self) -> AIDriver:
        raise NotImplementedError("the adapter's test class provides a driver fixture")

    # ------------------------------------------------------------------ replies

    async def test_a_plain_text_reply(self, driver: AIDriver) -> None:
        driver.script_text("Claro! Qual é o seu nome?")

        reply = await driver.provider.reply(REQUEST)

        assert reply == BotReply(text="Claro! Qual é o seu nome?")

    async def test_a_handoff(self, driver: AIDriver) -> None:
        driver.script_action("handoff", HANDOFF_ARGS)

        reply = await driver.provider.reply(REQUEST)

        assert reply == BotReply(
            text="",
            action=BotAction.HANDOFF,
            reason="pede para falar com uma pessoa",
            summary="Quer óleo de CBD para a mãe.\nPrefere falar com um atendente.",
            collected={"name": "Ana", "city": "Campinas"},
        )

    async def test_a_handoff_with_a_message_for_the_contact(self, driver: AIDriver) -> None:
        driver.script_action("handoff", HANDOFF_ARGS, text="Vou chamar uma atendente.")

        reply = await driver.provider.reply(REQUEST)

        assert reply.text == "Vou chamar uma atendente."
        assert reply.action is BotAction.HANDOFF
        assert reply.reason == HANDOFF_ARGS["reason"]

    async def test_objective_complete(self, driver: AIDriver) -> None:
        driver.script_action("objective_complete", COMPLETE_ARGS, text="Obrigada, Ana!")

        reply = await driver.provider.reply(REQUEST)

        assert reply == BotReply(
            text="Obrigada, Ana!",
            action=BotAction.OBJECTIVE_COMPLETE,
            summary="Lead de Campinas interessada em óleo de CBD.",
            collected={"name": "Ana", "city": "Campinas", "interest": "óleo de CBD"},
        )

    async def test_a_handoff_without_optional_fields(self, driver: AIDriver) -> None:
        driver.script_action("handoff", {"reason": "fora do escopo"})

        reply = await driver.provider.reply(REQUEST)

        assert reply == BotReply(text="", action=BotAction.HANDOFF, reason="fora do escopo")

    async def test_an_empty_answer_is_a_bad_reply(self, driver: AIDriver) -> None:
        driver.script_text("")

        with pytest.raises(AIProviderError) as caught:
            await driver.provider.reply(REQUEST)

        assert caught.value.kind is AIProviderErrorKind.BAD_REPLY

    async def test_concurrent_turns_get_their_own_answers(self, driver: AIDriver) -> None:
        requests = [
            TurnRequest(PROMPT, OBJECTIVE, (TurnMessage(Speaker.CONTACT, f"mensagem {n}"),))
            for n in range(6)
        ]

        replies = await asyncio.gather(*(driver.provider.reply(r) for r in requests))

        # the fake echoes the last user text when nothing is scripted
        assert [reply.text for reply in replies] == [f"echo: mensagem {n}" for n in range(6)]

    # ------------------------------------------------------------------ what reaches the model

    async def test_the_model_gets_prompt_objective_contact_and_history_in_order(
        self, driver: AIDriver
    ) -> None:
        driver.script_text("ok")

        await driver.provider.reply(REQUEST)

        seen = driver.seen()
        assert seen.model == MODEL
        assert PROMPT in seen.system
        assert OBJECTIVE in seen.system
        assert seen.system.index(PROMPT) < seen.system.index(OBJECTIVE)
        assert '"first_name":"Ana"' in seen.system
        assert "pt-BR" in seen.system
        assert seen.turns == [
            ("user", "Oi, boa tarde"),
            ("assistant", "Olá! Como posso ajudar?"),
            ("user", "Quero saber sobre o óleo de CBD para minha mãe"),
        ]

    async def test_the_turn_may_name_another_model(self, driver: AIDriver) -> None:
        driver.script_text("ok")

        await driver.provider.reply(TurnRequest(PROMPT, OBJECTIVE, HISTORY, model="other-model"))

        assert driver.seen().model == "other-model"

    async def test_one_request_per_turn(self, driver: AIDriver) -> None:
        driver.script_text("one")
        driver.script_text("two")

        await driver.provider.reply(REQUEST)
        await driver.provider.reply(REQUEST)

        assert len(driver.fake.requests) == 2
        assert all(request.status == 200 for request in driver.fake.requests)

    # ------------------------------------------------------------------ failures

    @pytest.mark.parametrize(
        ("status", "kind"),
        [
            (429, AIProviderErrorKind.RATE_LIMITED),
            (500, AIProviderErrorKind.SERVER_ERROR),
            (502, AIProviderErrorKind.SERVER_ERROR),
            (503, AIProviderErrorKind.SERVER_ERROR),
            (401, AIProviderErrorKind.UNAUTHORIZED),
            (403, AIProviderErrorKind.UNAUTHORIZED),
            (400, AIProviderErrorKind.REJECTED),
            (404, AIProviderErrorKind.REJECTED),
            (413, AIProviderErrorKind.REJECTED),
            (408, AIProviderErrorKind.TIMEOUT),
        ],
    )
    async def test_error_answers(
        self, driver: AIDriver, status: int, kind: AIProviderErrorKind
    ) -> None:
        driver.fake.push(HttpError(status))

        with pytest.raises(AIProviderError) as caught:
            await driver.provider.reply(REQUEST)

        assert caught.value.kind is kind
        assert str(status) in str(caught.value)

    async def test_a_wrong_api_key_is_unauthorized(self, driver: AIDriver) -> None:
        provider = driver.another(api_key="sk-wrong-key-0000000000000000000000")

        with pytest.raises(AIProviderError) as caught:
            await provider.reply(REQUEST)

        assert caught.value.kind is AIProviderErrorKind.UNAUTHORIZED
        assert "sk-wrong-key-0000000000000000000000" not in str(caught.value)

    async def test_a_slow_server_times_out(self, driver: AIDriver) -> None:
        driver.fake.push(Delay(10))  # held until the provider gives up and disconnects
        started = time.monotonic()

        with pytest.raises(AIProviderError) as caught:
            await driver.provider.reply(REQUEST)

        assert caught.value.kind is AIProviderErrorKind.TIMEOUT
        assert time.monotonic() - started < TIMEOUT + 2

    async def test_nothing_listening_is_unreachable(self, driver: AIDriver) -> None:
        provider = driver.another(url=closed_port_url())

        with pytest.raises(AIProviderError) as caught:
            await provider.reply(REQUEST)

        assert caught.value.kind is AIProviderErrorKind.UNREACHABLE

    @pytest.mark.parametrize(
        "answer",
        [
            RawBody("<html><body>502 Bad Gateway</body></html>", content_type="text/html"),
            RawBody('{"id": "cut short'),
            RawJson({"id": "something", "object": "unexpected"}),
            RawJson(["not", "an", "object"]),
            RawJson({"choices": [], "content": None}),
        ],
        ids=["html", "truncated-json", "no-choices-or-content", "json-array", "empty"],
    )
    async def test_a_2xx_that_is_not_a_reply_is_a_bad_reply(
        self, driver: AIDriver, answer: RawBody | RawJson
    ) -> None:
        driver.fake.push(answer)

        with pytest.raises(AIProviderError) as caught:
            await driver.provider.reply(REQUEST)

        assert caught.value.kind is AIProviderErrorKind.BAD_REPLY

    async def test_errors_never_quote_the_key_or_the_prompt(self, driver: AIDriver) -> None:
        history_text = HISTORY[-1].text
        driver.fake.push(
            HttpError(400, message=f"Invalid value in messages: '{PROMPT}'"),
            HttpError(400, message=f"Cannot process: {history_text}"),
            HttpError(401, message=f"Incorrect API key provided: {API_KEY}"),
            RawJson({"unexpected": f"{PROMPT} {history_text} {API_KEY}"}),
            HttpError(404, message="The model `contract-model` does not exist."),
        )
        errors: list[AIProviderError] = []
        for _ in range(5):
            with pytest.raises(AIProviderError) as caught:
                await driver.provider.reply(REQUEST)
            errors.append(caught.value)

        for error in errors:
            text = str(error)
            assert API_KEY not in text
            assert PROMPT[:20] not in text
            assert history_text[:20] not in text
        # a message that quotes nothing of the request is kept: it helps whoever configures it
        assert "does not exist" in str(errors[-1])

    # ------------------------------------------------------------------ the association's documents

    async def test_the_passages_reach_the_model_under_their_titles(self, driver: AIDriver) -> None:
        driver.script_text("ok")

        await driver.provider.reply(WITH_PASSAGES)

        system = driver.seen().system
        assert "Documentos da associação" in system
        for passage in (DELIVERIES, MEMBERSHIP):
            assert f"### {passage.title}\n{passage.text}" in system
        assert system.index(DELIVERIES.title) < system.index(MEMBERSHIP.title)
        assert '"Fonte: <title>"' in system
        for reason in ("no_answer", "medical_question", "emergency"):
            assert f'reason "{reason}"' in system
        assert "dosage, symptoms, side effects, diagnosis, drug interactions" in system

    async def test_no_passages_is_said_and_english_has_its_words(self, driver: AIDriver) -> None:
        driver.script_text("ok")

        await driver.provider.reply(TurnRequest(PROMPT, OBJECTIVE, HISTORY, locale="en"))

        system = driver.seen().system
        assert "The association's documents: none was found" in system
        assert '"Source: <title>"' in system
        assert "Reply in en." in system

    async def test_the_sources_are_the_titles_the_answer_names(self, driver: AIDriver) -> None:
        driver.script_text("Entregamos às terças e quintas.\n\nFonte: Regras de entrega")

        reply = await driver.provider.reply(WITH_PASSAGES)

        assert reply == BotReply(
            text="Entregamos às terças e quintas.\n\nFonte: Regras de entrega",
            sources=("Regras de entrega",),
        )

    async def test_an_answer_naming_no_title_has_no_sources(self, driver: AIDriver) -> None:
        driver.script_text("Olá! Como posso ajudar?")

        reply = await driver.provider.reply(WITH_PASSAGES)

        assert reply.sources == ()

    @pytest.mark.parametrize(
        ("said", "reason"),
        [
            ("no_answer", NO_ANSWER),
            ("No answer", NO_ANSWER),
            ("medical_question", MEDICAL_QUESTION),
            ("Medical-Question", MEDICAL_QUESTION),
            ("emergency", "emergency"),
            ("pede uma pessoa", "pede uma pessoa"),
        ],
    )
    async def test_the_handoff_reasons_the_orchestrator_acts_on(
        self, driver: AIDriver, said: str, reason: str
    ) -> None:
        driver.script_action("handoff", {"reason": said, "summary": "Entrega em Campinas?"})

        reply = await driver.provider.reply(WITH_PASSAGES)

        assert reply.action is BotAction.HANDOFF
        assert reply.reason == reason
        assert reply.summary == "Entrega em Campinas?"

    # ------------------------------------------------------------------ the agents' tasks

    async def test_a_suggested_reply_is_plain_text_from_the_passages_with_no_tools(
        self, driver: AIDriver
    ) -> None:
        driver.fake.push(Text("Olá, Maria! Entregamos em Campinas às terças e quintas."))
        history = (
            *WITH_PASSAGES.history,
            TurnMessage(Speaker.ASSISTANT, "Vou verificar."),
        )
        request = replace(WITH_PASSAGES, history=history, task=TurnTask.SUGGEST_REPLY)

        reply = await driver.provider.reply(request)

        assert reply == BotReply(text="Olá, Maria! Entregamos em Campinas às terças e quintas.")
        body = driver.fake.last_body
        assert "tools" not in body
        assert "tool_choice" not in body
        assert "response_format" not in body
        seen = driver.seen()
        assert "draft" in seen.system
        assert f"### {DELIVERIES.title}" in seen.system
        assert "Write in pt-BR." in seen.system
        assert OBJECTIVE not in seen.system
        assert seen.turns == [
            (
                "user",
                "Conversation:\nContato: Vocês entregam em Campinas?\n"
                "Associação: Vou verificar.\n\nDraft the agent's next message.",
            )
        ]

    async def test_a_suggested_reply_names_the_documents_it_used(self, driver: AIDriver) -> None:
        driver.fake.push(Text("Entregamos às terças.\nFonte: Regras de entrega"))
        request = replace(WITH_PASSAGES, task=TurnTask.SUGGEST_REPLY)

        reply = await driver.provider.reply(request)

        assert reply.sources == (DELIVERIES.title,)

    async def test_a_summary_is_plain_text_in_a_few_lines_with_no_tools(
        self, driver: AIDriver
    ) -> None:
        driver.fake.push(Text("Maria pergunta se há entrega em Campinas.\nNada pendente."))
        request = replace(WITH_PASSAGES, task=TurnTask.SUMMARIZE, locale="en")

        reply = await driver.provider.reply(request)

        assert reply == BotReply(text="Maria pergunta se há entrega em Campinas.\nNada pendente.")
        assert "tools" not in driver.fake.last_body
        seen = driver.seen()
        assert "2 to 4 short lines" in seen.system
        assert "Write in en." in seen.system
        assert DELIVERIES.text not in seen.system
        assert seen.turns[-1][1].endswith("Summarize this conversation.")
        assert "Contact: Vocês entregam em Campinas?" in seen.turns[-1][1]

    async def test_a_task_with_an_empty_answer_is_a_bad_reply(self, driver: AIDriver) -> None:
        driver.fake.push(Text(""))

        with pytest.raises(AIProviderError) as caught:
            await driver.provider.reply(replace(WITH_PASSAGES, task=TurnTask.SUMMARIZE))

        assert caught.value.kind is AIProviderErrorKind.BAD_REPLY
