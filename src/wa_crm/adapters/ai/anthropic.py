"""``AnthropicProvider``: the AIProvider port over Anthropic's Messages API.

One ``POST /v1/messages`` per turn, with the system text top-level, the history as strictly
alternating user/assistant messages that start with the user (consecutive messages of one
speaker are joined by newlines), and the ``handoff`` and ``objective_complete`` tools; an agent's
task (suggest a reply, summarize) sends the conversation as one transcript and no tools. The
answer's ``text`` blocks are the text (joined by blank lines); its ``tool_use`` blocks the
action.
"""

from __future__ import annotations

from typing import Any

import httpx

from wa_crm.adapters.ai.errors import bad_reply, error_for_response, error_for_transport
from wa_crm.adapters.ai.prompt import TOOLS, alternating_turns, system_text, task_transcript
from wa_crm.adapters.ai.replies import ToolCall, arguments_of, reply_for
from wa_crm.ports.ai import BotReply, TurnRequest, TurnTask

PROVIDER = "the Anthropic API"
API_VERSION = "2023-06-01"


class AnthropicProvider:
    def __init__(
        self,
        api_key: str,
        model: str,
        *,
        base_url: str = "https://api.anthropic.com",
        timeout: float = 20.0,
        max_tokens: int = 1024,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``model`` is used when the turn names none; ``base_url`` without ``/v1``."""
        root = base_url.strip().rstrip("/").removesuffix("/v1")
        self.url = f"{root}/v1/messages"
        self.model = model
        self.max_tokens = max_tokens
        self._api_key = api_key
        self._client = httpx.AsyncClient(
            headers={
                "x-api-key": api_key,
                "anthropic-version": API_VERSION,
                "content-type": "application/json",
            },
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
            raise error_for_transport(PROVIDER, error) from None
        if not response.is_success:
            system = body["system"]
            withhold = [system, *(message.text for message in request.history)]
            raise error_for_response(PROVIDER, response, api_key=self._api_key, withhold=withhold)
        text, calls = self._read(response)
        return reply_for(PROVIDER, request, text, calls)

    def body(self, request: TurnRequest) -> dict[str, Any]:
        """The Messages API request for one turn; an agent's task sends the conversation as one
        transcript and no tools."""
        if request.task is not TurnTask.REPLY:
            return {
                "model": request.model or self.model,
                "max_tokens": self.max_tokens,
                "system": system_text(request, json_mode=False),
                "messages": [{"role": "user", "content": task_transcript(request)}],
            }
        return {
            "model": request.model or self.model,
            "max_tokens": self.max_tokens,
            "system": system_text(request, json_mode=False),
            "messages": [
                {"role": role, "content": text} for role, text in alternating_turns(request.history)
            ],
            "tools": [
                {"name": name, "description": description, "input_schema": schema}
                for name, (description, schema) in TOOLS.items()
            ],
            "tool_choice": {"type": "auto"},
        }

    def _read(self, response: httpx.Response) -> tuple[str, list[ToolCall]]:
        try:
            data: Any = response.json()
        except ValueError:
            raise bad_reply(
                PROVIDER, f"{response.status_code} with a body that is not JSON"
            ) from None
        content = data.get("content") if isinstance(data, dict) else None
        if not isinstance(content, list):
            raise bad_reply(PROVIDER, "with no content blocks: not a message")
        texts: list[str] = []
        calls: list[ToolCall] = []
        for block in content:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text" and isinstance(block.get("text"), str):
                texts.append(block["text"].strip())
            elif block.get("type") == "tool_use" and isinstance(block.get("name"), str):
                calls.append(ToolCall(block["name"], arguments_of(block.get("input"))))
        return "\n\n".join(text for text in texts if text), calls
