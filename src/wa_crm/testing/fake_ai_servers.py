"""Fake OpenAI-compatible and Anthropic servers that speak the real wire formats, for tests.

Each app answers the endpoint its API has (``POST /v1/chat/completions`` or
``POST /v1/messages``, plus ``GET /v1/models``), checks the request as the real API would for
the fields wa_crm uses (and answers 400/401/404 with that API's error shape otherwise), records
every request, and answers from a script. The control surface is a ``FakeAIServer`` at
``app.state.fake``:

    app = create_fake_anthropic_app(api_key="test-key")
    fake: FakeAIServer = app.state.fake
    fake.push(
        Text("Olá! Como posso ajudar?"),
        ToolCall("handoff", {"reason": "asks for a person", "summary": "wants a human"}),
        HttpError(429),
        Delay(5),  # held until the client gives up (or 5 s pass, or fake.release())
        RawBody("not json"),
    )
    async with serve_app(app) as url:
        ...
    fake.requests[-1].body["messages"]  # what reached the "model"

When the script runs out the fake answers with ``fake.fallback`` (``Echo()``: "echo: " and the
last user text), so a demo keeps talking. Rejected requests are recorded but do not use up the
script.

The OpenAI-compatible app also serves ``POST /v1/audio/transcriptions`` (Whisper's multipart
form: ``file`` and ``model`` required, ``language`` and ``response_format`` optional) and
answers from a table of audio bytes to text; audio it does not know is "corrupted or
unsupported" (400), as real servers say of bytes that are not audio. Its own script goes first:

    fake.transcripts[b"OggS...voice"] = "qual o status do meu pedido?"
    fake.push_transcription(HttpError(503), Text("override"))
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = [
    "Delay",
    "Echo",
    "FakeAIServer",
    "HttpError",
    "JsonText",
    "RawBody",
    "RawJson",
    "ReceivedRequest",
    "Reply",
    "Scripted",
    "Text",
    "ToolCall",
    "TranscriptionScripted",
    "create_fake_anthropic_app",
    "create_fake_openai_app",
]

# ---------------------------------------------------------------------------- the script


@dataclass(frozen=True)
class Text:
    """A plain assistant message."""

    text: str


@dataclass(frozen=True)
class JsonText:
    """An assistant message whose content is ``value`` as JSON (an OpenAI JSON-mode answer)."""

    value: Any


@dataclass(frozen=True)
class ToolCall:
    """A call of one tool, with optional text beside it. ``raw_arguments`` replaces the
    arguments as sent (OpenAI: the ``arguments`` string; Anthropic: the ``input`` value), for
    malformed calls."""

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    text: str = ""
    raw_arguments: Any = None


@dataclass(frozen=True)
class Reply:
    """The general assistant message: text (may be empty) and any number of tool calls."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class Echo:
    """``prefix`` + the text of the last user message."""

    prefix: str = "echo: "


@dataclass(frozen=True)
class HttpError:
    """An error answer in the API's shape; type and message default to what the API sends for
    ``status``; ``retry_after`` sets the header (429 gets 1 s by default)."""

    status: int
    message: str | None = None
    error_type: str | None = None
    code: str | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class Delay:
    """Hold the request for ``seconds`` (less if the client disconnects or ``release()`` is
    called), then answer with ``then`` (None: the next scripted item, or the fallback)."""

    seconds: float
    then: Scripted | None = None


@dataclass(frozen=True)
class RawBody:
    """Exactly this body (malformed answers)."""

    body: str | bytes
    status: int = 200
    content_type: str = "application/json"


@dataclass(frozen=True)
class RawJson:
    """Any JSON body, e.g. a 200 without ``choices``."""

    body: Any
    status: int = 200


Scripted = Text | JsonText | ToolCall | Reply | Echo | HttpError | Delay | RawBody | RawJson
TranscriptionScripted = Text | HttpError | Delay | RawBody | RawJson
"""What a transcription may be answered with: ``Text`` is what was "heard"."""


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: Any  # parsed JSON; None when the body is not JSON
    raw: bytes
    status: int | None = None  # what the fake answered; 499 when the client left first


# ---------------------------------------------------------------------------- dialects


@dataclass(frozen=True)
class _Rejection:
    status: int
    message: str
    error_type: str | None = None
    code: str | None = None
    param: str | None = None


_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def _type_name(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _words(text: str) -> int:
    return len(text.split())


def _message_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            block["text"]
            for block in content
            if isinstance(block, dict) and isinstance(block.get("text"), str)
        )
    return ""


def _last_user_text(body: Any) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return _message_text(message.get("content"))
    return ""


class _OpenAI:
    name = "openai"
    path = "/v1/chat/completions"
    roles = ("system", "developer", "user", "assistant", "tool", "function")
    default_errors: Mapping[int, tuple[str, str | None, str]] = {
        400: ("invalid_request_error", None, "Invalid request."),
        401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
        403: ("invalid_request_error", "unsupported_country_region_territory", "Forbidden."),
        404: ("invalid_request_error", "model_not_found", "The model does not exist."),
        429: ("requests", "rate_limit_exceeded", "Rate limit reached. Please try again later."),
        500: ("server_error", None, "The server had an error while processing your request."),
        503: ("server_error", None, "The engine is currently overloaded."),
    }

    def authorize(self, headers: Mapping[str, str], api_key: str | None) -> _Rejection | None:
        if api_key is None:
            return None
        given = headers.get("authorization", "")
        if not given.startswith("Bearer ") or not given.removeprefix("Bearer ").strip():
            return _Rejection(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        key = given.removeprefix("Bearer ").strip()
        if key != api_key:
            masked = f"{key[:3]}{'*' * max(len(key) - 7, 0)}{key[-4:]}"
            return _Rejection(401, f"Incorrect API key provided: {masked}.", code="invalid_api_key")
        return None

    def validate(self, body: Any, models: Collection[str] | None) -> _Rejection | None:
        if not isinstance(body, dict):
            return _Rejection(400, "We could not parse the JSON body of your request.")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return _Rejection(400, "you must provide a model parameter")
        messages = body.get("messages")
        if messages is None:
            return _Rejection(400, "Missing required parameter: 'messages'.", param="messages")
        if not isinstance(messages, list):
            return _Rejection(
                400,
                f"Invalid type for 'messages': expected an array, but got "
                f"{_type_name(messages)} instead.",
                param="messages",
            )
        if not messages:
            return _Rejection(
                400,
                "Invalid 'messages': empty array. Expected an array with minimum length 1, "
                "but got an empty array instead.",
                param="messages",
            )
        for index, message in enumerate(messages):
            problem = self._message_problem(index, message)
            if problem is not None:
                return problem
        tools = body.get("tools")
        if tools is not None:
            problem = self._tools_problem(tools)
            if problem is not None:
                return problem
        if "tool_choice" in body:
            if not tools:
                return _Rejection(
                    400,
                    "Invalid value for 'tool_choice': 'tool_choice' is only allowed when "
                    "'tools' are specified.",
                    param="tool_choice",
                )
            choice = body["tool_choice"]
            if not (choice in ("none", "auto", "required") or isinstance(choice, dict)):
                return _Rejection(
                    400,
                    f"Invalid value: {choice!r}. Supported values are: 'none', 'auto', and "
                    "'required'.",
                    param="tool_choice",
                )
        response_format = body.get("response_format")
        if response_format is not None:
            kind = response_format.get("type") if isinstance(response_format, dict) else None
            if kind not in ("text", "json_object", "json_schema"):
                return _Rejection(
                    400,
                    f"Invalid value: {kind!r}. Supported values are: 'json_object', "
                    "'json_schema', and 'text'.",
                    param="response_format.type",
                )
            said = " ".join(_message_text(message.get("content")) for message in messages)
            if kind == "json_object" and "json" not in said.lower():
                return _Rejection(
                    400,
                    "'messages' must contain the word 'json' in some form, to use "
                    "'response_format' of type 'json_object'.",
                    param="messages",
                )
        if models is not None and model not in models:
            return _Rejection(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                code="model_not_found",
            )
        return None

    def _message_problem(self, index: int, message: Any) -> _Rejection | None:
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            return _Rejection(
                400,
                f"Invalid type for '{where}': expected an object, but got "
                f"{_type_name(message)} instead.",
                param=where,
            )
        role = message.get("role")
        if role not in self.roles:
            return _Rejection(
                400,
                f"Invalid value: {role!r}. Supported values are: 'system', 'assistant', "
                "'user', 'function', 'tool', and 'developer'.",
                param=f"{where}.role",
            )
        content = message.get("content")
        if role == "assistant" and content is None and message.get("tool_calls"):
            return None
        if "content" not in message:
            return _Rejection(
                400, f"Missing required parameter: '{where}.content'.", param=f"{where}.content"
            )
        if not isinstance(content, str | list):
            return _Rejection(
                400,
                f"Invalid type for '{where}.content': expected one of a string or array of "
                f"objects, but got {_type_name(content)} instead.",
                param=f"{where}.content",
            )
        if role == "tool" and not isinstance(message.get("tool_call_id"), str):
            return _Rejection(
                400,
                f"Missing required parameter: '{where}.tool_call_id'.",
                param=f"{where}.tool_call_id",
            )
        return None

    def _tools_problem(self, tools: Any) -> _Rejection | None:
        if not isinstance(tools, list):
            return _Rejection(400, "Invalid type for 'tools': expected an array.", param="tools")
        for index, tool in enumerate(tools):
            where = f"tools[{index}]"
            function = tool.get("function") if isinstance(tool, dict) else None
            if not isinstance(tool, dict) or tool.get("type") != "function":
                return _Rejection(
                    400, f"Invalid value for '{where}.type': expected 'function'.", param=where
                )
            if not isinstance(function, dict):
                return _Rejection(
                    400,
                    f"Missing required parameter: '{where}.function'.",
                    param=f"{where}.function",
                )
            name = function.get("name")
            if not isinstance(name, str) or not _TOOL_NAME.match(name):
                return _Rejection(
                    400,
                    f"Invalid '{where}.function.name': string does not match pattern. "
                    "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                    param=f"{where}.function.name",
                )
            schema = function.get("parameters")
            if schema is not None and (
                not isinstance(schema, dict) or schema.get("type") != "object"
            ):
                return _Rejection(
                    400,
                    f"Invalid schema for function '{name}': schema must be a JSON Schema of "
                    "'type: \"object\"'.",
                    param=f"{where}.function.parameters",
                )
        return None

    def render(self, reply: Reply, model: str, serial: int) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": reply.text or None,
            "refusal": None,
        }
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": f"call_fake{serial}x{index}",
                    "type": "function",
                    "function": {
                        "name": call.name,
                        "arguments": call.raw_arguments
                        if call.raw_arguments is not None
                        else json.dumps(dict(call.arguments), ensure_ascii=False),
                    },
                }
                for index, call in enumerate(reply.tool_calls)
            ]
        words = _words(reply.text)
        return {
            "id": f"chatcmpl-fake{serial}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": "tool_calls" if reply.tool_calls else "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": words, "total_tokens": words + 1},
            "system_fingerprint": None,
        }

    def error_body(self, rejection: _Rejection) -> dict[str, Any]:
        default_type, default_code, _ = self.default_errors.get(
            rejection.status, ("invalid_request_error", None, "")
        )
        return {
            "error": {
                "message": rejection.message,
                "type": rejection.error_type or default_type,
                "param": rejection.param,
                "code": rejection.code or default_code,
            }
        }

    def default_message(self, status: int) -> str:
        return self.default_errors.get(status, ("", None, f"Fake error {status}."))[2]

    def models(self, models: Collection[str]) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [
                {"id": model, "object": "model", "created": 0, "owned_by": "wa_crm-fake"}
                for model in models
            ],
        }


