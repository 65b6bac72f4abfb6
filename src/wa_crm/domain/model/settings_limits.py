"""Limits on what an admin writes into the association's settings (``model/association``).

Ranges keep the assistant, the sends and the purge within what works. Sizes bound the rest:
the settings are loaded with the association on every webhook and every API call, keywords are
matched against every incoming message, and prompts go to the AI provider on every bot turn:
one admin saving a list of a million keywords would slow every request of their association
and bloat every row read. Counts and lengths are bounded well above any real use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from wa_crm.domain.model.formatting import MAX_MESSAGE_LENGTH

if TYPE_CHECKING:  # the settings import these limits to check themselves
    from wa_crm.domain.model.association import BotSettings, PrivacySettings

MAX_BOT_TURNS = 100
MAX_DEBOUNCE_SECONDS = 60.0
MAX_TYPING_SECONDS = 10.0
MAX_RETENTION_DAYS = 3650
MAX_OPEN_PER_AGENT = 500
MAX_OFFLINE_MINUTES = 7 * 24 * 60
MAX_MESSAGES_PER_SECOND = 50.0
MAX_CHAT_GAP_SECONDS = 60.0
MAX_INACTIVITY_CLOSE_HOURS = 30 * 24.0
MAX_FIRST_RESPONSE_MINUTES = 24 * 60

MAX_KEYWORDS = 50
MAX_KEYWORD_LENGTH = 64
MAX_LEAD_QUESTIONS = 20
MAX_ATTACHMENTS = 20
MAX_BUSINESS_WINDOWS = 7 * 4
MAX_HOLIDAYS = 100
"""Closed dates in the business hours: several years of national and local holidays."""
MAX_SENSITIVE_KINDS = 20
MAX_NAME_LENGTH = 100
"""Model names, lead question fields, attachment names and sensitive-data kinds."""
MAX_PROMPT_LENGTH = 8000
MAX_FILE_FIELD_LENGTH = 255
"""An attachment's name, media key, file name and type."""
ASSISTANT_SAYS_WHY = (
    "medical_message",
    "emergency_message",
    "no_answer_message",
    "voice_note_message",
    "file_too_large_message",
)
"""The texts the assistant says in place of an answer; none may be blank, or the contact
would be left without one (an emergency without the numbers to call)."""


def _too_long(name: str, text: str, limit: int) -> list[str]:
    return [f"{name} is at most {limit} characters"] if len(text) > limit else []


def _list_problems(name: str, items: Sequence[str], count: int, length: int) -> list[str]:
    problems = [f"{name} holds at most {count} entries"] if len(items) > count else []
    if any(len(item) > length for item in items):
        problems.append(f"each of {name} is at most {length} characters")
    return problems


def bot_size_problems(bot: BotSettings) -> list[str]:
    problems = _too_long("model", bot.model, MAX_NAME_LENGTH)
    problems += _too_long("system_prompt", bot.system_prompt, MAX_PROMPT_LENGTH)
    problems += _too_long("objective", bot.objective, MAX_PROMPT_LENGTH)
    for name in (
        "greeting_member",
        "greeting_lead",
        "transition_message",
        "objective_complete_message",
        "closing_message",
        *ASSISTANT_SAYS_WHY,
    ):
        problems += _too_long(name, getattr(bot, name), MAX_MESSAGE_LENGTH)
    problems += _list_problems("medical_terms", bot.medical_terms, MAX_KEYWORDS, MAX_KEYWORD_LENGTH)
    problems += _list_problems(
        "handoff_keywords", bot.handoff_keywords, MAX_KEYWORDS, MAX_KEYWORD_LENGTH
    )
    problems += _list_problems(
        "sensitive_data", bot.sensitive_data, MAX_SENSITIVE_KINDS, MAX_NAME_LENGTH
    )
    questions = bot.lead_questions
    if len(questions) > MAX_LEAD_QUESTIONS:
        problems.append(f"lead_questions holds at most {MAX_LEAD_QUESTIONS} entries")
    if any(len(q.field) > MAX_NAME_LENGTH for q in questions):
        problems.append(f"lead question fields are at most {MAX_NAME_LENGTH} characters")
    if any(len(q.question) > MAX_MESSAGE_LENGTH for q in questions):
        problems.append(f"lead questions are at most {MAX_MESSAGE_LENGTH} characters")
    if len(bot.attachments) > MAX_ATTACHMENTS:
        problems.append(f"attachments holds at most {MAX_ATTACHMENTS} entries")
    for attachment in bot.attachments[:MAX_ATTACHMENTS]:
        problems += _list_problems(
            "attachment keywords", attachment.keywords, MAX_KEYWORDS, MAX_KEYWORD_LENGTH
        )
        problems += _too_long("attachment captions", attachment.caption, MAX_MESSAGE_LENGTH)
        for name in ("name", "media_key", "filename", "mimetype"):
            problems += _too_long(
                f"attachment {name}s", getattr(attachment, name), MAX_FILE_FIELD_LENGTH
            )
    hours = bot.business_hours
    if hours is not None and len(hours.windows) > MAX_BUSINESS_WINDOWS:
        problems.append(f"business_hours holds at most {MAX_BUSINESS_WINDOWS} windows")
    if hours is not None and len(hours.holidays) > MAX_HOLIDAYS:
        problems.append(f"business_hours holds at most {MAX_HOLIDAYS} holidays")
    return problems


def privacy_size_problems(privacy: PrivacySettings) -> list[str]:
    problems = []
    for name in ("opt_out_keywords", "opt_in_keywords"):
        problems += _list_problems(name, getattr(privacy, name), MAX_KEYWORDS, MAX_KEYWORD_LENGTH)
    for name in ("opt_out_confirmation", "opt_in_confirmation"):
        problems += _too_long(name, getattr(privacy, name), MAX_MESSAGE_LENGTH)
    return problems
