"""``OpenAIProvider``: the AIProvider port over an OpenAI-compatible chat completions API.

Works with OpenAI, Ollama, vLLM and anything else that serves ``POST /v1/chat/completions``.
One request per turn: a system message (prompt, objective, what is known of the contact, the
association's passages and how to answer), then the history as user/assistant messages; an
agent's task (suggest a reply, summarize) sends the conversation as one transcript and no tools,
and reads the content as plain text. With ``use_tools`` the model is
offered the ``handoff`` and ``objective_complete`` functions (``tool_choice: "auto"``); without
(servers or models that lack tool calling) it is asked for a JSON object
(``response_format: {"type": "json_object"}``), and a content that is not one is the text.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from wa_crm.adapters.ai.errors import bad_reply, error_for_response, error_for_transport
from wa_crm.adapters.ai.prompt import TOOLS, system_text, task_transcript, turns
from wa_crm.adapters.ai.replies import ToolCall, arguments_of, from_json_content, reply_for
from wa_crm.ports.ai import BotReply, TurnRequest, TurnTask

PROVIDER = "the OpenAI-compatible API"


class OpenAIProvider:
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model: str,
        *,
        timeout: float = 20.0,
        use_tools: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``base_url`` with or without the trailing ``/v1`` (``https://api.openai.com``,
        ``http://localhost:11434/v1``); ``api_key`` None sends no ``Authorization`` (Ollama);
        ``model`` is used when the turn names none."""
        root = base_url.strip().rstrip("/")
        self.url = (
            f"{root}/chat/completions" if root.endswith("/v1") else f"{root}/v1/chat/completions"
        )
        self.model = model
        self.use_tools = use_tools
        self._api_key = api_key
        self._where = f"{PROVIDER} at {_host(root) or 'an unusable URL'}"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(timeout),
            transport=transport,
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=5),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def reply(self, request: TurnRequest) -> BotReply:
        body = self.body(request)
        try:
            response = await self._client.post(self.url, json=body)
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise error_for_transport(self._where, error) from None
        if not response.is_success:
            system = body["messages"][0]["content"]
            withhold = [system, *(message.text for message in request.history)]
            raise error_for_response(
                self._where, response, api_key=self._api_key, withhold=withhold
            )
        text, calls = self._read(response, json_mode=self._json_mode(request))
        return reply_for(self._where, request, text, calls)

    def _json_mode(self, request: TurnRequest) -> bool:
        return not self.use_tools and request.task is TurnTask.REPLY

    def body(self, request: TurnRequest) -> dict[str, Any]:
        """The chat completions request for one turn; an agent's task asks for plain text, with
        no tools."""
        system = system_text(request, json_mode=self._json_mode(request))
        messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
        body: dict[str, Any] = {"model": request.model or self.model, "messages": messages}
        if request.task is not TurnTask.REPLY:
            messages.append({"role": "user", "content": task_transcript(request)})
            return body
        messages += [{"role": role, "content": text} for role, text in turns(request.history)]
        if self.use_tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {"name": name, "description": description, "parameters": schema},
                }
                for name, (description, schema) in TOOLS.items()
            ]
            body["tool_choice"] = "auto"
        else:
            body["response_format"] = {"type": "json_object"}
        return body

    def _read(self, response: httpx.Response, *, json_mode: bool) -> tuple[str, list[ToolCall]]:
        try:
            data: Any = response.json()
        except ValueError:
            raise bad_reply(
                self._where, f"{response.status_code} with a body that is not JSON"
            ) from None
        choices = data.get("choices") if isinstance(data, dict) else None
        first = choices[0] if isinstance(choices, list) and choices else None
        message = first.get("message") if isinstance(first, dict) else None
        if not isinstance(message, dict):
            raise bad_reply(self._where, "with no choices[0].message: not a chat completion")
        text = _content_text(message.get("content"))
        if not text and isinstance(message.get("refusal"), str):
            text = message["refusal"]
        calls = [_tool_call(item) for item in message.get("tool_calls") or []]
        if json_mode and text:
            text, envelope_calls = from_json_content(text)
            calls += envelope_calls
        return text, [call for call in calls if call is not None]


def _host(url: str) -> str | None:
    """Host and port only: a URL may carry credentials."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    return f"{parts.hostname}:{port}" if port and parts.hostname else parts.hostname


def _content_text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # some servers answer with content parts
        return "".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def _tool_call(item: object) -> ToolCall | None:
    function = item.get("function") if isinstance(item, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        return None
    return ToolCall(function["name"], arguments_of(function.get("arguments")))
