"""What both providers send: the system text, the two tools and the conversation turns."""

from __future__ import annotations

import json
from typing import Any, Literal

from wa_crm.ports.ai import Speaker, TurnMessage, TurnRequest

Role = Literal["user", "assistant"]

HANDOFF = "handoff"
OBJECTIVE_COMPLETE = "objective_complete"

_SUMMARY = "What the contact wants, in at most two short lines, for the human agent."
_COLLECTED = (
    "Fields learnt about the contact so far, e.g. name, city, interest; "
    "keys in snake_case, values as the contact gave them."
)
# JSON schemas of the tools' arguments: OpenAI's `parameters`, Anthropic's `input_schema`
TOOLS: dict[str, tuple[str, dict[str, Any]]] = {
    HANDOFF: (
        "Hand the conversation over to a human agent: the contact asks for a person, needs "
        "something you cannot do, is upset, or the rules say so.",
        {
            "type": "object",
            "properties": {
                "reason": {"type": "string", "description": "Why a human should take over."},
                "summary": {"type": "string", "description": _SUMMARY},
                "collected": {"type": "object", "description": _COLLECTED},
            },
            "required": ["reason", "summary"],
        },
    ),
    OBJECTIVE_COMPLETE: (
        "The objective of this conversation is reached; a human agent takes it from here.",
        {
            "type": "object",
            "properties": {
                "summary": {"type": "string", "description": _SUMMARY},
                "collected": {"type": "object", "description": _COLLECTED},
            },
            "required": ["summary"],
        },
    ),
}

_TOOLS_INSTRUCTION = (
    "Write only the next WhatsApp message to the contact: short, plain text. "
    f"Call the `{HANDOFF}` tool when a human should take over, with the reason, a summary of "
    "what the contact wants and the fields collected so far. "
    f"Call the `{OBJECTIVE_COMPLETE}` tool when the objective is reached, with a summary and the "
    "collected fields. You may write a message to the contact along with either call."
)
_JSON_INSTRUCTION = (
    "Answer with one JSON object and nothing else, of this form: "
    '{"text": "<the next WhatsApp message to the contact: short, plain text>", '
    '"action": "none" | "handoff" | "objective_complete", '
    '"reason": "<for a handoff: why a human should take over>", '
    '"summary": "<for a handoff or a completed objective: what the contact wants, in at most '
    'two short lines, for the human agent>", '
    '"collected": {<fields learnt about the contact so far, e.g. "name", "city", "interest">}}. '
    'Use "handoff" when a human should take over and "objective_complete" when the objective is '
    'reached; otherwise "none".'
)

# Anthropic requires the first message to come from the user
CONVERSATION_START = "(The conversation starts.)"


def system_text(request: TurnRequest, *, json_mode: bool) -> str:
    parts = [request.system_prompt.strip()]
    if request.objective.strip():
        parts.append(f"Objective of this conversation: {request.objective.strip()}")
    if request.contact:
        known = json.dumps(
            request.contact, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str
        )
        parts.append(f"What is known about the contact (JSON): {known}")
    parts.append(f"Reply in {request.locale}.")
    parts.append(_JSON_INSTRUCTION if json_mode else _TOOLS_INSTRUCTION)
    return "\n\n".join(part for part in parts if part)


def turns(history: tuple[TurnMessage, ...]) -> list[tuple[Role, str]]:
    """The history as (role, text), oldest first; messages without text (media) are left out
    and surrounding whitespace trimmed (Anthropic refuses a last assistant turn ending in it)."""
    result: list[tuple[Role, str]] = []
    for message in history:
        text = message.text.strip()
        if text:
            result.append(("user" if message.speaker is Speaker.CONTACT else "assistant", text))
    return result


def alternating_turns(history: tuple[TurnMessage, ...]) -> list[tuple[Role, str]]:
    """``turns`` with consecutive messages of one speaker joined by newlines, starting with the
    user (a placeholder when the assistant spoke first, or nobody did)."""
    merged: list[tuple[Role, str]] = []
    for role, text in turns(history):
        if merged and merged[-1][0] == role:
            merged[-1] = (role, f"{merged[-1][1]}\n{text}")
        else:
            merged.append((role, text))
    if not merged or merged[0][0] != "user":
        merged.insert(0, ("user", CONVERSATION_START))
    return merged
