"""An association's settings objects (bot, privacy, assignment) as JSON.

Stored JSON is read leniently: unknown keys are ignored and missing ones take the dataclass
defaults, so settings written by an older or newer release still load. A stored value that no
longer validates gives way to its default, and a lone surrogate an older release let in becomes
"?": bad settings must not make the association unreadable. An admin's partial change is merged
onto the current settings and validated as a whole.
"""

from __future__ import annotations

import json
import logging
from dataclasses import fields
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import TypeAdapter, ValidationError

from wa_crm.domain.model.association import AssignmentSettings, BotSettings, PrivacySettings

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")

_log = logging.getLogger("wa_crm.settings")


class SettingsJson(Generic[T]):
    def __init__(self, kind: type[T], *, strict: bool) -> None:
        """``strict``: a change must carry JSON's own types ("2" is not a number, nor "yes" a
        boolean); lenient changes may give times and lists in any form pydantic reads."""
        self._adapter = TypeAdapter(kind)
        self._strict = strict
        self.fields = frozenset(f.name for f in fields(kind))

    def json_schema(self, ref_template: str) -> dict[str, Any]:
        """The JSON Schema of the settings object, nested definitions under ``$defs``."""
        return self._adapter.json_schema(ref_template=ref_template)

    def dump(self, value: T) -> dict[str, Any]:
        dumped: dict[str, Any] = self._adapter.dump_python(value, mode="json")  # a dataclass
        return dumped

    def load(self, data: dict[str, Any]) -> T:
        known = {k: _encodable(v) for k, v in data.items() if k in self.fields}
        try:
            return self._adapter.validate_python(known)
        except ValidationError as error:
            broken = {str(problem["loc"][0]) for problem in error.errors() if problem["loc"]}
            _log.warning(
                "stored settings fields reset to defaults", extra={"fields": sorted(broken)}
            )
            return self._adapter.validate_python(
                {k: v for k, v in known.items() if k not in broken}
            )

    def merge(self, current: T, changes: dict[str, Any]) -> T:
        """Raises pydantic's ValidationError; unknown fields are the caller's to refuse."""
        merged = {**self.dump(current), **changes}
        if self._strict:
            return self._adapter.validate_json(json.dumps(merged), strict=True)
        return self._adapter.validate_python(merged)


BOT_SETTINGS = SettingsJson(BotSettings, strict=False)
PRIVACY_SETTINGS = SettingsJson(PrivacySettings, strict=True)
ASSIGNMENT_SETTINGS = SettingsJson(AssignmentSettings, strict=True)


def _encodable(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, list):
        return [_encodable(item) for item in value]
    if isinstance(value, dict):
        return {key: _encodable(item) for key, item in value.items()}
    return value
