"""The AI provider: one bot turn in, one structured reply out.

The orchestrator builds a ``TurnRequest`` (the association's prompt and objective, what is known
of the contact, the recent conversation, already masked when the provider is external) and gets
a ``BotReply``: the text to send and what to do with the conversation. Providers that support
tool calls offer the model ``handoff`` and ``objective_complete`` tools; others are asked for a
JSON object; a reply that does not parse is taken as plain text with no action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from wa_crm.domain.model.association import BotAttachment, LeadQuestion
from wa_crm.domain.model.knowledge import Passage

NO_ANSWER = "no_answer"
"""A handoff ``reason``: the passages hold no answer to the contact's question."""
MEDICAL_QUESTION = "medical_question"
"""A handoff ``reason``: a question about health only a person may answer."""


class BotAction(StrEnum):
    NONE = "none"
    HANDOFF = "handoff"
    OBJECTIVE_COMPLETE = "objective_complete"


class TurnTask(StrEnum):
    REPLY = "reply"
    """Answer the contact (the bot turn)."""
    SUGGEST_REPLY = "suggest_reply"
    """Draft an answer for the agent, who edits and sends it; never sent by itself."""
    SUMMARIZE = "summarize"
    """Summarize the conversation for the agents (a private note)."""


class Speaker(StrEnum):
    CONTACT = "contact"
    ASSISTANT = "assistant"


@dataclass(frozen=True)
class TurnMessage:
    speaker: Speaker
    text: str


@dataclass(frozen=True)
class TurnRequest:
    """Everything one turn needs; ``history`` is oldest first and ends with the contact."""

    system_prompt: str
    objective: str
    history: tuple[TurnMessage, ...]
    contact: dict[str, Any] = field(default_factory=dict)
    """What is known: kind (member or lead), first name, profile, recent orders, fields
    collected so far."""
    model: str = ""
    locale: str = "pt-BR"
    lead_questions: tuple[LeadQuestion, ...] = ()
    """What to learn from a lead, in order; the objective is complete when all are answered."""
    attachments: tuple[BotAttachment, ...] = ()
    """Files the assistant may send, by name."""
    completion_message: str = ""
    """What to say when the objective is complete."""
    passages: tuple[Passage, ...] = ()
    """The association's passages found for the contact's question, best first: the assistant
    answers only from them and names the title it used."""
    task: TurnTask = TurnTask.REPLY


@dataclass(frozen=True)
class BotReply:
    text: str
    action: BotAction = BotAction.NONE
    reason: str = ""
    summary: str = ""
    """For a handoff: what the contact wants, in at most two lines, for the agent."""
    collected: dict[str, Any] = field(default_factory=dict)
    """Fields learnt this turn (e.g. a lead's name, city, interest)."""
    attachments: tuple[str, ...] = ()
    """Names of the association's configured attachments to send with the text."""
    sources: tuple[str, ...] = ()
    """Titles of the documents the answer came from."""


class AIProviderErrorKind(StrEnum):
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    UNAUTHORIZED = "unauthorized"
    BAD_REPLY = "bad_reply"  # the answer is not a chat completion / message at all
    REJECTED = "rejected"  # other 4xx: bad model name, request too large
    CIRCUIT_OPEN = "circuit_open"


class AIProviderError(Exception):
    """No reply can be had this turn; the orchestrator hands off with ``ai_unavailable``."""

    def __init__(self, kind: AIProviderErrorKind, message: str) -> None:
        super().__init__(f"{kind.value}: {message}")
        self.kind = kind


class AIProvider(Protocol):
    async def reply(self, request: TurnRequest) -> BotReply:
        """One turn; raises AIProviderError when no reply can be had."""
        ...
