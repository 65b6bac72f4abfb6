"""The inbox query contract's fixtures (the adapters' own come from the persistence suites)."""

from __future__ import annotations

import pytest
from tests.contract.persistence.base import PublishedFacts


@pytest.fixture
def published() -> PublishedFacts:
    return PublishedFacts()
