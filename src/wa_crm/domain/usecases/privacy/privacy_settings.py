"""An admin changes the privacy settings: opt-out and opt-in keywords, their confirmations, and
the retention period; what would misbehave later is refused now."""

from __future__ import annotations

from dataclasses import dataclass

from returns.result import Result

from wa_crm.domain.model.association import Association, PrivacySettings
from wa_crm.domain.model.errors import DomainError
from wa_crm.domain.usecases.admin.association_settings import save_settings
from wa_crm.domain.usecases.privacy.retention import purge_job
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True)
class UpdatePrivacySettings:
    """A new retention period runs the purge job now rather than at its next daily run."""

    uow_factory: UnitOfWorkFactory
    clock: Clock

    async def __call__(
        self, association_id: str, privacy: PrivacySettings
    ) -> Result[Association, DomainError]:
        now = self.clock.now()

        async def purge_now_when_the_period_changes(uow: UnitOfWork, before: Association) -> None:
            days = privacy.retention_days
            if days is not None and days != before.privacy.retention_days:
                await uow.jobs.schedule(purge_job(association_id, now), now)

        return await save_settings(
            self.uow_factory,
            association_id,
            "privacy",
            privacy.validated(),
            purge_now_when_the_period_changes,
        )
