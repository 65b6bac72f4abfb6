"""An admin changes the assistant's settings; what would misbehave later is refused now."""

from __future__ import annotations

from dataclasses import dataclass

from returns.result import Result

from wa_crm.domain.model.association import Association, BotSettings
from wa_crm.domain.model.errors import DomainError
from wa_crm.domain.usecases.admin.association_settings import save_settings
from wa_crm.ports.unit_of_work import UnitOfWorkFactory


@dataclass(frozen=True)
class UpdateBotSettings:
    uow_factory: UnitOfWorkFactory
    providers: frozenset[str]

    async def __call__(
        self, association_id: str, bot: BotSettings
    ) -> Result[Association, DomainError]:
        checked = bot.validated(self.providers)
        return await save_settings(self.uow_factory, association_id, "bot", checked)
