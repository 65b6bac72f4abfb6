"""A job command for the tests of the job machinery itself (runner, workers, leases)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wa_crm.domain.model.job_commands import JobCommand


@dataclass(frozen=True)
class Echo(JobCommand):
    """A job that only says which one it is."""

    kind: ClassVar[str] = "echo"
    label: str
