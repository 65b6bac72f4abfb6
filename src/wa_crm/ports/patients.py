"""The association's member registry, as the orchestrator and ingestion consult it."""

from __future__ import annotations

from typing import Protocol

from wa_crm.domain.model.people import Patient


class PatientDirectory(Protocol):
    async def find_by_phone(self, association_id: str, phones: tuple[str, ...]) -> Patient | None:
        """The patient owning any of these E.164 variants; an active one wins over others."""
        ...

    async def get(self, association_id: str, patient_id: str) -> Patient | None: ...
