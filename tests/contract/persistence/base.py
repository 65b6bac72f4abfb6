"""What every persistence contract needs from the adapter under test."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from wa_crm.ports.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]


class PersistenceContract:
    """Base of the contract suites: an adapter's test class provides ``uow_factory``."""

    @pytest.fixture
    def uow_factory(self) -> UowFactory:
        raise NotImplementedError("the adapter's test class provides a uow_factory fixture")
