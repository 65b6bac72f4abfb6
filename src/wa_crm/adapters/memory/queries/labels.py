"""The label catalog with its counts, over the committed in-memory tables."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from wa_crm.adapters.memory.store import InMemoryStore
from wa_crm.domain.model.label_catalog import DEFAULT_COLOUR, LabelUsage


class InMemoryLabelQueries:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def catalog(self, association_id: str) -> Sequence[LabelUsage]:
        tables = self._store.tables
        counts = Counter(
            label
            for conversation in tables.conversations.values()
            if conversation.association_id == association_id
            for label in conversation.labels
        )
        colours = {
            name: label.colour
            for (owner, name), label in tables.labels.items()
            if owner == association_id
        }
        return [
            LabelUsage(name, colours.get(name, DEFAULT_COLOUR), counts[name])
            for name in sorted(set(colours) | set(counts))
        ]
