"""Every user-facing string, in ``en`` and ``pt-BR``: the translation files under
``templates/i18n/``, one per area of the product (``core.json``, ``inbox_list.json``…), each
``{"en": {...}, "pt-BR": {...}}``.

They are merged into one dictionary per locale. A key defined in two files, or present in one
locale and not the other, stops the service at import, so a missing translation is found by
any test, not by an agent.
"""

from __future__ import annotations

import json
from pathlib import Path

I18N_DIR = Path(__file__).parent / "templates" / "i18n"
DEFAULT_LOCALE = "pt-BR"


def load_strings(directory: Path = I18N_DIR) -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    defined_in: dict[str, str] = {}
    for path in sorted(directory.glob("*.json")):
        by_locale: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
        keys = {locale: set(strings) for locale, strings in by_locale.items()}
        if len({frozenset(found) for found in keys.values()}) > 1:
            raise ValueError(f"{path.name}: the locales do not have the same keys")
        for key in next(iter(keys.values()), set()):
            if key in defined_in:
                raise ValueError(f"{key!r} is in both {defined_in[key]} and {path.name}")
            defined_in[key] = path.name
        for locale, strings in by_locale.items():
            merged.setdefault(locale, {}).update(strings)
    return merged


STRINGS = load_strings()
LOCALES = tuple(STRINGS)