class _Anthropic:
    name = "anthropic"
    path = "/v1/messages"
    block_types = ("text", "image", "document", "tool_use", "tool_result")
    default_errors: Mapping[int, tuple[str, str]] = {
        400: ("invalid_request_error", "Invalid request."),
        401: ("authentication_error", "invalid x-api-key"),
        403: ("permission_error", "Your API key does not have permission to use this resource."),
        404: ("not_found_error", "Not found."),
        413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
        429: ("rate_limit_error", "Number of requests has exceeded your rate limit."),
        500: ("api_error", "Internal server error"),
        529: ("overloaded_error", "Overloaded"),
    }

    def authorize(self, headers: Mapping[str, str], api_key: str | None) -> _Rejection | None:
        given = headers.get("x-api-key", "")
        if not given:
            return _Rejection(401, "x-api-key header is required")
        if api_key is not None and given != api_key:
            return _Rejection(401, "invalid x-api-key")
        if not headers.get("anthropic-version"):
            return _Rejection(400, "anthropic-version: header is required")
        return None

    def validate(self, body: Any, models: Collection[str] | None) -> _Rejection | None:
        if not isinstance(body, dict):
            return _Rejection(400, "There was an error parsing the body of your request.")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return _Rejection(400, "model: Field required")
        max_tokens = body.get("max_tokens")
        if max_tokens is None:
            return _Rejection(400, "max_tokens: Field required")
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
            return _Rejection(400, "max_tokens: Input should be an integer greater than 0")
        problem = self._messages_problem(body.get("messages"))
        if problem is not None:
            return problem
        system = body.get("system")
        if system is not None and not (
            isinstance(system, str)
            or (
                isinstance(system, list)
                and all(isinstance(b, dict) and b.get("type") == "text" for b in system)
            )
        ):
            return _Rejection(400, "system: Input should be a valid string")
        tools = body.get("tools")
        if tools is not None:
            problem = self._tools_problem(tools)
            if problem is not None:
                return problem
        choice = body.get("tool_choice")
        if choice is not None:
            if not tools:
                return _Rejection(400, "tool_choice may only be specified while providing tools")
            kind = choice.get("type") if isinstance(choice, dict) else None
            if kind not in ("auto", "any", "tool", "none"):
                return _Rejection(
                    400, "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'"
                )
            if kind == "tool" and not isinstance(choice.get("name"), str):
                return _Rejection(400, "tool_choice.tool.name: Field required")
        if models is not None and model not in models:
            return _Rejection(404, f"model: {model}")
        return None

    def _messages_problem(self, messages: Any) -> _Rejection | None:
        if messages is None:
            return _Rejection(400, "messages: Field required")
        if not isinstance(messages, list):
            return _Rejection(400, "messages: Input should be a valid list")
        if not messages:
            return _Rejection(400, "messages: at least one message is required")
        previous = None
        for index, message in enumerate(messages):
            role = message.get("role") if isinstance(message, dict) else None
            if role not in ("user", "assistant"):
                return _Rejection(
                    400, f"messages.{index}.role: Input should be 'user' or 'assistant'"
                )
            if index == 0 and role != "user":
                return _Rejection(400, 'messages: first message must use the "user" role')
            if role == previous:
                return _Rejection(
                    400,
                    'messages: roles must alternate between "user" and "assistant", but found '
                    f'multiple "{role}" roles in a row',
                )
            previous = role
            problem = self._content_problem(index, message.get("content"))
            if problem is not None:
                return problem
        last = messages[-1]
        if (
            last["role"] == "assistant"
            and _message_text(last["content"]) != _message_text(last["content"]).rstrip()
        ):
            return _Rejection(
                400, "messages: final assistant content cannot end with trailing whitespace"
            )
        return None

    def _content_problem(self, index: int, content: Any) -> _Rejection | None:
        empty = _Rejection(
            400,
            f"messages.{index}: all messages must have non-empty content except for the "
            "optional final assistant message",
        )
        if isinstance(content, str):
            return empty if not content.strip() else None
        if not isinstance(content, list):
            return _Rejection(400, f"messages.{index}.content: Input should be a valid list")
        if not content:
            return empty
        for block in content:
            kind = block.get("type") if isinstance(block, dict) else None
            if kind not in self.block_types:
                return _Rejection(400, f"messages.{index}.content: unknown block type {kind!r}")
            if kind == "text" and not str(block.get("text", "")).strip():
                return _Rejection(
                    400, "messages: text content blocks must contain non-whitespace text"
                )
        return None

    def _tools_problem(self, tools: Any) -> _Rejection | None:
        if not isinstance(tools, list):
            return _Rejection(400, "tools: Input should be a valid list")
        for index, tool in enumerate(tools):
            if not isinstance(tool, dict):
                return _Rejection(400, f"tools.{index}: Input should be a valid dictionary")
            name = tool.get("name")
            if not isinstance(name, str) or not _TOOL_NAME.match(name):
                return _Rejection(
                    400,
                    f"tools.{index}.custom.name: String should match pattern "
                    "'^[a-zA-Z0-9_-]{1,64}$'",
                )
            schema = tool.get("input_schema")
            if schema is None:
                return _Rejection(400, f"tools.{index}.custom.input_schema: Field required")
            if not isinstance(schema, dict) or schema.get("type") != "object":
                return _Rejection(
                    400, f"tools.{index}.custom.input_schema.type: Input should be 'object'"
                )
        return None

    def render(self, reply: Reply, model: str, serial: int) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if reply.text:
            content.append({"type": "text", "text": reply.text})
        content += [
            {
                "type": "tool_use",
                "id": f"toolu_fake{serial}x{index}",
                "name": call.name,
                "input": call.raw_arguments
                if call.raw_arguments is not None
                else dict(call.arguments),
            }
            for index, call in enumerate(reply.tool_calls)
        ]
        return {
            "id": f"msg_fake{serial}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": "tool_use" if reply.tool_calls else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": _words(reply.text)},
        }

    def error_body(self, rejection: _Rejection) -> dict[str, Any]:
        default_type = self.default_errors.get(rejection.status, ("api_error", ""))[0]
        return {
            "type": "error",
            "error": {"type": rejection.error_type or default_type, "message": rejection.message},
        }

    def default_message(self, status: int) -> str:
        return self.default_errors.get(status, ("", f"Fake error {status}."))[1]

    def models(self, models: Collection[str]) -> dict[str, Any]:
        data = [
            {
                "type": "model",
                "id": model,
                "display_name": model,
                "created_at": "2025-01-01T00:00:00Z",
            }
            for model in models
        ]
        return {
            "data": data,
            "has_more": False,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }


