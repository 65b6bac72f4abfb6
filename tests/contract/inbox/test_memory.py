"""The inbox query contract against the in-memory adapter."""

from __future__ import annotations

from tests.contract.persistence.test_memory import InMemoryAdapter

from .suite import InboxSearchContract


class TestInMemoryInboxSearch(InMemoryAdapter, InboxSearchContract): ...
