"""Labels that agents put on conversations: filterable in the inbox, counted in statistics."""

from __future__ import annotations

import re
from collections.abc import Sequence

from returns.result import Failure, Result, Success

from wa_crm.domain.model.errors import InvalidInput

MAX_LABELS = 10
MAX_LABEL_LENGTH = 32
_LABEL = re.compile(r"[\w -]+")


def normalize_label(raw: str) -> Result[str, InvalidInput]:
    """Lowercase, inner spaces collapsed; letters (any script), digits, ``_``, ``-``, spaces."""
    label = " ".join(raw.split()).lower()
    if not 1 <= len(label) <= MAX_LABEL_LENGTH or not _LABEL.fullmatch(label):
        return Failure(
            InvalidInput(
                f"label {raw[:40]!r} must be 1-{MAX_LABEL_LENGTH} letters, digits, spaces, "
                "`_` or `-`"
            )
        )
    return Success(label)


def normalize_labels(raw: Sequence[str]) -> Result[tuple[str, ...], InvalidInput]:
    """Each label normalized, duplicates dropped, sorted; at most ``MAX_LABELS``."""
    labels = set()
    for item in raw:
        match normalize_label(item):
            case Failure(error):
                return Failure(error)
            case Success(label):
                labels.add(label)
    if len(labels) > MAX_LABELS:
        return Failure(InvalidInput(f"a conversation has at most {MAX_LABELS} labels"))
    return Success(tuple(sorted(labels)))
