"""How the inbox finds a conversation from what an agent types (issue 18, item 3).

A search text is read three ways, and a conversation matches by any of them:

- **a name**: its words, without case or accents, in order, inside the contact's display name
  or the full name on their patient record (adapters compare the stored ``name_key`` of both);
- **a phone**: a text of digits and phone punctuation only, with at least ``MIN_PHONE_DIGITS``
  digits, inside the digits of the contact's phone ("+55 (11) 98765-4321", "11 98765 4321" and
  "98765-4321" all find +5511987654321);
- **words said in a message**: the text's terms (``knowledge_text.search_terms``: unaccented,
  lowercase Portuguese stems without stopwords, as the knowledge base reads text), every one of
  them among one message's terms (its text or caption, and a voice note's transcript), the last
  as a prefix (the word still being typed). Adapters index ``message_terms`` when a message is
  stored or changes, and answer with the message, shown through ``match_preview``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wa_crm.domain.model.knowledge_text import search_terms, unaccented
from wa_crm.domain.model.message import Message
from wa_crm.domain.model.message_preview import ELLIPSIS, one_line

MAX_SEARCH_CHARS = 100
"""A longer search text is cut: nobody types more to find a conversation."""
MIN_PHONE_DIGITS = 4
MAX_SEARCH_TERMS = 8
MATCH_PREVIEW_CHARS = 160

_PHONE_TEXT = re.compile(r"[0-9+()\-.\s]+")
_WORD = re.compile(r"[^\W_]+")


def name_key(name: str) -> str:
    """What a name is compared by: lowercase, without accents, single spaces."""
    return " ".join(unaccented(name).split())


def phone_key(phone: str | None) -> str:
    """The digits of a phone number ("" without one)."""
    return "".join(char for char in phone or "" if char in "0123456789")


def message_text(message: Message) -> str:
    """What a message says, as the search reads it: its text or caption and, for a voice note,
    its transcript."""
    return "\n".join(part for part in (message.body, message.transcript) if part)


def message_terms(message: Message) -> list[str]:
    """The message's distinct terms, in order of appearance: what adapters index."""
    return list(dict.fromkeys(search_terms(message_text(message))))


@dataclass(frozen=True)
class InboxSearch:
    """A search text, read the three ways (see the module's docstring)."""

    name_words: tuple[str, ...]
    phone_digits: str | None
    """None when the text is not a phone number."""
    terms: tuple[str, ...]
    """All must be in one message; the last one as a prefix. Empty: no message matches."""

    @classmethod
    def parse(cls, text: str) -> InboxSearch | None:
        """None for a text with nothing to look for (blank)."""
        text = text[:MAX_SEARCH_CHARS]
        words = tuple(name_key(text).split())
        if not words:
            return None
        digits = phone_key(text)
        is_phone = _PHONE_TEXT.fullmatch(text) is not None and len(digits) >= MIN_PHONE_DIGITS
        terms = tuple(dict.fromkeys(search_terms(text)))[:MAX_SEARCH_TERMS]
        return cls(words, digits if is_phone else None, terms)

    def name_matches(self, key: str) -> bool:
        """Every word in ``key`` (a ``name_key``), in order: SQL's ``LIKE '%w1%w2%'``."""
        position = 0
        for word in self.name_words:
            found = key.find(word, position)
            if found < 0:
                return False
            position = found + len(word)
        return True

    def phone_matches(self, digits: str) -> bool:
        return self.phone_digits is not None and self.phone_digits in digits

    def terms_match(self, held: Sequence[str]) -> bool:
        """Whether a message with these terms matches; the last term is a prefix."""
        if not self.terms:
            return False
        *whole, last = self.terms
        present = set(held)
        return all(term in present for term in whole) and any(
            term.startswith(last) for term in present
        )

    def word_matches(self, word: str) -> bool:
        """Whether one word of a message is one the search looks for."""
        if not self.terms:
            return False
        *whole, last = self.terms
        return any(term in whole or term.startswith(last) for term in search_terms(word))


@dataclass(frozen=True)
class SearchMatch:
    """The message a conversation was found by."""

    message_id: str
    preview: str
    """One line of at most ``MATCH_PREVIEW_CHARS`` around the first word the search found."""
    at: datetime

    @classmethod
    def of(cls, message: Message, search: InboxSearch) -> SearchMatch:
        return cls(message.id, match_preview(message_text(message), search), message.created_at)

    def snapshot(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "preview": self.preview, "at": self.at.isoformat()}


def match_preview(text: str, search: InboxSearch, limit: int = MATCH_PREVIEW_CHARS) -> str:
    """The text on one line, cut to ``limit`` characters around its first word the search
    looks for (the start of the text when none is): a little context before it, ellipses
    where the text was cut."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    found = next((word for word in _WORD.finditer(line) if search.word_matches(word.group())), None)
    if found is None:
        return one_line(line, limit)
    start = max(0, min(found.start() - limit // 4, len(line) - limit))
    if start > 0:
        space = line.find(" ", start, found.start())
        start = space + 1 if space >= 0 else start
    lead = ELLIPSIS if start > 0 else ""
    end = start + limit - len(lead)
    if end >= len(line):
        return lead + line[start:]
    return lead + line[start : end - len(ELLIPSIS)].rstrip() + ELLIPSIS
