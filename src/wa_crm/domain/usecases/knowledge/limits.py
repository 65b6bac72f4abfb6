"""The bounds of what admins and agents send the knowledge base, checked in one place.

Every check returns the cleaned value (surrounding spaces dropped) or an ``InvalidKnowledge``
whose message names the field and its bounds, so the edge answers 422 with a clear reason.
"""

from __future__ import annotations

from returns.result import Failure, Result, Success

from wa_crm.domain.model.errors import InvalidKnowledge

MAX_TITLE = 200
MAX_TEXT = 200_000
MAX_QUESTION = 500
MAX_RESULTS = 20


def bounded_text(field: str, value: str, most: int) -> Result[str, InvalidKnowledge]:
    """``value`` stripped, when it holds 1 to ``most`` characters."""
    cleaned = value.strip()
    if not 1 <= len(cleaned) <= most:
        return Failure(InvalidKnowledge(f"`{field}` must have 1 to {most} characters", field=field))
    return Success(cleaned)


def title_of(value: str) -> Result[str, InvalidKnowledge]:
    return bounded_text("title", value, MAX_TITLE)


def text_of(value: str) -> Result[str, InvalidKnowledge]:
    return bounded_text("text", value, MAX_TEXT)


def question_of(value: str) -> Result[str, InvalidKnowledge]:
    return bounded_text("question", value, MAX_QUESTION)


def results_limit(limit: int) -> Result[int, InvalidKnowledge]:
    if not 1 <= limit <= MAX_RESULTS:
        return Failure(InvalidKnowledge(f"`limit` must be from 1 to {MAX_RESULTS}", field="limit"))
    return Success(limit)
