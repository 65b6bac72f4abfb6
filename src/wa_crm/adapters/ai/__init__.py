"""The AI adapters: the embedded rules assistant, OpenAI-compatible chat completions,
Anthropic's Messages API, a circuit breaker to wrap either, and a scripted fake for tests.

Wire-format details live only in this package (``openai.py``, ``anthropic.py``); what is asked
of the model (system text, tools, turns) in ``prompt.py`` and how answers become a ``BotReply``
in ``replies.py``, shared by both.
"""

from __future__ import annotations

from wa_crm.adapters.ai.anthropic import AnthropicProvider
from wa_crm.adapters.ai.breaker import CircuitBreakerProvider
from wa_crm.adapters.ai.fake import ScriptedProvider, ScriptExhausted
from wa_crm.adapters.ai.openai import OpenAIProvider
from wa_crm.adapters.ai.rules import RulesProvider

__all__ = [
    "AnthropicProvider",
    "CircuitBreakerProvider",
    "OpenAIProvider",
    "RulesProvider",
    "ScriptExhausted",
    "ScriptedProvider",
]