# ---------------------------------------------------------------------------- the server


class FakeAIServer:
    """The control surface of one fake app (``app.state.fake``)."""

    def __init__(
        self,
        dialect: _OpenAI | _Anthropic,
        api_key: str | None,
        models: Collection[str] | None,
    ) -> None:
        self.flavour = dialect.name
        self.api_key = api_key
        self.models = None if models is None else tuple(models)
        self.requests: list[ReceivedRequest] = []
        self.fallback: Scripted = Echo()
        self._dialect = dialect
        self._script: deque[Scripted] = deque()
        self._serial = itertools.count(1)
        self._waiting: set[asyncio.Event] = set()
        self.transcripts: dict[bytes, str] = {}
        """Audio bytes to what the transcription endpoint hears in them."""
        self._transcription_script: deque[TranscriptionScripted] = deque()

    def push(self, *items: Scripted) -> None:
        """Answer the next valid requests with these, in order."""
        self._script.extend(items)

    @property
    def pending(self) -> int:
        return len(self._script)

    @property
    def bodies(self) -> list[Any]:
        """The JSON bodies of the requests made to the API endpoint, in order."""
        return [r.body for r in self.requests if r.path == self._dialect.path]

    @property
    def last_body(self) -> Any:
        bodies = self.bodies
        if not bodies:
            raise LookupError("the fake has received no request")
        return bodies[-1]

    @property
    def held(self) -> int:
        """How many requests a ``Delay`` holds right now."""
        return len(self._waiting)

    def release(self) -> None:
        """End every ``Delay`` being served now."""
        waiting, self._waiting = self._waiting, set()
        for event in waiting:
            event.set()

    def push_transcription(self, *items: TranscriptionScripted) -> None:
        """Answer the next valid transcription requests with these, before the table."""
        self._transcription_script.extend(items)

    def reset(self) -> None:
        self.release()
        self._script.clear()
        self._transcription_script.clear()
        self.requests.clear()
        self.fallback = Echo()

    # -- serving

    async def _endpoint(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = None
        headers = {name.lower(): value for name, value in request.headers.items()}
        record = ReceivedRequest(request.method, request.url.path, headers, body, raw)
        self.requests.append(record)
        rejection = self._dialect.authorize(headers, self.api_key) or self._dialect.validate(
            body, self.models
        )
        if rejection is not None:
            response: Response = self._error(rejection)
        else:
            item = self._script.popleft() if self._script else self.fallback
            response = await self._answer(item, request, body)
        record.status = response.status_code
        return response

    async def _models(self, request: Request) -> Response:
        headers = {name.lower(): value for name, value in request.headers.items()}
        self.requests.append(ReceivedRequest(request.method, request.url.path, headers, None, b""))
        rejection = self._dialect.authorize(headers, self.api_key)
        if rejection is not None:
            return self._error(rejection)
        return JSONResponse(self._dialect.models(self.models or ("fake-model",)))

    async def _answer(self, item: Scripted, request: Request, body: Any) -> Response:
        match item:
            case Delay(seconds=seconds, then=then):
                if not await self._pause(request, seconds):
                    return Response(status_code=499)
                if then is None:
                    then = self._script.popleft() if self._script else self.fallback
                return await self._answer(then, request, body)
            case HttpError(status=status):
                message = item.message or self._dialect.default_message(status)
                headers = {}
                retry_after = item.retry_after if item.retry_after is not None else 1.0
                if status == 429 or item.retry_after is not None:
                    headers["retry-after"] = f"{retry_after:g}"
                rejection = _Rejection(status, message, item.error_type, item.code)
                return JSONResponse(
                    self._dialect.error_body(rejection), status_code=status, headers=headers
                )
            case RawBody(body=raw, status=status, content_type=content_type):
                return Response(raw, status_code=status, media_type=content_type)
            case RawJson(body=value, status=status):
                return JSONResponse(value, status_code=status)
            case Echo(prefix=prefix):
                reply = Reply(text=prefix + _last_user_text(body))
            case Text(text=text):
                reply = Reply(text=text)
            case JsonText(value=value):
                reply = Reply(text=json.dumps(value, ensure_ascii=False))
            case ToolCall():
                reply = Reply(text=item.text, tool_calls=(item,))
            case Reply():
                reply = item
        rendered = self._dialect.render(reply, body["model"], next(self._serial))
        return JSONResponse(rendered)

    async def _pause(self, request: Request, seconds: float) -> bool:
        """Wait ``seconds``; False when the client disconnected first."""
        released = asyncio.Event()
        self._waiting.add(released)

        async def disconnected() -> None:
            while (await request.receive())["type"] != "http.disconnect":
                pass

        waits = {
            asyncio.ensure_future(asyncio.sleep(seconds)),
            asyncio.ensure_future(released.wait()),
        }
        gone = asyncio.ensure_future(disconnected())
        try:
            done, _ = await asyncio.wait({*waits, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._waiting.discard(released)
            for task in (*waits, gone):
                task.cancel()
            for task in (*waits, gone):
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        return gone not in done

    async def _transcription(self, request: Request) -> Response:
        headers = {name.lower(): value for name, value in request.headers.items()}
        raw = await request.body()
        fields, audio = await _transcription_form(request)
        record = ReceivedRequest(request.method, request.url.path, headers, fields, raw)
        self.requests.append(record)
        rejection = self._dialect.authorize(headers, self.api_key) or _transcription_problem(
            headers, fields, audio
        )
        if rejection is not None:
            response = self._error(rejection)
        else:
            assert audio is not None, "a valid transcription request has a file"
            response = await self._transcribe(request, fields, audio)
        record.status = response.status_code
        return response

    async def _transcribe(
        self, request: Request, fields: Mapping[str, Any], audio: bytes
    ) -> Response:
        item = self._transcription_script.popleft() if self._transcription_script else None
        match item:
            case Delay(seconds=seconds, then=then):
                if not await self._pause(request, seconds):
                    return Response(status_code=499)
                if then is not None:
                    self._transcription_script.appendleft(then)  # type: ignore[arg-type]
                return await self._transcribe(request, fields, audio)
            case HttpError() | RawBody() | RawJson():
                return await self._answer(item, request, None)
            case Text(text=text):
                heard = text
            case _:
                known = self.transcripts.get(audio)
                if known is None:
                    return self._error(
                        _Rejection(
                            400,
                            "Audio file might be corrupted or unsupported",
                            code="invalid_value",
                            param="file",
                        )
                    )
                heard = known
        kind = fields.get("response_format") or "json"
        if kind == "json":
            return JSONResponse({"text": heard})
        if kind == "verbose_json":
            language = fields.get("language") or "portuguese"
            return JSONResponse(
                {"task": "transcribe", "language": language, "duration": 1.0, "text": heard}
            )
        return Response(heard, media_type="text/plain")

    def _error(self, rejection: _Rejection) -> Response:
        return JSONResponse(self._dialect.error_body(rejection), status_code=rejection.status)


_TRANSCRIPTION_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


async def _transcription_form(request: Request) -> tuple[dict[str, Any], bytes | None]:
    """The form's text fields, and the file's bytes (None without one); a body that is not a
    multipart form has no fields. The file is recorded by name, type and size."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return {}, None
    try:
        form = await request.form()
    except Exception:  # a malformed body is the client's: answered with 400
        return {}, None
    fields: dict[str, Any] = {}
    audio: bytes | None = None
    try:
        for name, value in form.multi_items():
            if isinstance(value, str):
                fields[name] = value
            elif name == "file":
                audio = await value.read()
                fields["file"] = {
                    "filename": value.filename,
                    "content_type": value.content_type,
                    "size": len(audio),
                }
    finally:
        await form.close()  # the spooled files
    return fields, audio


def _transcription_problem(
    headers: Mapping[str, str], fields: Mapping[str, Any], audio: bytes | None
) -> _Rejection | None:
    if not headers.get("content-type", "").startswith("multipart/form-data"):
        return _Rejection(
            400,
            "Invalid Content-Type header, expected multipart/form-data.",
        )
    if audio is None:
        return _Rejection(
            400,
            "1 validation error for Request\nbody -> file\n  field required "
            "(type=value_error.missing)",
        )
    if not fields.get("model"):
        return _Rejection(400, "you must provide a model parameter")
    language = fields.get("language")
    if language is not None and not _LANGUAGE.match(language):
        return _Rejection(
            400,
            f"Invalid language '{language}'. Language parameter must be specified in "
            "ISO-639-1 format.",
            param="language",
        )
    response_format = fields.get("response_format")
    if response_format is not None and response_format not in _TRANSCRIPTION_FORMATS:
        return _Rejection(
            400,
            f"Invalid value: '{response_format}'. Supported values are: 'json', 'text', "
            "'srt', 'verbose_json', and 'vtt'.",
            param="response_format",
        )
    if not audio:
        return _Rejection(
            400, "Audio file is too short. Minimum audio length is 0.1 seconds.", param="file"
        )
    return None


def _create_app(
    dialect: _OpenAI | _Anthropic, api_key: str | None, models: Collection[str] | None
) -> Starlette:
    fake = FakeAIServer(dialect, api_key, models)
    routes = [
        Route(dialect.path, fake._endpoint, methods=["POST"]),
        Route("/v1/models", fake._models, methods=["GET"]),
    ]
    if isinstance(dialect, _OpenAI):
        routes.append(Route("/v1/audio/transcriptions", fake._transcription, methods=["POST"]))
    app = Starlette(routes=routes)
    app.state.fake = fake
    return app


def create_fake_openai_app(
    *, api_key: str | None = None, models: Collection[str] | None = None
) -> Starlette:
    """An OpenAI-compatible chat completions and audio transcriptions server. ``api_key``
    None: no ``Authorization`` is needed (like Ollama); ``models`` None: any model name is
    served (transcriptions serve any model)."""
    return _create_app(_OpenAI(), api_key, models)


def create_fake_anthropic_app(
    *, api_key: str | None = None, models: Collection[str] | None = None
) -> Starlette:
    """A Messages API server. An ``x-api-key`` is always required; ``api_key`` None accepts
    any; ``models`` None: any model name is served."""
    return _create_app(_Anthropic(), api_key, models)
