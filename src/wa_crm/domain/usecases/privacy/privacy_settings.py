"""An admin changes the privacy settings: opt-out and opt-in keywords, their confirmations, and
the retention period; what would misbehave later is refused now."""

from __future__ import annotations

from dataclasses import dataclass

from returns.result import Result

from wa_crm.domain.model.association import Association, PrivacySettings
from wa_crm.domain.model.errors import DomainError
from wa_crm.domain.model.settings_limits import privacy_size_problems
from wa_crm.domain.usecases.admin.association_settings import save_settings
from wa_crm.domain.usecases.privacy.retention import purge_job
from wa_crm.ports.system import Clock
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

MAX_RETENTION_DAYS = 3650


def _problems(privacy: PrivacySettings) -> list[str]:
    problems = privacy_size_problems(privacy)
    for name in ("opt_out_keywords", "opt_in_keywords"):
        keywords = getattr(privacy, name)
        if not keywords or any(not keyword.strip() for keyword in keywords):
            problems.append(f"{name} need at least one keyword, and no empty one")
    days = privacy.retention_days
    if days is not None and not 1 <= days <= MAX_RETENTION_DAYS:
        problems.append(
            f"retention_days must be from 1 to {MAX_RETENTION_DAYS}, or null to keep all"
        )
    return problems


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
            privacy,
            _problems(privacy),
            purge_now_when_the_period_changes,
        )
