"""An admin changes the assistant's settings; what would misbehave later is refused now."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from returns.result import Result

from wa_crm.domain.model.association import Association, BotSettings
from wa_crm.domain.model.errors import DomainError
from wa_crm.domain.model.settings_limits import bot_size_problems
from wa_crm.domain.usecases.admin.association_settings import save_settings
from wa_crm.ports.unit_of_work import UnitOfWorkFactory

MAX_BOT_TURNS = 100
MAX_DEBOUNCE_SECONDS = 60.0
MAX_TYPING_SECONDS = 10.0


def _problems(bot: BotSettings, providers: Collection[str]) -> list[str]:
    problems = bot_size_problems(bot)
    if bot.provider not in providers:
        problems.append(f"provider must be one of {', '.join(sorted(providers))}")
    if not 1 <= bot.max_bot_turns <= MAX_BOT_TURNS:
        problems.append(f"max_bot_turns must be from 1 to {MAX_BOT_TURNS}")
    if not 0 <= bot.debounce_seconds <= MAX_DEBOUNCE_SECONDS:
        problems.append(f"debounce_seconds must be from 0 to {MAX_DEBOUNCE_SECONDS:g}")
    if not 0 <= bot.typing_seconds <= MAX_TYPING_SECONDS:
        problems.append(f"typing_seconds must be from 0 to {MAX_TYPING_SECONDS:g}")
    if any(not keyword.strip() for keyword in bot.handoff_keywords):
        problems.append("handoff_keywords must not contain empty keywords")
    fields = [question.field.strip() for question in bot.lead_questions]
    if any(not name for name in fields) or len(set(fields)) != len(fields):
        problems.append("lead_questions need distinct, non-empty fields")
    if any(not question.question.strip() for question in bot.lead_questions):
        problems.append("every lead question needs its text")
    problems += bot.satisfaction_survey.problems()
    hours = bot.business_hours
    if hours is not None:
        try:
            ZoneInfo(hours.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"business_hours.timezone {hours.timezone[:64]!r} is not an IANA zone")
        for window in hours.windows:
            if not 0 <= window.weekday <= 6:
                problems.append("business_hours weekdays go from 0 (Monday) to 6 (Sunday)")
            if window.opens >= window.closes:
                problems.append("business_hours windows must open before they close")
    return problems


@dataclass(frozen=True)
class UpdateBotSettings:
    uow_factory: UnitOfWorkFactory
    providers: frozenset[str]

    async def __call__(
        self, association_id: str, bot: BotSettings
    ) -> Result[Association, DomainError]:
        problems = _problems(bot, self.providers)
        return await save_settings(self.uow_factory, association_id, "bot", bot, problems)
