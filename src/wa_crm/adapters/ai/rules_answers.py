"""The rules assistant's answers: the latest order's status, and quotes of the best passage.

An answer from the association's documents quotes them, never paraphrases: the sentences of the
best passage that share the most terms with the question (up to ``QUOTED_SENTENCES``, in their
order in the passage, Markdown heading marks left out), then the document's title as the
source (architecture.md section 4, item 3). A passage under ``RELEVANT_SCORE`` answers nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from wa_crm.domain.model.knowledge import RELEVANT_SCORE, Passage
from wa_crm.domain.model.knowledge_text import search_terms
from wa_crm.domain.model.locale_format import (
    format_date,
    format_money,
    is_english,
    order_status_phrase,
)

QUOTED_SENTENCES = 3
_TIE = 1e-9

_HEADING_MARK = re.compile(r"^\s*#{1,6}\s+")
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def order_status(contact: dict[str, Any], locale: str) -> str:
    """The latest order (the first of ``contact["orders"]``, newest first) in a sentence."""
    orders = contact.get("orders") or []
    english = is_english(locale)
    if not orders:
        return (
            "I found no orders on your record."
            if english
            else ("Não encontrei pedidos no seu cadastro.")
        )
    latest: dict[str, Any] = orders[0]
    when = _date(latest.get("date"), locale)
    phrase = order_status_phrase(str(latest.get("status", "")), locale)
    items = str(latest.get("items", "")).strip()
    total = _money(latest.get("total"), locale)
    if english:
        parts = [f"Your latest order ({latest.get('id')}, from {when}) {phrase}."]
        parts += [f"Items: {items}."] if items else []
        parts += [f"Total: {total}."] if total else []
    else:
        parts = [f"Seu último pedido ({latest.get('id')}, de {when}) {phrase}."]
        parts += [f"Itens: {items}."] if items else []
        parts += [f"Total: {total}."] if total else []
    return " ".join(parts)


def relevant_passage(question: str, passages: Sequence[Passage]) -> Passage | None:
    """The passage to answer from: the best one, when relevant. Among passages of the same
    best score (a question whose terms all appear in several), the one whose title shares the
    most of the question's terms, then the one with the sentence sharing the most, then the
    first."""
    best = max((passage.score for passage in passages), default=0.0)
    if best < RELEVANT_SCORE:
        return None
    asked = set(search_terms(question))
    tied = [passage for passage in passages if passage.score >= best - _TIE]

    def fit(passage: Passage) -> tuple[int, int]:
        in_title = len(asked & set(search_terms(passage.title)))
        in_sentence = max(
            (len(asked & set(search_terms(sentence))) for sentence in _sentences(passage.text)),
            default=0,
        )
        return in_title, in_sentence

    return max(tied, key=fit)


def quote(question: str, passage: Passage, locale: str) -> str:
    """The sentences of ``passage`` that answer ``question``, then a blank line and the
    source: "Fonte: <title>" ("Source: <title>" in English)."""
    sentences = _sentences(passage.text)
    asked = set(search_terms(question))
    shared = [len(asked & set(search_terms(sentence))) for sentence in sentences]
    ranked = sorted(range(len(sentences)), key=lambda index: (-shared[index], index))
    chosen = [index for index in ranked[:QUOTED_SENTENCES] if shared[index] > 0]
    if not chosen:  # found by meaning (embeddings) rather than words: its opening
        chosen = list(range(min(QUOTED_SENTENCES, len(sentences))))
    quoted = " ".join(sentences[index] for index in sorted(chosen))
    label = "Source" if is_english(locale) else "Fonte"
    return f"{quoted}\n\n{label}: {passage.title}"


def _sentences(text: str) -> list[str]:
    """The passage's sentences without Markdown marks; its headings only when it has nothing
    else (a heading is context for the search, not an answer)."""
    body: list[str] = []
    headings: list[str] = []
    for line, heading in _lines(text):
        found = headings if heading else body
        found += [part.strip() for part in _SENTENCE_END.split(line) if part.strip()]
    return body or headings


def _lines(text: str) -> list[tuple[str, bool]]:
    """Headings, list items and paragraphs, each on one line (Markdown files are often wrapped
    mid-sentence), with whether it is a heading."""
    lines: list[tuple[str, bool]] = []
    joining = False
    for raw in text.splitlines():
        if not raw.strip():
            joining = False
        elif _HEADING_MARK.match(raw):
            lines.append((_HEADING_MARK.sub("", raw).strip(), True))
            joining = False
        elif _LIST_MARK.match(raw) or not joining:
            lines.append((_LIST_MARK.sub("", raw).strip(), False))
            joining = True
        else:
            lines[-1] = (f"{lines[-1][0]} {raw.strip()}", False)
    return lines


def _date(value: object, locale: str) -> str:
    try:
        return format_date(date.fromisoformat(str(value)), locale)
    except ValueError:
        return str(value)


def _money(value: object, locale: str) -> str:
    if value is None or str(value).strip() == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return format_money(amount, locale) if amount.is_finite() else str(value)
