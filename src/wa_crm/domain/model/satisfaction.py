"""Satisfaction surveys: after an agent resolves a conversation, the contact may rate it 1-5.

The rating is the contact's next message, when that message is only a digit from 1 to 5 (with
spaces, punctuation or an emoji around it), sent within ``RATING_WINDOW`` of the question.
Anything else is an ordinary message and ends the survey unanswered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

RATINGS = range(1, 6)
RATING_WINDOW = timedelta(days=3)
MAX_SURVEY_TEXT = 500

_RATING = re.compile(r"\W*([1-5])\W*")


@dataclass(frozen=True)
class SatisfactionSurvey:
    """Off by default; part of the assistant's settings (``BotSettings.satisfaction_survey``)."""

    enabled: bool = False
    question: str = (
        "Como você avalia o nosso atendimento? Responda com um número de 1 (ruim) a 5 (ótimo)."
    )
    thanks: str = "Obrigado pela sua avaliação!"
    """Sent after a rating; empty sends nothing."""

    def problems(self) -> list[str]:
        found = []
        if self.enabled and not self.question.strip():
            found.append("satisfaction_survey.question must not be empty while it is enabled")
        if len(self.question) > MAX_SURVEY_TEXT or len(self.thanks) > MAX_SURVEY_TEXT:
            found.append(f"satisfaction_survey texts are at most {MAX_SURVEY_TEXT} characters")
        return found


def parse_rating(text: str) -> int | None:
    """``"5"``, ``" 4! "``, ``"3 ⭐"`` are ratings; ``"nota 5"``, ``"10"``, ``"4/5"`` are not."""
    match = _RATING.fullmatch(text.strip())
    return int(match.group(1)) if match else None
