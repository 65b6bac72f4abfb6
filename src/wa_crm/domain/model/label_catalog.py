"""The association's label catalog: each label's name and colour, named by admins.

Conversations keep their labels by name (``Conversation.labels``); the catalog gives each name a
colour from a fixed palette, so chips look the same in every agent's inbox. The palette's
colours all carry white text at a contrast of 4.5:1 or more (WCAG AA for small text). A label
that agents use before an admin names it gets ``DEFAULT_COLOUR``; stored colours outside the
palette (written under older rules) still load, only new writes are checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from returns.result import Failure, Result, Success

from wa_crm.domain.model.errors import InvalidInput

PALETTE: tuple[tuple[str, str], ...] = (
    ("grey", "#4b5563"),
    ("red", "#b91c1c"),
    ("orange", "#c2410c"),
    ("amber", "#a16207"),
    ("green", "#15803d"),
    ("teal", "#0f766e"),
    ("sky", "#0369a1"),
    ("blue", "#1d4ed8"),
    ("violet", "#6d28d9"),
    ("pink", "#be185d"),
)
"""(name, hex colour): the name keys the colour's translated label in the picker."""
COLOURS = tuple(colour for _, colour in PALETTE)
DEFAULT_COLOUR = COLOURS[0]


def valid_colour(raw: str) -> Result[str, InvalidInput]:
    colour = raw.strip().lower()
    if colour not in COLOURS:
        return Failure(InvalidInput(f"colour must be one of {', '.join(COLOURS)}", field="colour"))
    return Success(colour)


@dataclass(frozen=True)
class Label:
    association_id: str
    name: str
    """Normalized (``labels.normalize_label``): the label's key in its association."""
    colour: str
    created_at: datetime


@dataclass(frozen=True)
class LabelUsage:
    """A label of the catalog with how many of the association's conversations carry it."""

    name: str
    colour: str
    conversations: int


def relabelled(labels: tuple[str, ...], old: str, new: str | None) -> tuple[str, ...]:
    """``labels`` with ``old`` replaced by ``new`` (removed when None), as a conversation
    keeps them: without duplicates, sorted. Renaming onto a label it has merges them."""
    kept = {label for label in labels if label != old}
    if new is not None and old in labels:
        kept.add(new)
    return tuple(sorted(kept))
