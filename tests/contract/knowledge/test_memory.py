"""The knowledge base contract against the in-memory adapter."""

from __future__ import annotations

import pytest

from wa_crm.adapters.memory.knowledge import InMemoryKnowledgeBase
from wa_crm.ports.knowledge import KnowledgeBase

from .suite import KnowledgeBaseContract


class TestInMemoryKnowledgeBase(KnowledgeBaseContract):
    @pytest.fixture
    def knowledge(self) -> KnowledgeBase:
        return InMemoryKnowledgeBase()
