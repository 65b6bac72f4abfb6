"""Masking personal data before text leaves for an external AI provider, and restoring it.

Each distinct value becomes a placeholder such as ``[EMAIL_1]``; the same value always gets
the same placeholder within one ``Masker``, so the model can refer to it, and a placeholder the
model echoes in its reply is turned back into the value before the contact sees it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

# Order matters: more specific patterns first, so a CPF is not taken for a phone number.
_PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("email", "EMAIL", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)),
    ("document", "CNPJ", re.compile(r"\b\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}\b")),
    ("document", "CPF", re.compile(r"\b\d{3}\.\d{3}\.\d{3}-\d{2}\b|\b\d{11}\b(?![\d-])")),
    (
        "phone",
        "PHONE",
        re.compile(r"(?<![\w\[])\+?\(?\d(?:[\s().-]{0,2}\d){7,14}\b"),
    ),
    (
        "address",
        "ADDRESS",
        re.compile(
            r"\b(?:rua|r\.|avenida|av\.?|travessa|tv\.|alameda|al\.|rodovia|estrada|praça|"
            r"largo|street|st\.|avenue|ave\.|road|rd\.)\s+[^\n,;:]{2,60}?,?\s*"
            r"(?:n[º°o.]?\s*)?\d{1,5}\b",
            re.IGNORECASE,
        ),
    ),
)
# Digit runs that look like a phone number but are dates; they carry no personal data.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}")
_PLACEHOLDER = re.compile(r"\[(EMAIL|CNPJ|CPF|PHONE|ADDRESS)_(\d+)\]")


@dataclass
class Masker:
    """Masks the kinds of data named in ``kinds`` (document, email, phone, address)."""

    kinds: frozenset[str] = frozenset({"document", "email", "phone", "address"})
    _by_value: dict[str, str] = field(default_factory=dict)
    _by_placeholder: dict[str, str] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)

    def mask(self, text: str) -> str:
        for kind, label, pattern in _PATTERNS:
            if kind in self.kinds:
                text = pattern.sub(self._replacer(label), text)
        return text

    def unmask(self, text: str) -> str:
        return _PLACEHOLDER.sub(
            lambda match: self._by_placeholder.get(match.group(0), match.group(0)), text
        )

    def _replacer(self, label: str) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            value = match.group(0)
            if label == "PHONE" and _DATE.fullmatch(value.strip()):
                return value
            return self._placeholder(label, value)

        return replace

    def _placeholder(self, label: str, value: str) -> str:
        if value not in self._by_value:
            self._counts[label] = self._counts.get(label, 0) + 1
            placeholder = f"[{label}_{self._counts[label]}]"
            self._by_value[value] = placeholder
            self._by_placeholder[placeholder] = value
        return self._by_value[value]
