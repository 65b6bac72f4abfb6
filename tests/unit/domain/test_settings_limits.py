"""Size limits on the assistant's and privacy settings: the defaults pass, and each list or
text past its bound is named in the problems."""

from __future__ import annotations

import dataclasses
from datetime import time

import pytest

from wa_crm.domain.model.association import (
    BotAttachment,
    BotSettings,
    BusinessHours,
    BusinessWindow,
    LeadQuestion,
    PrivacySettings,
)
from wa_crm.domain.model.settings_limits import (
    MAX_ATTACHMENTS,
    MAX_BUSINESS_WINDOWS,
    MAX_KEYWORD_LENGTH,
    MAX_KEYWORDS,
    MAX_LEAD_QUESTIONS,
    MAX_PROMPT_LENGTH,
    bot_size_problems,
    privacy_size_problems,
)

WINDOW = BusinessWindow(0, time(8), time(18))
ATTACHMENT = BotAttachment("price list", "key", "prices.pdf", "application/pdf", ("price",))


def test_the_default_settings_are_within_the_limits() -> None:
    assert bot_size_problems(BotSettings()) == []
    assert privacy_size_problems(PrivacySettings()) == []


def test_settings_at_the_limits_pass() -> None:
    bot = BotSettings(
        handoff_keywords=("k" * MAX_KEYWORD_LENGTH,) * MAX_KEYWORDS,
        system_prompt="x" * MAX_PROMPT_LENGTH,
        lead_questions=tuple(LeadQuestion(f"f{n}", "?") for n in range(MAX_LEAD_QUESTIONS)),
        business_hours=BusinessHours("UTC", (WINDOW,) * MAX_BUSINESS_WINDOWS),
    )
    assert bot_size_problems(bot) == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"handoff_keywords": ("humano",) * (MAX_KEYWORDS + 1)}, "handoff_keywords holds"),
        ({"handoff_keywords": ("k" * (MAX_KEYWORD_LENGTH + 1),)}, "each of handoff_keywords"),
        ({"system_prompt": "x" * (MAX_PROMPT_LENGTH + 1)}, "system_prompt"),
        ({"greeting_lead": "x" * 5000}, "greeting_lead"),
        (
            {"lead_questions": (LeadQuestion("f", "?"),) * (MAX_LEAD_QUESTIONS + 1)},
            "lead_questions holds",
        ),
        (
            {"attachments": (ATTACHMENT,) * (MAX_ATTACHMENTS + 1)},
            "attachments holds",
        ),
        (
            {"business_hours": BusinessHours("UTC", (WINDOW,) * (MAX_BUSINESS_WINDOWS + 1))},
            "business_hours holds",
        ),
    ],
)
def test_each_bot_setting_past_its_limit_is_named(change: dict[str, object], named: str) -> None:
    problems = bot_size_problems(dataclasses.replace(BotSettings(), **change))
    assert any(named in problem for problem in problems), problems


def test_privacy_keyword_lists_and_confirmations_are_bounded() -> None:
    privacy = PrivacySettings(
        opt_out_keywords=("SAIR",) * (MAX_KEYWORDS + 1),
        opt_in_keywords=("V" * (MAX_KEYWORD_LENGTH + 1),),
        opt_in_confirmation="x" * 5000,
    )
    problems = privacy_size_problems(privacy)
    assert len(problems) == 3, problems
