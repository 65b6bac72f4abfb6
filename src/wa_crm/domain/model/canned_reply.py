"""Canned replies: an association's ready answers, found by shortcut from the composer's ``/``.

A reply's text may hold the placeholders ``{first_name}`` (the contact's) and ``{agent_name}``
(the sending agent's); any other ``{word}`` is refused when the reply is written, so a typo
never reaches a patient.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from returns.result import Failure, Result, Success

from wa_crm.domain.model.errors import InvalidInput
from wa_crm.domain.model.formatting import MAX_MESSAGE_LENGTH

PLACEHOLDERS = ("first_name", "agent_name")
MAX_TITLE_LENGTH = 80
_SHORTCUT = re.compile(r"[a-z0-9_-]{1,32}")
_PLACEHOLDER = re.compile(r"\{([^{}\s]+)\}")


@dataclass(frozen=True)
class CannedReplyDraft:
    """What an admin writes; ``validated`` normalizes it or says what is wrong."""

    shortcut: str
    text: str
    title: str = ""

    def validated(self) -> Result[CannedReplyDraft, InvalidInput]:
        shortcut = self.shortcut.strip().lower()
        text, title = self.text.strip(), self.title.strip()
        if not _SHORTCUT.fullmatch(shortcut):
            return Failure(
                InvalidInput("shortcut must be 1-32 lowercase letters, digits, `_` or `-`")
            )
        if not text:
            return Failure(InvalidInput("text must not be empty"))
        if len(text) > MAX_MESSAGE_LENGTH:
            return Failure(InvalidInput(f"text is longer than {MAX_MESSAGE_LENGTH} characters"))
        if len(title) > MAX_TITLE_LENGTH:
            return Failure(InvalidInput(f"title is longer than {MAX_TITLE_LENGTH} characters"))
        unknown = sorted({name for name in _PLACEHOLDER.findall(text)} - set(PLACEHOLDERS))
        if unknown:
            allowed = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
            problem = f"unknown placeholder {{{unknown[0]}}}; the placeholders are {allowed}"
            return Failure(InvalidInput(problem))
        return Success(CannedReplyDraft(shortcut, text, title))


@dataclass(frozen=True)
class CannedReply:
    id: str
    association_id: str
    shortcut: str
    title: str
    text: str
    created_at: datetime
    updated_at: datetime

    def render(self, values: Mapping[str, str]) -> str:
        """The text with each placeholder replaced by its value ("" when unknown)."""
        return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), ""), self.text)

    def snapshot(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "shortcut": self.shortcut,
            "title": self.title,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }
