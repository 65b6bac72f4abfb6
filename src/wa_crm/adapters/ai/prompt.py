"""What both providers send: the system text, the two tools and the conversation turns.

A bot turn (``TurnTask.REPLY``) puts the association's passages in the system text, under their
titles, with the rules the assistant keeps (architecture.md section 4, item 3): answer only from
them and name the title used on a last line ("Fonte: <título>"); hand over with reason
``no_answer`` when they do not answer, ``medical_question`` for dosage, symptoms, side effects,
diagnosis, drug interactions or changes of treatment, ``emergency`` for an emergency. The
agents' tasks (``SUGGEST_REPLY``, ``SUMMARIZE``) are plain text with no tools: the conversation
goes as one transcript in a single user message, so that it may end with anyone.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from wa_crm.domain.model.locale_format import is_english
from wa_crm.ports.ai import MEDICAL_QUESTION, NO_ANSWER, Speaker, TurnMessage, TurnRequest, TurnTask

Role = Literal["user", "assistant"]

HANDOFF = "handoff"
OBJECTIVE_COMPLETE = "objective_complete"
EMERGENCY = "emergency"
"""A handoff ``reason``: the contact describes an emergency (the orchestrator answers with the
association's emergency message and marks the conversation urgent)."""
REASONS = (NO_ANSWER, MEDICAL_QUESTION, EMERGENCY)
"""The handoff reasons the model is told of, which the orchestrator acts on."""

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
                "reason": {
                    "type": "string",
                    "description": (
                        f'Why a human should take over: "{NO_ANSWER}" when the association\'s '
                        f'documents do not answer the question, "{MEDICAL_QUESTION}" for a '
                        f'question about health or treatment, "{EMERGENCY}" for an emergency, '
                        "otherwise a few words."
                    ),
                },
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
    f'"reason": "<for a handoff: {NO_ANSWER}, {MEDICAL_QUESTION}, {EMERGENCY} or why a human '
    'should take over>", '
    '"summary": "<for a handoff or a completed objective: what the contact wants, in at most '
    'two short lines, for the human agent>", '
    '"collected": {<fields learnt about the contact so far, e.g. "name", "city", "interest">}}. '
    'Use "handoff" when a human should take over and "objective_complete" when the objective is '
    'reached; otherwise "none".'
)

# Anthropic requires the first message to come from the user
CONVERSATION_START = "(The conversation starts.)"


def _guardrails(source_label: str) -> str:
    return (
        "Answer questions about the association only from its documents above, never from "
        "what you know otherwise, and end such an answer with a last line naming the title of "
        f'the document you used: "{source_label}: <title>". When the documents do not answer '
        f'the question, hand over (`{HANDOFF}`) with reason "{NO_ANSWER}" and the question as '
        "the summary. Never answer questions about "
        "dosage, symptoms, side effects, diagnosis, drug interactions or changing a treatment: "
        f'hand over with reason "{MEDICAL_QUESTION}". If the contact describes an emergency, '
        f'hand over with reason "{EMERGENCY}".'
    )


def documents_text(request: TurnRequest) -> str:
    """The passages under their titles, best first; a line saying there are none."""
    english = is_english(request.locale)
    heading = "The association's documents" if english else "Documentos da associação"
    if not request.passages:
        return f"{heading}: none was found for this conversation."
    blocks = [f"### {passage.title}\n{passage.text.strip()}" for passage in request.passages]
    return f"{heading}:\n\n" + "\n\n".join(blocks)


def source_label(locale: str) -> str:
    """The word before the source's title: "Fonte" ("Source" in English)."""
    return "Source" if is_english(locale) else "Fonte"


def system_text(request: TurnRequest, *, json_mode: bool) -> str:
    """The system text of a bot turn, or of an agent's task (``task_text`` then follows it)."""
    parts = [request.system_prompt.strip()]
    if request.task is TurnTask.REPLY and request.objective.strip():
        parts.append(f"Objective of this conversation: {request.objective.strip()}")
    if request.contact:
        known = json.dumps(
            request.contact, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str
        )
        parts.append(f"What is known about the contact (JSON): {known}")
    if request.task is not TurnTask.SUMMARIZE:
        parts.append(documents_text(request))
    if request.task is TurnTask.REPLY:
        parts.append(_guardrails(source_label(request.locale)))
        parts.append(f"Reply in {request.locale}.")
        parts.append(_JSON_INSTRUCTION if json_mode else _TOOLS_INSTRUCTION)
    else:
        parts.append(
            _TASK_INSTRUCTIONS[request.task].format(
                locale=request.locale, source=source_label(request.locale)
            )
        )
    return "\n\n".join(part for part in parts if part)


_TASK_INSTRUCTIONS = {
    TurnTask.SUGGEST_REPLY: (
        "You are helping a human agent of the association, who will read, edit and send your "
        "draft. Write the draft of the agent's next WhatsApp message to the contact, answering "
        "what the contact asked last from the association's documents above and the "
        'conversation; when you use a document, end with a line "{source}: <title>". If the '
        "documents do not answer, say in the draft that the team will check. Never give advice "
        "on dosage, symptoms, side effects, diagnosis, drug interactions or treatment. Plain "
        "text only: the message itself, no preamble, no quotes, no Markdown. Write in {locale}."
    ),
    TurnTask.SUMMARIZE: (
        "Summarize the conversation below for the association's agents in 2 to 4 short lines: "
        "who the contact is, what they want, what was answered and what is still pending. "
        "Plain text only, no preamble, no Markdown. Write in {locale}."
    ),
}


def task_transcript(request: TurnRequest) -> str:
    """The agents' tasks' single user message: the conversation as a transcript, then what to
    do with it."""
    english = is_english(request.locale)
    names = {
        Speaker.CONTACT: "Contact" if english else "Contato",
        Speaker.ASSISTANT: "Association" if english else "Associação",
    }
    lines = [
        f"{names[message.speaker]}: {message.text.strip()}"
        for message in request.history
        if message.text.strip()
    ]
    conversation = "\n".join(lines) or CONVERSATION_START
    ask = {
        TurnTask.SUGGEST_REPLY: "Draft the agent's next message.",
        TurnTask.SUMMARIZE: "Summarize this conversation.",
    }[request.task]
    return f"Conversation:\n{conversation}\n\n{ask}"


def named_sources(text: str, request: TurnRequest) -> tuple[str, ...]:
    """The passages' titles the text names, in the passages' order, each once."""
    folded = text.casefold()
    titles = dict.fromkeys(passage.title for passage in request.passages if passage.title.strip())
    return tuple(title for title in titles if title.casefold() in folded)


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
