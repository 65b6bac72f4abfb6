"""Comparing what people type: case- and accent-insensitive, as keywords must match."""

from __future__ import annotations

import re
import unicodedata


def normalized(text: str) -> str:
    """Lowercase without accents, so "Atendênte" matches "atendente"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", normalized(text)))
