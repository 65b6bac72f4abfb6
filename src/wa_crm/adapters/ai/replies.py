"""From what a model answered (text, tool calls, a JSON object) to a ``BotReply``.

- A ``handoff`` call wins over ``objective_complete`` (a person looks either way, and the
  handoff's reason matters more); the fields ``collected`` by every call are merged.
- Calls of tools we did not offer are ignored; arguments that are not a JSON object leave the
  action standing with empty fields, as the model's intent is clear.
- In JSON mode, a content that is not a JSON object with ``text`` or ``action`` is the text;
  a JSON object inside a Markdown code fence counts (small local models add one).
- A reply with neither text nor action is a ``BAD_REPLY``: there would be nothing to send, and
  the orchestrator then hands the contact to a person instead of leaving them unanswered.
- A handoff reason the orchestrator acts on (``no_answer``, ``medical_question``, ``emergency``)
  is recognised however the model spelt it ("No answer", "medical-question"); the reply's
  ``sources`` are the passages' titles its text names.
- An agent's task (suggest a reply, summarize) is its text alone: tool calls are ignored; a
  suggested reply's ``sources`` are the titles it names, as a reply's are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from wa_crm.adapters.ai.errors import bad_reply
from wa_crm.adapters.ai.prompt import HANDOFF, OBJECTIVE_COMPLETE, REASONS, named_sources
from wa_crm.ports.ai import BotAction, BotReply, TurnRequest, TurnTask

_ACTIONS = {HANDOFF: BotAction.HANDOFF, OBJECTIVE_COMPLETE: BotAction.OBJECTIVE_COMPLETE}
_FENCE = re.compile(r"^```[A-Za-z0-9_-]*\s*\n(.*)\n\s*```$", re.DOTALL)


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


def arguments_of(raw: object) -> dict[str, Any]:
    """Tool arguments: OpenAI sends a JSON string, Anthropic (and some servers) an object."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return {}
    return {str(key): value for key, value in raw.items()} if isinstance(raw, dict) else {}


def from_json_content(content: str) -> tuple[str, list[ToolCall]]:
    """JSON mode: the text and the action (as a tool call) of a content."""
    stripped = content.strip()
    fenced = _FENCE.match(stripped)
    try:
        data: Any = json.loads(fenced.group(1) if fenced else stripped)
    except ValueError:
        return stripped, []
    if not isinstance(data, dict) or not ({"text", "action"} & data.keys()):
        return stripped, []
    action = _string(data.get("action")).lower()
    calls = [ToolCall(action, {str(k): v for k, v in data.items()})] if action in _ACTIONS else []
    return _string(data.get("text")), calls


def reply_for(
    provider: str, request: TurnRequest, text: str, calls: Sequence[ToolCall]
) -> BotReply:
    """What the model answered to ``request``, as the reply of its task."""
    if request.task is not TurnTask.REPLY:
        if not text.strip():
            raise bad_reply(provider, "with an empty text")
        drafted = request.task is TurnTask.SUGGEST_REPLY
        return BotReply(text=text.strip(), sources=named_sources(text, request) if drafted else ())
    reply = bot_reply(provider, text, calls)
    return replace(reply, sources=named_sources(reply.text, request))


def bot_reply(provider: str, text: str, calls: Sequence[ToolCall]) -> BotReply:
    known = [call for call in calls if call.name in _ACTIONS]
    text = text.strip()
    if not known:
        if not text:
            raise bad_reply(provider, "with an empty message")
        return BotReply(text=text)
    chosen = next((call for call in known if call.name == HANDOFF), known[0])
    collected: dict[str, Any] = {}
    for call in known:
        collected |= _fields(call.arguments.get("collected"))
    return BotReply(
        text=text,
        action=_ACTIONS[chosen.name],
        reason=_reason(_string(chosen.arguments.get("reason"))),
        summary=_string(chosen.arguments.get("summary")),
        collected=collected,
    )


def _reason(reason: str) -> str:
    spelt = "_".join(reason.lower().replace("-", " ").split())
    return spelt if spelt in REASONS else reason


def _string(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _fields(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {}
    return {str(key): item for key, item in value.items() if item is not None}
