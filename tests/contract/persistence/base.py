"""What every persistence contract needs from the adapter under test."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from wa_crm.domain.model.events import Fact
from wa_crm.ports.queries import Queries
from wa_crm.ports.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]


class PublishedFacts(list[Fact]):
    """The publisher the adapters' units of work are built with here: it keeps what it gets."""

    async def __call__(self, facts: Sequence[Fact]) -> None:
        self.extend(facts)


class PersistenceContract:
    """Base of the contract suites: an adapter's test class provides ``uow_factory`` (its units
    publishing to the ``published`` fixture), and ``queries`` that read what its units commit."""

    @pytest.fixture
    def uow_factory(self) -> UowFactory:
        raise NotImplementedError("the adapter's test class provides a uow_factory fixture")

    @pytest.fixture
    def queries(self) -> Queries:
        raise NotImplementedError("the adapter's test class provides a queries fixture")
