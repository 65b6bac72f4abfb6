"""An association's settings objects (bot, privacy, assignment) as JSON.

Stored JSON is read leniently: unknown keys are ignored and missing ones take the dataclass
defaults, so settings written by an older or newer release still load. An admin's partial
change is merged onto the current settings and validated as a whole.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter

from wa_crm.domain.model.association import AssignmentSettings, BotSettings, PrivacySettings

T = TypeVar("T")


class SettingsJson(Generic[T]):
    def __init__(self, kind: type[T], *, strict: bool) -> None:
        """``strict``: a change must carry JSON's own types ("2" is not a number, nor "yes" a
        boolean); lenient changes may give times and lists in any form pydantic reads."""
        self._adapter = TypeAdapter(kind)
        self._strict = strict
        self.fields = frozenset(f.name for f in fields(kind))  # type: ignore[arg-type]

    def dump(self, value: T) -> dict[str, Any]:
        return self._adapter.dump_python(value, mode="json")  # type: ignore[no-any-return]

    def load(self, data: dict[str, Any]) -> T:
        return self._adapter.validate_python({k: v for k, v in data.items() if k in self.fields})

    def merge(self, current: T, changes: dict[str, Any]) -> T:
        """Raises pydantic's ValidationError; unknown fields are the caller's to refuse."""
        merged = {**self.dump(current), **changes}
        if self._strict:
            return self._adapter.validate_json(json.dumps(merged), strict=True)
        return self._adapter.validate_python(merged)


BOT_SETTINGS = SettingsJson(BotSettings, strict=False)
PRIVACY_SETTINGS = SettingsJson(PrivacySettings, strict=True)
ASSIGNMENT_SETTINGS = SettingsJson(AssignmentSettings, strict=True)
